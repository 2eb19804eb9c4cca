"""The market maker's own `trading[]` keys (the size and fees are common to every entry)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from falconet.config.params import param
from falconet.config.schema import Strategy, StrategyParams
from falconet.config.values import decimal_value


@dataclass(frozen=True, slots=True)
class MMEntryParams(StrategyParams):
    """None: the limit is off."""

    strategy = Strategy.MM

    min_usd_balance: Decimal | None = param(
        decimal_value(ge="0"), None, "free quote to keep: no buy may take the free quote below it"
    )
    max_exposure: Decimal | None = param(
        decimal_value(gt="0"),
        None,
        "highest value, at the mid, of the free base left after one more sell",
    )
