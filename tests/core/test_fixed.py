"""Exact decimal text <-> scaled integer conversions, and Hyperliquid's number rules."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from falconet.core.enums import Rounding
from falconet.core.errors import PrecisionError
from falconet.core.fixed import (
    format_scaled,
    from_float,
    parse_scaled,
    round_to_multiple,
    to_decimal,
    to_units,
)
from falconet.venues.hyperliquid.wire import float_to_int_for_hashing, float_to_wire

decimals = st.integers(min_value=0, max_value=12)
units = st.integers(min_value=-(10**18), max_value=10**18)


@given(units, decimals)
def test_format_then_parse_round_trips(u: int, d: int) -> None:
    text = format_scaled(u, d)
    assert parse_scaled(text, d) == u
    assert "e" not in text.lower()
    assert Decimal(text) == to_decimal(u, d)


@given(units, decimals)
def test_formatted_text_has_no_trailing_zeros_or_bare_dot(u: int, d: int) -> None:
    text = format_scaled(u, d)
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert text != "-0"


@given(units, decimals)
def test_unstripped_format_has_fixed_decimals(u: int, d: int) -> None:
    text = format_scaled(u, d, strip=False)
    frac = text.partition(".")[2]
    assert len(frac) == d
    assert parse_scaled(text, d) == u


def test_parse_accepts_padded_wire_text() -> None:
    assert parse_scaled("61800.20000000", 2) == 6_180_020
    assert parse_scaled("0.00000000", 8) == 0
    assert parse_scaled("-1.5", 3) == -1500
    assert parse_scaled("1e-5", 6) == 10
    assert parse_scaled("7", 2) == 700


@pytest.mark.parametrize("text", ["61800.205", "0.000000001"])
def test_parse_refuses_lost_precision(text: str) -> None:
    with pytest.raises(PrecisionError, match="more than"):
        parse_scaled(text, 2 if "618" in text else 8)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "NaN", "Infinity", "٣"])
def test_parse_rejects_garbage_with_precision_error(text: str) -> None:
    with pytest.raises(PrecisionError):
        parse_scaled(text, 2)


def test_from_float_uses_shortest_repr_not_binary_value() -> None:
    # 0.1 + 0.2 is 0.30000000000000004: exact at 17 decimals, not silently 0.3
    assert from_float(0.1, 1) == 1
    with pytest.raises(PrecisionError):
        from_float(0.1 + 0.2, 8)
    assert from_float(0.1 + 0.2, 8, Rounding.NEAREST) == 30_000_000


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(1, 10**6))
def test_round_to_multiple_directions(u: int, step: int) -> None:
    down = round_to_multiple(u, step, Rounding.DOWN)
    up = round_to_multiple(u, step, Rounding.UP)
    near = round_to_multiple(u, step, Rounding.NEAREST)
    assert down % step == 0 and up % step == 0 and near % step == 0
    assert down <= u <= up
    assert up - down in (0, step)
    assert abs(near - u) * 2 <= step


@pytest.mark.parametrize(
    ("units_", "step", "expected"),
    [(5, 2, 4), (15, 10, 20), (25, 10, 20), (3, 2, 4), (35, 10, 40), (-5, 2, -4), (-15, 10, -20)],
)
def test_round_to_multiple_nearest_rounds_exact_ties_half_to_even(
    units_: int, step: int, expected: int
) -> None:
    assert round_to_multiple(units_, step, Rounding.NEAREST) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(1, 10**6))
def test_round_to_multiple_nearest_ties_go_to_the_even_multiple(k: int, half: int) -> None:
    step = 2 * half  # a tie needs an even step: u sits exactly between two multiples
    u = k * step + half
    near = round_to_multiple(u, step, Rounding.NEAREST)
    assert near in (k * step, (k + 1) * step)
    assert (near // step) % 2 == 0
    expected = (Decimal(u) / step).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * step
    assert near == int(expected)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(1, 10**6))
def test_round_to_multiple_nearest_agrees_with_decimal_half_even(u: int, step: int) -> None:
    expected = (Decimal(u) / step).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * step
    assert round_to_multiple(u, step, Rounding.NEAREST) == int(expected)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6), decimals)
def test_to_units_rounding_brackets_value(value: Decimal, d: int) -> None:
    down = to_units(value, d, Rounding.DOWN)
    up = to_units(value, d, Rounding.UP)
    assert to_decimal(down, d) <= value <= to_decimal(up, d)
    assert up - down in (0, 1)


def test_to_units_int_is_whole_units_and_bool_is_refused() -> None:
    assert to_units(3, 2) == 300
    with pytest.raises(PrecisionError):
        to_units(True, 2)


# --- Hyperliquid SDK vectors -------------------------------------------------------------


def _signing_vectors(shared_vectors: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((shared_vectors / "hyperliquid_signing.json").read_text())


def test_float_to_wire_matches_every_sdk_vector(shared_vectors: Path) -> None:
    cases = _signing_vectors(shared_vectors)["float_to_wire_derived"]["cases"]
    assert len(cases) == 15
    for case in cases:
        if "raises" in case:
            with pytest.raises(PrecisionError):
                float_to_wire(case["in"])
        else:
            assert float_to_wire(float(case["in"])) == case["out"], case


def test_float_to_int_for_hashing_matches_sdk_vectors(shared_vectors: Path) -> None:
    cases = _signing_vectors(shared_vectors)["float_to_int_for_hashing"]["cases"]
    for case in cases:
        if "raises" in case:
            with pytest.raises(PrecisionError):
                float_to_int_for_hashing(case["in"])
        else:
            assert float_to_int_for_hashing(case["in"]) == case["out"], case


@given(st.integers(min_value=0, max_value=10**15), st.integers(0, 8))
def test_exact_formatting_agrees_with_sdk_float_to_wire(u: int, d: int) -> None:
    # Below 10**7 (every realistic price and size) our integer-based text equals what the
    # official SDK makes of the float. Above it, the SDK's "%.8f" exposes binary noise
    # (155900318.2 -> "155900318.19999999"), which we deliberately do not reproduce.
    x = u / 10**d
    if x < 10**7:
        assert float_to_wire(x) == format_scaled(u, d)


def test_sdk_float_to_wire_binary_noise_above_ten_million() -> None:
    assert float_to_wire(155900318.2) == "155900318.19999999"
    assert format_scaled(1_559_003_182, 1) == "155900318.2"
