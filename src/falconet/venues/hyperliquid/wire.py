"""Number text for Hyperliquid requests.

Inside falconet prices and sizes are scaled integers, so the order path formats them
exactly with `price_wire` / `size_wire` (no float ever reaches a wire string). The SDK's
float rules (`float_to_wire`, `float_to_int_for_hashing`) are here for compatibility with
its vectors and for callers that hold floats; they live in core.fixed and are re-exported.
The venue hashes the exact text, so trailing zeros must be stripped: "100.0" and "100"
sign differently and only the latter matches what the venue recomputes.
"""

from __future__ import annotations

from decimal import Context, Decimal

from falconet.core.errors import PrecisionError
from falconet.core.fixed import format_scaled
from falconet.core.fixed import hl_float_to_int_for_hashing as float_to_int_for_hashing
from falconet.core.fixed import hl_float_to_wire as float_to_wire
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
