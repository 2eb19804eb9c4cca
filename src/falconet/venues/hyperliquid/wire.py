"""Number text for Hyperliquid requests.

Inside falconet prices and sizes are scaled integers, so the order path formats them
exactly with `price_wire` / `size_wire` (no float ever reaches a wire string). The SDK's
float rules (`float_to_wire`, `float_to_int_for_hashing`) are here for compatibility with
its vectors and for callers that hold floats.
The venue hashes the exact text, so trailing zeros must be stripped: "100.0" and "100"
sign differently and only the latter matches what the venue recomputes.
"""

from __future__ import annotations

from decimal import Context, Decimal

from falconet.core.errors import PrecisionError
from falconet.core.fixed import format_scaled
from falconet.core.instrument import Instrument

__all__ = [
    "decimal_wire",
    "float_to_int_for_hashing",
    "float_to_wire",
    "price_wire",
    "size_wire",
]

# normalize() rounds to the context precision (28 digits by default): widen it.
_EXACT = Context(prec=200, Emax=999_999, Emin=-999_999)


def price_wire(inst: Instrument, units: int) -> str:
    """Price text from price units: exact, no exponent, trailing zeros stripped."""
    if units < 0:
        raise PrecisionError(f"{inst.id}: negative price units {units}")
    return format_scaled(units, inst.price_decimals)


def size_wire(inst: Instrument, units: int) -> str:
    """Size text from size units (always positive: the side travels in `b`)."""
    if units < 0:
        raise PrecisionError(f"{inst.id}: negative size units {units}")
    return format_scaled(units, inst.size_decimals)


def decimal_wire(value: Decimal) -> str:
    """Decimal as plain text: normalized, no exponent, never "-0"."""
    if not value.is_finite():
        raise PrecisionError(f"{value} is not a finite number")
    if value == 0:
        return "0"
    return f"{value.normalize(_EXACT):f}"


# --- the SDK's float rules ---------------------------------------------------------------


def float_to_wire(x: float) -> str:
    """Hyperliquid SDK `float_to_wire`, reproduced exactly (quirks included).

    `f"{x:.8f}"`, refuse values that lose precision at 8 decimals, map "-0" to "0"
    (which never matches "-0.00000000", so -0.0 stays "-0"), then normalize.
    """
    rounded = f"{x:.8f}"
    if abs(float(rounded) - x) >= 1e-12:
        raise PrecisionError(f"float_to_wire causes rounding: {x!r}")
    if rounded == "-0":
        rounded = "0"
    normalized = Decimal(rounded).normalize()
    return f"{normalized:f}"


def float_to_int(x: float, power: int) -> int:
    """Hyperliquid SDK `float_to_int`: round(x * 10**power), refusing lossy values."""
    with_decimals = x * 10**power
    rounded: int = round(with_decimals)
    if abs(rounded - with_decimals) >= 1e-3:
        raise PrecisionError(f"float_to_int causes rounding: {x!r}")
    return rounded


def float_to_int_for_hashing(x: float) -> int:
    return float_to_int(x, 8)
