"""The grid's price functions, on the instrument's integer prices.

`gi` is the resolved grid interval in percent. Results are valid prices of the
instrument's price rule (tick, significant figures or tiered ticks).
"""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Rounding
from falconet.core.instrument import Instrument

HUNDRED = Decimal(100)


def grid_price(inst: Instrument, ref: int, gi: Decimal, *, above: bool) -> int:
    """`ref × (1 ± gi/100)` rounded to the nearest valid price."""
    factor = 1 + gi / HUNDRED if above else 1 - gi / HUNDRED
    return int(inst.round_price(inst.price_decimal(ref) * factor, Rounding.NEAREST))


def tick_at(inst: Instrument, price: int) -> int:
    """The distance from `price` to the next valid price above it."""
    valid = inst.snap_price(price, Rounding.NEAREST)
    return int(inst.snap_price(valid + 1, Rounding.UP)) - valid


def below(inst: Instrument, price: int) -> int:
    """The highest valid price strictly below `price`."""
    return int(inst.snap_price(price - 1, Rounding.DOWN))


def above(inst: Instrument, price: int) -> int:
    """The lowest valid price strictly above `price`."""
    return int(inst.snap_price(price + 1, Rounding.UP))


def buy_price(inst: Instrument, ask: int, gi: Decimal) -> int:
    """Where a new or trailing buy goes: one interval under the ask, and never at or
    above it (a post-only buy there would be refused)."""
    return min(grid_price(inst, ask, gi, above=False), below(inst, ask))


def sell_price(inst: Instrument, ref: int, bid: int, gi: Decimal) -> int:
    """One interval above `ref` (the last buy fill, else the bid), and never at or
    below the bid."""
    return max(grid_price(inst, ref, gi, above=True), above(inst, bid))


def double_distance(bid: int, gi: Decimal) -> Decimal:
    """The 2× rule: twice the interval, measured on the current bid, in price units."""
    return Decimal(bid) * 2 * gi / HUNDRED


def spacing_price(inst: Instrument, sell: int, double: Decimal) -> int:
    """The buy price exactly two intervals under the closest sell."""
    value = inst.price_decimal(sell) - double.scaleb(-inst.price_decimals)
    return int(inst.round_price(value, Rounding.NEAREST))


def min_move(inst: Instrument, price: int, gi: Decimal, ticks: int, fraction: Decimal) -> Decimal:
    """Smallest amend worth sending: `max(ticks × tick, price × gi% × fraction)`."""
    return max(Decimal(ticks * tick_at(inst, price)), Decimal(price) * gi / HUNDRED * fraction)
