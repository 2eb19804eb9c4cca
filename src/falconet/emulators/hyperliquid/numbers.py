"""Decimal text as the venue writes it, and the venue's price and size rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

PERP_MAX_DECIMALS = 6
SPOT_MAX_DECIMALS = 8


def wire(value: Decimal) -> str:
    """ "12.5", "89968.0", "0.0": fixed point, no exponent, at least one decimal (as the
    venue prints its numbers)."""
    text = f"{value.normalize():f}" if value else "0"
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]
    return text if "." in text else text + ".0"


def parse(text: object) -> Decimal | None:
    """A wire number, or None if it is not one (floats are refused: the venue wants text)."""
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def decimals_of(value: Decimal) -> int:
    exp = value.normalize().as_tuple().exponent
    return max(0, -int(exp))


def valid_price(px: Decimal, sz_decimals: int, *, spot: bool) -> bool:
    """At most 5 significant figures (integers always pass) and at most
    MAX_DECIMALS - szDecimals decimals."""
    if px <= 0:
        return False
    max_dec = (SPOT_MAX_DECIMALS if spot else PERP_MAX_DECIMALS) - sz_decimals
    if decimals_of(px) > max_dec:
        return False
    if px == px.to_integral_value():
        return True
    digits = px.normalize().as_tuple().digits
    return len(digits) <= 5


def valid_size(sz: Decimal, sz_decimals: int) -> bool:
    return sz > 0 and decimals_of(sz) <= sz_decimals


def round_sig(px: Decimal, sz_decimals: int, *, spot: bool) -> Decimal:
    """The nearest valid price (5 significant figures, then the decimals cap)."""
    if px <= 0:
        return px
    exp = px.adjusted() - 4
    q = Decimal(1).scaleb(
        max(exp, -((SPOT_MAX_DECIMALS if spot else PERP_MAX_DECIMALS) - sz_decimals))
    )
    return px.quantize(q) if exp < 0 or q < 1 else (px / q).to_integral_value() * q
