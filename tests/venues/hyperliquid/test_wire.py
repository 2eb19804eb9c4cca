"""Hyperliquid number text: the SDK's float rules on their vectors, and exact text from
an Instrument's integer units."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hyperliquid.utils import signing as sdk
from hypothesis import given
from hypothesis import strategies as st

from falconet.core.enums import InstrumentKind
from falconet.core.errors import PrecisionError
from falconet.core.instrument import Instrument
from falconet.venues.hyperliquid.instruments import hl_instrument
from falconet.venues.hyperliquid.wire import (
    decimal_wire,
    float_to_int_for_hashing,
    float_to_wire,
    price_wire,
    size_wire,
)

# (input, expected) in the vector file's order; test_vector_file_matches_this_table keeps
# the two in step, and the table gives each case a readable id.
FLOAT_TO_WIRE = [
    (100, "100"),
    (100.0, "100"),
    (1670.1, "1670.1"),
    (0.0147, "0.0147"),
    (103, "103"),
    (1234.5, "1234.5"),
    (0.001234, "0.001234"),
    (1e-08, "0.00000001"),
    (0.30000000000000004, "0.3"),
    (27.5, "27.5"),
    (-0.0, "-0"),  # SDK quirk: its "-0" check never sees "-0.00000000"
    (123456.0, "123456"),
    (12.345678, "12.345678"),
    (1.234567891, ValueError),
    (1e-09, ValueError),
]
FLOAT_TO_INT = [
    (123123123123, 12312312312300000000),
    (1.231e-05, 1231),
    (1.033, 103300000),
    (1.2312312e-05, ValueError),
]


@pytest.fixture(scope="module")
def vectors(shared_vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_vectors / "hyperliquid_signing.json").read_text())
    return data


def _table(cases: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(c["in"], ValueError if "raises" in c else c["out"]) for c in cases]


def test_vector_file_matches_this_table(vectors: dict[str, Any]) -> None:
    assert _table(vectors["float_to_wire_derived"]["cases"]) == FLOAT_TO_WIRE
    assert all(
        c["raises"] == "ValueError"
        for c in vectors["float_to_wire_derived"]["cases"]
        if "raises" in c
    )
    assert _table(vectors["float_to_int_for_hashing"]["cases"]) == FLOAT_TO_INT
    # -0.0 == 0.0, so equality above cannot tell the quirk case apart: check its sign.
    (neg,) = [c for c in vectors["float_to_wire_derived"]["cases"] if c.get("out") == "-0"]
    assert str(neg["in"]) == "-0.0"


@pytest.mark.parametrize(("x", "out"), FLOAT_TO_WIRE, ids=[repr(x) for x, _ in FLOAT_TO_WIRE])
def test_float_to_wire_vector(vectors: dict[str, Any], x: float, out: Any) -> None:
    if out is ValueError:
        with pytest.raises(ValueError, match="rounding"):
            float_to_wire(x)
        with pytest.raises(ValueError):
            sdk.float_to_wire(x)
    else:
        assert float_to_wire(x) == out == sdk.float_to_wire(x)


@pytest.mark.parametrize(("x", "out"), FLOAT_TO_INT, ids=[repr(x) for x, _ in FLOAT_TO_INT])
def test_float_to_int_for_hashing_vector(vectors: dict[str, Any], x: float, out: Any) -> None:
    if out is ValueError:
        with pytest.raises(ValueError):
            float_to_int_for_hashing(x)
    else:
        assert float_to_int_for_hashing(x) == out == sdk.float_to_int_for_hashing(x)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_float_to_wire_behaves_as_the_sdk(x: float) -> None:
    try:
        expected = sdk.float_to_wire(x)
    except ValueError:
        with pytest.raises(ValueError):
            float_to_wire(x)
        return
    assert float_to_wire(x) == expected
    assert "e" not in expected.lower()
    assert expected in {"0", "-0"} or not expected.rstrip("0").endswith(".")


# --- exact text from units -------------------------------------------------------------------


def _inst(kind: InstrumentKind, sz_decimals: int) -> Instrument:
    return hl_instrument(
        "X", base="X", quote="USDC", kind=kind, sz_decimals=sz_decimals, asset_id=3
    )


BTC = _inst(InstrumentKind.PERP, 5)
PURR = _inst(InstrumentKind.SPOT, 0)


@pytest.mark.parametrize(
    ("inst", "units", "price", "size"),
    [
        (BTC, 1_000_000, "100000", "10"),  # BTC: price 1 decimal, size 5
        (BTC, 709_561, "70956.1", "7.09561"),
        (BTC, 10, "1", "0.0001"),
        (BTC, 1, "0.1", "0.00001"),
        (BTC, 0, "0", "0"),
        (PURR, 1_995_000, "0.01995", "1995000"),  # spot szDecimals 0: 8 price decimals
        (PURR, 1, "0.00000001", "1"),
        (PURR, 12_345_600_000_000, "123456", "12345600000000"),
    ],
    ids=["btc-round", "btc-1dp", "btc-unit", "btc-tick", "zero", "purr", "purr-tick", "big"],
)
def test_price_and_size_wire(inst: Instrument, units: int, price: str, size: str) -> None:
    assert price_wire(inst, units) == price
    assert size_wire(inst, units) == size


def test_negative_units_are_refused() -> None:
    with pytest.raises(PrecisionError):
        price_wire(BTC, -1)
    with pytest.raises(PrecisionError):
        size_wire(BTC, -1)


instruments = st.builds(
    _inst, st.sampled_from([InstrumentKind.PERP, InstrumentKind.SPOT]), st.integers(0, 6)
)


@given(instruments, st.integers(0, 10**20))
def test_price_and_size_wire_round_trip(inst: Instrument, units: int) -> None:
    for text, decimals, back in (
        (price_wire(inst, units), inst.price_decimals, inst.price),
        (size_wire(inst, units), inst.size_decimals, inst.size),
    ):
        assert "e" not in text.lower() and "-" not in text
        assert not (text.endswith("0") and "." in text)  # trailing zeros stripped
        assert not text.endswith(".")
        assert Decimal(text).scaleb(decimals) == units  # exact value
        assert back(text) == units  # and back to the same units
        assert decimal_wire(Decimal(text)) == text


@given(instruments, st.integers(1, 10**7))
def test_unit_text_equals_sdk_float_text_for_realistic_values(inst: Instrument, n: int) -> None:
    # What the SDK would send for the same value held as a float (below 10**7: see
    # tests/core/test_fixed.py for the binary noise above).
    units = n * 10**inst.price_decimals // 10**3 or 1
    value = units / 10**inst.price_decimals
    if value < 10**7:
        assert price_wire(inst, units) == sdk.float_to_wire(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("100"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("100.000"), "100"),
        (Decimal("0.00000001"), "0.00000001"),
        (Decimal("1E-12"), "0.000000000001"),
        (Decimal("-0"), "0"),
        (Decimal("-0.000"), "0"),
        (Decimal("-12.50"), "-12.5"),
        (Decimal("12345678901234567890123456789012.5"), "12345678901234567890123456789012.5"),
    ],
    ids=[
        "int",
        "exponent",
        "trailing",
        "tiny",
        "exp-tiny",
        "neg-zero",
        "neg-zero-dp",
        "neg",
        "wide",
    ],
)
def test_decimal_wire(value: Decimal, text: str) -> None:
    assert decimal_wire(value) == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_decimal_wire_refuses_non_finite(value: Decimal) -> None:
    with pytest.raises(PrecisionError):
        decimal_wire(value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_decimal_wire_is_exact_plain_text(value: Decimal) -> None:
    text = decimal_wire(value)
    assert "e" not in text.lower() and text != "-0"
    assert Decimal(text) == value
