"""Builds the market maker of one `trading[]` entry of the config."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from falconet.config.schema import Config, TradingEntry
from falconet.core.errors import ConfigError
from falconet.core.instrument import Instrument
from falconet.strategies.mm.params import MMEntryParams
from falconet.strategies.mm.strategy import MarketMaker
from falconet.strategies.params import ParamError, decimal_param, text_params


def mm_from_entry(entry: TradingEntry, config: Config, instrument: Instrument) -> MarketMaker:
    """The entry's `qty` is floored to the instrument's lot (sizes are never rounded up)
    and must stay at or above the venue minimum; fee overrides and the two balance
    limits pass through; `cycle_mod` paces the debug status line, as in dio."""
    where = f"{config.source}: trading[{entry.symbol}@{entry.exchange}]"
    own = entry.params
    if not isinstance(own, MMEntryParams):
        raise ConfigError(f"{where}.strategy: {entry.strategy} is not MM")
    qty = instrument.floor_size(entry.qty)
    minimum = max(instrument.min_size, instrument.lot)
    if qty < minimum:
        raise ConfigError(
            f"{where}.qty: {entry.qty} {instrument.base} is below the venue minimum "
            f"{instrument.size_str(minimum)} once floored to the lot "
            f"{instrument.size_str(instrument.lot)}"
        )
    return MarketMaker(
        qty=qty,
        maker_fee=entry.maker_fee,
        taker_fee=entry.taker_fee,
        min_usd_balance=own.min_usd_balance,
        max_exposure=own.max_exposure,
        status_every=config.cycle_mod,
    )


MM_PARAMS = ("qty", "maker_fee", "taker_fee", "min_usd_balance", "max_exposure")


def mm_from_params(pairs: Sequence[str], instrument: Instrument) -> MarketMaker:
    """A market maker from `--param` pairs (backtests): qty (base, required, floored to
    the lot), maker_fee / taker_fee (the venue's), min_usd_balance, max_exposure."""
    p = text_params(pairs, MM_PARAMS, "mm")
    qty = instrument.floor_size(decimal_param(p, "qty"))
    if qty < max(instrument.min_size, instrument.lot):
        raise ParamError(f"--param qty={p['qty']}: below the minimum size of {instrument.id}")

    def opt(name: str) -> Decimal | None:
        return decimal_param(p, name) if name in p else None

    return MarketMaker(
        qty=qty,
        maker_fee=opt("maker_fee"),
        taker_fee=opt("taker_fee"),
        min_usd_balance=opt("min_usd_balance"),
        max_exposure=opt("max_exposure"),
    )
