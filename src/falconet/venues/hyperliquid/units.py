"""Venue text → falconet integers, exactly; averages and marks may need rounding."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from falconet.core.enums import Rounding, Side
from falconet.core.errors import PrecisionError
from falconet.core.fixed import decimal_to_scaled, parse_scaled
from falconet.core.instrument import Instrument

SIDES = {"B": Side.BUY, "A": Side.SELL}
WIRE_SIDES = {Side.BUY: "B", Side.SELL: "A"}


def px(inst: Instrument, text: str) -> int:
    """An order or book price: always on the instrument's scale (raises if not)."""
    return parse_scaled(text, inst.price_decimals)


def sz(inst: Instrument, text: str) -> int:
    return parse_scaled(text, inst.size_decimals)


def px_rounded(inst: Instrument, text: str) -> int:
    """An average or mark price, which may carry more decimals than orders may."""
    try:
        return parse_scaled(text, inst.price_decimals)
    except PrecisionError:
        return decimal_to_scaled(_dec(text), inst.price_decimals, Rounding.NEAREST)


def sz_rounded(inst: Instrument, text: str) -> int:
    try:
        return parse_scaled(text, inst.size_decimals)
    except PrecisionError:
        return decimal_to_scaled(_dec(text), inst.size_decimals, Rounding.NEAREST)


def dec(text: str | None) -> Decimal:
    return _dec(text) if text else Decimal(0)


def _dec(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PrecisionError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise PrecisionError(f"{text!r} is not a finite number")
    return value


def side(code: str) -> Side:
    try:
        return SIDES[code]
    except KeyError:
        raise PrecisionError(f"unknown side {code!r}") from None


MS = 1_000_000  # ns per ms
