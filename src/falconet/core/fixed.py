"""Exact conversions between decimal text, Decimal and scaled integers.

A price or size is held as an integer count of 10**-decimals units. These helpers move
values between that form and wire strings without ever passing through a binary float,
except `from_float`, which takes a float's shortest repr (what a person typed) as its
exact value.
"""

from __future__ import annotations

import math
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    InvalidOperation,
)

from falconet.core.enums import Rounding
from falconet.core.errors import PrecisionError

_DECIMAL_ROUNDING = {
    Rounding.DOWN: ROUND_FLOOR,
    Rounding.UP: ROUND_CEILING,
    Rounding.NEAREST: ROUND_HALF_EVEN,
}
# Wide enough that scaling never rounds: the default context keeps only 28 digits.
_EXACT = Context(prec=200, Emax=999_999, Emin=-999_999)
_POW10: list[int] = [10**i for i in range(40)]


def pow10(n: int) -> int:
    """10**n for n >= 0, from a table on the hot path."""
    if n < 0:
        raise ValueError(f"pow10 needs n >= 0, got {n}")
    return _POW10[n] if n < len(_POW10) else int(10**n)


def parse_scaled(text: str, decimals: int) -> int:
    """Parse decimal text into an exact count of 10**-decimals units.

    Accepts an optional sign, digits, an optional fraction and (slow path) an exponent.
    Raises PrecisionError if the value has non-zero digits beyond `decimals`.
    """
    if not text.isascii():
        raise PrecisionError(f"{text!r} is not a decimal number")
    int_part, dot, frac = text.partition(".")
    digits = int_part.lstrip("-+")
    # Fast path for plain text such as "61800.20": digit strings only, no exponent.
    if digits.isdigit() and (frac.isdigit() or not dot) and len(int_part) - len(digits) <= 1:
        if len(frac) > decimals:
            if frac[decimals:].strip("0"):
                raise PrecisionError(f"{text!r} has more than {decimals} decimals")
            frac = frac[:decimals]
        magnitude = int(digits + frac.ljust(decimals, "0"))
        return -magnitude if int_part.startswith("-") else magnitude
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PrecisionError(f"{text!r} is not a decimal number") from None
    return decimal_to_scaled(value, decimals)


def decimal_to_scaled(value: Decimal, decimals: int, rounding: Rounding | None = None) -> int:
    """Convert a Decimal to units; exact unless `rounding` says how to snap."""
    if not value.is_finite():
        raise PrecisionError(f"{value} is not a finite number")
    scaled = value.scaleb(decimals, context=_EXACT)
    integral = scaled.to_integral_value(
        rounding=_DECIMAL_ROUNDING[rounding] if rounding else ROUND_HALF_EVEN, context=_EXACT
    )
    if rounding is None and integral != scaled:
        raise PrecisionError(f"{value} has more than {decimals} decimals")
    return int(integral)


def from_float(value: float, decimals: int, rounding: Rounding | None = None) -> int:
    """Units from a float, taking its shortest repr as the intended exact value."""
    if not math.isfinite(value):
        raise PrecisionError(f"{value} is not a finite number")
    return decimal_to_scaled(Decimal(repr(value)), decimals, rounding)


def to_decimal(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals, context=_EXACT)


def format_scaled(units: int, decimals: int, *, strip: bool = True) -> str:
    """Format units as plain decimal text: no exponent; trailing zeros removed if `strip`."""
    negative = units < 0
    digits = str(-units if negative else units)
    if decimals > 0:
        digits = digits.rjust(decimals + 1, "0")
        whole, frac = digits[:-decimals], digits[-decimals:]
        if strip:
            frac = frac.rstrip("0")
        text = f"{whole}.{frac}" if frac else whole
    else:
        text = digits + "0" * (-decimals)
    return f"-{text}" if negative and units != 0 else text


def to_units(
    value: int | str | Decimal | float, decimals: int, rounding: Rounding | None = None
) -> int:
    """Units from any numeric input. Exact unless `rounding` is given.

    An `int` input is a whole number of currency/base units (not already scaled).
    """
    if isinstance(value, bool):
        raise PrecisionError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value * pow10(decimals) if decimals >= 0 else _div_exact(value, decimals)
    if isinstance(value, str):
        if rounding is None:
            return parse_scaled(value, decimals)
        try:
            return decimal_to_scaled(Decimal(value), decimals, rounding)
        except InvalidOperation:
            raise PrecisionError(f"{value!r} is not a decimal number") from None
    if isinstance(value, Decimal):
        return decimal_to_scaled(value, decimals, rounding)
    if isinstance(value, float):
        return from_float(value, decimals, rounding)
    raise PrecisionError(f"{value!r} is not a number")


def _div_exact(value: int, decimals: int) -> int:
    q, r = divmod(value, pow10(-decimals))
    if r:
        raise PrecisionError(f"{value} is not a multiple of 10**{-decimals}")
    return q


def round_to_multiple(units: int, step: int, rounding: Rounding) -> int:
    """Snap `units` to a multiple of `step` (> 0) in the given direction."""
    q, r = divmod(units, step)
    if r == 0:
        return units
    if rounding is Rounding.DOWN:
        return q * step
    if rounding is Rounding.UP:
        return (q + 1) * step
    twice = 2 * r
    if twice < step or (twice == step and q % 2 == 0):
        return q * step
    return (q + 1) * step


def significant_digits(units: int) -> int:
    """Number of significant digits of a scaled integer (trailing zeros do not count)."""
    if units == 0:
        return 0
    digits = str(abs(units)).rstrip("0")
    return len(digits)
