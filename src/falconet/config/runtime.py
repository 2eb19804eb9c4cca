"""falconet's own blocks (not in dio files): `paper` (the simulated venue), `orders`
(what the engine does with orders at start-up and shutdown) and `hyperliquid` (account
settings the adapter applies while it runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.config.fields import Field, read_object
from falconet.config.problems import InvalidValueError, Location
from falconet.config.values import boolean, choice, decimal_value, describe, integer, text


@dataclass(frozen=True)
class PaperSettings:
    """The paper venue: starting balances, where its market comes from, how fast it runs."""

    balances: dict[str, Decimal] = field(default_factory=dict)  # asset -> amount
    market: str = "sim"  # "sim": the market simulator; otherwise an event file for all symbols
    speed: Decimal = Decimal(1)  # simulated seconds per wall second
    seed: int = 1
    latency_ms: Decimal = Decimal(20)
    volatility: Decimal = Decimal("0.8")  # annualised, for the simulated market
    prices: dict[str, Decimal] = field(default_factory=dict)  # symbol -> simulated start price
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")


@dataclass(frozen=True)
class OrderSettings:
    cancel_on_shutdown: bool = True  # cancel our resting orders on a clean shutdown
    unknown_orders: str = "report"  # orders at the venue we did not place: report | cancel


@dataclass(frozen=True)
class HyperliquidSettingsBlock:
    leverage: int | None = None  # pinned on every traded perp at start-up; None: leave it
    dead_man_s: Decimal | None = None  # scheduleCancel horizon, refreshed while running


def _amounts(what: str) -> Any:
    amount = decimal_value(ge="0")

    def parse(raw: object, at: Location) -> dict[str, Decimal]:
        if not isinstance(raw, dict):
            raise InvalidValueError(
                f'expected an object of {what}, e.g. {{"USD": 10000}}, got {describe(raw)}'
            )
        out: dict[str, Decimal] = {}
        for key, value in raw.items():
            out[str(key)] = amount(value, at.child(str(key)))
        return out

    return parse


UNKNOWN_ORDER_ACTIONS = {"report": "report", "cancel": "cancel"}

PAPER_FIELDS: tuple[Field[Any], ...] = (
    Field("balances", _amounts("asset amounts")),
    Field("market", text),
    Field("speed", decimal_value(gt="0")),
    Field("seed", integer(ge=0)),
    Field("latency_ms", decimal_value(ge="0")),
    Field("volatility", decimal_value(gt="0")),
    Field("prices", _amounts("start prices")),
    Field("maker_fee", decimal_value(ge="-0.01", le="0.01")),
    Field("taker_fee", decimal_value(ge="-0.01", le="0.01")),
)

ORDER_FIELDS: tuple[Field[Any], ...] = (
    Field("cancel_on_shutdown", boolean),
    Field(
        "unknown_orders",
        choice({"report": "report", "cancel": "cancel"}, "action", ["report", "cancel"]),
    ),
)


HYPERLIQUID_FIELDS: tuple[Field[Any], ...] = (
    Field("leverage", integer(ge=1, le=50)),
    # each refresh spends one action of the address's budget: not too often
    Field("dead_man_s", decimal_value(ge="30", le="86400")),
)


def parse_hyperliquid(raw: object, at: Location) -> HyperliquidSettingsBlock:
    parsed = read_object(raw, at, HYPERLIQUID_FIELDS)
    if not parsed.ok:
        raise InvalidValueError(None)
    values = {f.name: parsed.get(f) for f in HYPERLIQUID_FIELDS if parsed.has(f)}
    return HyperliquidSettingsBlock(**values)


def parse_paper(raw: object, at: Location) -> PaperSettings:
    parsed = read_object(raw, at, PAPER_FIELDS)
    if not parsed.ok:
        raise InvalidValueError(None)
    values: dict[str, Any] = {f.name: parsed.get(f) for f in PAPER_FIELDS if parsed.has(f)}
    return PaperSettings(**values)


def parse_orders(raw: object, at: Location) -> OrderSettings:
    parsed = read_object(raw, at, ORDER_FIELDS)
    if not parsed.ok:
        raise InvalidValueError(None)
    values: dict[str, Any] = {f.name: parsed.get(f) for f in ORDER_FIELDS if parsed.has(f)}
    return OrderSettings(**values)
