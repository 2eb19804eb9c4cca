"""Instruments: what is traded where, and the exact precision rules of its venue.

Prices and sizes are integers: a price is a count of 10**-price_decimals quote units, a size
a count of 10**-size_decimals base units. `Instrument` converts between those integers and
Decimal or wire text, snaps values to the venue's rules, and checks venue minimums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NewType

from falconet.core.enums import InstrumentKind, Rounding, Venue
from falconet.core.errors import BelowMinimumError, PrecisionError
from falconet.core.fixed import (
    format_scaled,
    parse_scaled,
    pow10,
    round_to_multiple,
    to_decimal,
    to_units,
)
from falconet.core.precision import PriceRule, TickRule, TieredTickRule

# Scaled-integer aliases: free at run time, checked by mypy.
Px = NewType("Px", int)
Qty = NewType("Qty", int)

InstrumentId = NewType("InstrumentId", str)


def instrument_id(symbol: str, venue: Venue | str) -> InstrumentId:
    return InstrumentId(f"{symbol}@{venue}")


@dataclass(frozen=True, slots=True)
class Instrument:
    venue: Venue
    symbol: str  # as the venue and config spell it: "BTC/USD", "HYPE/USDC", "BTC", "SPY"
    base: str
    quote: str
    kind: InstrumentKind
    price_decimals: int
    size_decimals: int
    price_rule: PriceRule
    lot: int = 1  # size increment, in size units
    min_size: int = 1  # in size units
    min_notional: Decimal = Decimal(0)  # quote currency
    venue_ref: str = ""  # venue's own handle: Hyperliquid asset id, Lighter market index, conId
    id: InstrumentId = field(init=False)

    def __post_init__(self) -> None:
        if self.price_decimals < 0 or self.size_decimals < 0:
            raise PrecisionError(f"{self.symbol}: decimals must be >= 0")
        if self.lot <= 0 or self.min_size < 0:
            raise PrecisionError(f"{self.symbol}: lot must be > 0 and min_size >= 0")
        object.__setattr__(self, "id", instrument_id(self.symbol, self.venue))

    # --- construction -----------------------------------------------------------------

    @classmethod
    def with_increments(
        cls,
        venue: Venue,
        symbol: str,
        base: str,
        quote: str,
        kind: InstrumentKind,
        *,
        tick: str,
        lot: str,
        min_size: str | None = None,
        min_notional: str | Decimal = "0",
        venue_ref: str = "",
        price_decimals: int | None = None,
        size_decimals: int | None = None,
    ) -> Instrument:
        """From the decimal increments a venue publishes (Kraken pair/lot decimals, Lighter
        price/size decimals, IBKR minTick, Binance tickSize/stepSize).

        The scale defaults to the increment's decimals; a finer scale can be asked for when
        the venue's data carries more precision than new orders may use (resting orders
        from before a lot-size change)."""
        price_decimals = max(_decimals_of(tick), price_decimals or 0)
        size_decimals = max(_decimals_of(lot), size_decimals or 0)
        tick_units = parse_scaled(tick, price_decimals)
        lot_units = parse_scaled(lot, size_decimals)
        if tick_units <= 0 or lot_units <= 0:
            raise PrecisionError(f"{symbol}: tick and lot must be > 0 (got {tick}, {lot})")
        return cls(
            venue=venue,
            symbol=symbol,
            base=base,
            quote=quote,
            kind=kind,
            price_decimals=price_decimals,
            size_decimals=size_decimals,
            price_rule=TickRule(tick_units),
            lot=lot_units,
            min_size=parse_scaled(min_size, size_decimals) if min_size else lot_units,
            min_notional=Decimal(min_notional),
            venue_ref=venue_ref,
        )

    @classmethod
    def us_equity(
        cls,
        venue: Venue,
        symbol: str,
        *,
        quote: str = "USD",
        lot: str = "1",
        venue_ref: str = "",
        min_notional: str = "0",
    ) -> Instrument:
        """US equity: $0.01 tick at or above $1, $0.0001 below (Reg NMS sub-penny rule).
        IBKR trades whole shares (lot 1); Alpaca may allow fractional lots."""
        price_decimals = 4
        size_decimals = _decimals_of(lot)
        return cls(
            venue=venue,
            symbol=symbol,
            base=symbol,
            quote=quote,
            kind=InstrumentKind.EQUITY,
            price_decimals=price_decimals,
            size_decimals=size_decimals,
            price_rule=TieredTickRule(((0, 1), (pow10(price_decimals), 100))),
            lot=parse_scaled(lot, size_decimals),
            min_size=parse_scaled(lot, size_decimals),
            min_notional=Decimal(min_notional),
            venue_ref=venue_ref,
        )

    # --- prices -----------------------------------------------------------------------

    def price(self, value: str | Decimal | int | float) -> Px:
        """Exact price units; raises if the value has more decimals than the venue allows."""
        return Px(to_units(value, self.price_decimals))

    def round_price(
        self, value: str | Decimal | int | float, rounding: Rounding = Rounding.NEAREST
    ) -> Px:
        """The valid price nearest `value` in the direction `rounding`."""
        units = to_units(value, self.price_decimals, rounding)
        return Px(self.price_rule.snap(units, self.price_decimals, rounding))

    def snap_price(self, units: int, rounding: Rounding = Rounding.NEAREST) -> Px:
        return Px(self.price_rule.snap(units, self.price_decimals, rounding))

    def is_valid_price(self, units: int) -> bool:
        return units > 0 and self.price_rule.is_valid(units, self.price_decimals)

    def price_str(self, units: int) -> str:
        """Wire text: no exponent, no trailing zeros."""
        return format_scaled(units, self.price_decimals)

    def price_decimal(self, units: int) -> Decimal:
        return to_decimal(units, self.price_decimals)

    def price_float(self, units: int) -> float:
        return units / pow10(self.price_decimals)

    # --- sizes ------------------------------------------------------------------------

    def size(self, value: str | Decimal | int | float) -> Qty:
        """Exact size units; raises if the value has more decimals than the venue allows."""
        return Qty(to_units(value, self.size_decimals))

    def floor_size(self, value: str | Decimal | int | float) -> Qty:
        """Largest lot multiple not above `value`: sizes are never rounded up."""
        units = to_units(value, self.size_decimals, Rounding.DOWN)
        return Qty(round_to_multiple(units, self.lot, Rounding.DOWN))

    def is_valid_size(self, units: int) -> bool:
        return units > 0 and units % self.lot == 0

    def size_str(self, units: int) -> str:
        return format_scaled(units, self.size_decimals)

    def size_decimal(self, units: int) -> Decimal:
        return to_decimal(units, self.size_decimals)

    def size_float(self, units: int) -> float:
        return units / pow10(self.size_decimals)

    # --- orders -----------------------------------------------------------------------

    def notional(self, price_units: int, size_units: int) -> Decimal:
        return to_decimal(price_units * size_units, self.price_decimals + self.size_decimals)

    def check_order(self, price_units: int | None, size_units: int) -> None:
        """Raise PrecisionError naming the broken rule, or return if the venue would accept
        the price and size (limit orders pass a price; market orders None)."""
        if not self.is_valid_size(size_units):
            raise PrecisionError(
                f"{self.id}: size {self.size_str(size_units)} is not a positive multiple "
                f"of the lot {self.size_str(self.lot)}"
            )
        if size_units < self.min_size:
            raise BelowMinimumError(
                f"{self.id}: size {self.size_str(size_units)} is below the minimum "
                f"{self.size_str(self.min_size)}"
            )
        if price_units is None:
            return
        if not self.is_valid_price(price_units):
            raise PrecisionError(
                f"{self.id}: price {self.price_str(price_units)} breaks the price rule "
                f"({self.price_rule.describe(self.price_decimals)})"
            )
        notional = self.notional(price_units, size_units)
        if notional < self.min_notional:
            raise BelowMinimumError(
                f"{self.id}: order value {notional} {self.quote} is below the minimum "
                f"{self.min_notional} {self.quote}"
            )

    def min_size_for_notional(self, price_units: int) -> Qty:
        """Smallest valid size whose value at `price_units` meets both venue minimums."""
        if price_units <= 0:
            raise PrecisionError(f"{self.id}: price must be > 0")
        # ceil(min_notional / price) in integer units, never through floats.
        numerator = to_units(
            self.min_notional, self.price_decimals + self.size_decimals, Rounding.UP
        )
        need = -(-numerator // price_units)
        units = max(need, self.min_size, self.lot)
        return Qty(round_to_multiple(units, self.lot, Rounding.UP))


def _decimals_of(text: str) -> int:
    """Decimals needed to represent an increment such as "0.005" (3) or "1" (0)."""
    exponent = Decimal(text).normalize().as_tuple().exponent
    if not isinstance(exponent, int):
        raise PrecisionError(f"{text!r} is not a finite increment")
    return max(-exponent, 0)
