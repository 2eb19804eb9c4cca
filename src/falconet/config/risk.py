"""The `risk` block (engine-wide) and a trading entry's own `risk` overrides.

Every limit is off unless set, so an existing config trades exactly as before; the
resolved limits are printed by `falconet config check`. Amounts are in the instruments'
quote currency, which the engine treats as USD for the engine-wide figures (USD, USDC,
USDT quotes: see docs/risk.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from falconet.config.fields import Field, read_object
from falconet.config.problems import InvalidValueError, Location
from falconet.config.values import boolean, choice, decimal_value, integer

LOSS_ACTIONS = ("reduce", "halt", "kill")


@dataclass(frozen=True)
class RiskLimits:
    """Pre-trade limits of one entry (the engine-wide block's values unless the entry
    overrides them). None: the rule is off."""

    max_order_notional: Decimal | None = None  # quote value of one order
    max_position: Decimal | None = None  # |position| in base units, open orders included
    max_position_notional: Decimal | None = None  # the same, valued at the mid
    max_open_orders: int | None = None  # resting or in flight, per entry
    price_band_pct: Decimal | None = None  # a limit price this far from the mid is refused
    max_book_age_ms: Decimal | None = None  # no new orders on an older book

    def merged(self, override: RiskLimits | None) -> RiskLimits:
        """These limits with every value `override` sets replacing ours."""
        if override is None:
            return self
        changes = {
            f.name: getattr(override, f.name)
            for f in fields(override)
            if getattr(override, f.name) is not None
        }
        return replace(self, **changes)


@dataclass(frozen=True)
class RiskSettings:
    limits: RiskLimits = RiskLimits()
    max_net_notional: Decimal | None = None  # engine-wide |Σ position × mid|, all venues
    order_rate_per_s: Decimal | None = None  # token bucket per venue account
    order_burst: int | None = None  # the bucket's size (default: one second's worth)
    max_daily_loss: Decimal | None = None  # marked-to-market PnL since UTC midnight
    max_drawdown: Decimal | None = None  # peak-to-trough of the engine's PnL
    loss_action: str = "halt"  # what a loss limit does: reduce | halt | kill
    flatten_on_kill: bool = False  # the kill switch also closes positions (reduce-only)
    max_tick_to_trade_ms: Decimal | None = None  # above it: cancel all, latch HALTED

    @property
    def any_set(self) -> bool:
        return self != RiskSettings()


LIMIT_FIELDS: tuple[Field[Any], ...] = (
    Field("max_order_notional", decimal_value(gt="0", le="1e12")),
    Field("max_position", decimal_value(ge="0", le="1e15")),
    Field("max_position_notional", decimal_value(ge="0", le="1e12")),
    Field("max_open_orders", integer(ge=0, le=100_000)),
    Field("price_band_pct", decimal_value(gt="0", le="100")),
    Field("max_book_age_ms", decimal_value(gt="0", le="86400000")),
)

ENGINE_FIELDS: tuple[Field[Any], ...] = (
    Field("max_net_notional", decimal_value(ge="0", le="1e12")),
    Field("order_rate_per_s", decimal_value(gt="0", le="100000")),
    Field("order_burst", integer(ge=1, le=1_000_000)),
    Field("max_daily_loss", decimal_value(gt="0", le="1e12")),
    Field("max_drawdown", decimal_value(gt="0", le="1e12")),
    Field("loss_action", choice({a: a for a in LOSS_ACTIONS}, "action", list(LOSS_ACTIONS))),
    Field("flatten_on_kill", boolean),
    Field("max_tick_to_trade_ms", decimal_value(gt="0", le="60000")),
)


def _limits(values: dict[str, Any]) -> RiskLimits:
    return RiskLimits(**{f.name: values[f.name] for f in LIMIT_FIELDS if f.name in values})


def parse_risk(raw: object, at: Location) -> RiskSettings:
    """The engine-wide `risk` block."""
    parsed = read_object(raw, at, (*LIMIT_FIELDS, *ENGINE_FIELDS))
    if not parsed.ok:
        raise InvalidValueError(None)
    values: dict[str, Any] = {
        f.name: parsed.get(f) for f in (*LIMIT_FIELDS, *ENGINE_FIELDS) if parsed.has(f)
    }
    engine = {f.name: values[f.name] for f in ENGINE_FIELDS if f.name in values}
    return RiskSettings(limits=_limits(values), **engine)


def parse_entry_risk(raw: object, at: Location) -> RiskLimits:
    """A trading entry's `risk` block: per-entry overrides of the pre-trade limits."""
    hints = {f.name: "engine-wide: set it in the top-level risk block" for f in ENGINE_FIELDS}
    parsed = read_object(raw, at, LIMIT_FIELDS, hints)
    if not parsed.ok:
        raise InvalidValueError(None)
    return _limits({f.name: parsed.get(f) for f in LIMIT_FIELDS if parsed.has(f)})
