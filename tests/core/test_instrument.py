"""Instrument precision: Hyperliquid significant figures, tick/lot venues, equities."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from falconet.core.enums import InstrumentKind, Rounding, Venue
from falconet.core.errors import PrecisionError
from falconet.core.instrument import Instrument
from falconet.venues.hyperliquid.instruments import hl_instrument
from falconet.venues.hyperliquid.wire import float_to_wire


def hl(kind: InstrumentKind, sz_decimals: int) -> Instrument:
    return hl_instrument(
        "X", base="X", quote="USDC", kind=kind, sz_decimals=sz_decimals, asset_id=0
    )


def hl_valid_oracle(value: Decimal, max_decimals: int) -> bool:
    """Hyperliquid's published rule, stated directly on the decimal value."""
    if value <= 0:
        return False
    if value == value.to_integral_value():
        return True
    t = value.normalize().as_tuple()
    assert isinstance(t.exponent, int)
    return len(t.digits) <= 5 and -t.exponent <= max_decimals


kinds = st.sampled_from([InstrumentKind.PERP, InstrumentKind.SPOT])
prices = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(2_000_000), places=8)


@given(kinds, st.integers(0, 5), prices, st.sampled_from(list(Rounding)))
def test_hyperliquid_rounding_always_gives_a_valid_price(
    kind: InstrumentKind, sz: int, value: Decimal, rounding: Rounding
) -> None:
    inst = hl(kind, sz)
    units = inst.round_price(value, rounding)
    assume(units > 0)  # values far below the smallest price round down to zero
    max_dec = (8 if kind is InstrumentKind.SPOT else 6) - sz
    assert hl_valid_oracle(inst.price_decimal(units), max_dec)
    assert inst.is_valid_price(units)
    # the wire text is exactly that price, and what the official SDK would send
    text = inst.price_str(units)
    assert Decimal(text) == inst.price_decimal(units)
    assert float_to_wire(float(text)) == text


@given(kinds, st.integers(0, 5), prices)
def test_hyperliquid_down_and_up_bracket_the_value_with_nothing_valid_between(
    kind: InstrumentKind, sz: int, value: Decimal
) -> None:
    inst = hl(kind, sz)
    down = inst.round_price(value, Rounding.DOWN)
    up = inst.round_price(value, Rounding.UP)
    near = inst.round_price(value, Rounding.NEAREST)
    assert inst.price_decimal(down) <= value <= inst.price_decimal(up)
    assert down <= near <= up
    max_dec = (8 if kind is InstrumentKind.SPOT else 6) - sz
    rng = random.Random(int(value * 10**8))
    for _ in range(20):
        if up - down < 2:
            break
        between = rng.randrange(down + 1, up)
        assert not hl_valid_oracle(inst.price_decimal(between), max_dec)


def test_hyperliquid_examples() -> None:
    btc = hl(InstrumentKind.PERP, 5)  # BTC perp: szDecimals 5 -> 1 decimal
    assert btc.price_decimals == 1
    assert btc.price_str(btc.round_price("61800.27")) == "61800"  # 5 significant figures
    assert btc.price_str(btc.round_price("123456.7")) == "123457"  # integers always valid
    assert btc.price_str(btc.round_price("1234.567", Rounding.DOWN)) == "1234.5"
    assert btc.is_valid_price(btc.price("123456"))
    assert not btc.is_valid_price(btc.price("12345.6"))
    spot = hl(InstrumentKind.SPOT, 2)  # HYPE/USDC-like: 8 - 2 = 6 decimals
    assert spot.price_str(spot.round_price("25.123456")) == "25.123"
    assert spot.price_str(spot.round_price("0.00123456")) == "0.001235"
    assert spot.price_str(spot.round_price("0.000123456")) == "0.000123"  # 6 decimals cap
    with pytest.raises(PrecisionError):
        hl(InstrumentKind.PERP, 7)


@given(st.integers(0, 8), st.decimals(min_value=0, max_value=10**6, places=10))
def test_floor_size_never_exceeds_input_and_is_a_lot_multiple(sz: int, value: Decimal) -> None:
    inst = hl(InstrumentKind.SPOT, sz)
    units = inst.floor_size(value)
    assert inst.size_decimal(units) <= value
    assert value - inst.size_decimal(units) < Decimal(1).scaleb(-sz)
    assert units % inst.lot == 0


@given(
    st.sampled_from(["0.1", "0.01", "0.005", "0.25", "1", "5"]),
    st.sampled_from(["1", "0.1", "0.001", "0.00000001", "5", "0.25"]),
    st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=6),
)
def test_tick_lot_rounding_gives_tick_and_lot_multiples(
    tick: str, lot: str, value: Decimal
) -> None:
    inst = Instrument.with_increments(
        Venue.KRAKEN, "A/B", "A", "B", InstrumentKind.SPOT, tick=tick, lot=lot
    )
    for rounding in Rounding:
        px = inst.round_price(value, rounding)
        assert px % inst.price_rule.tick == 0  # type: ignore[attr-defined]
        if rounding is Rounding.DOWN:
            assert inst.price_decimal(px) <= value
        if rounding is Rounding.UP:
            assert inst.price_decimal(px) >= value
    size = inst.floor_size(value)
    assert size % inst.lot == 0 and inst.size_decimal(size) <= value
    assert value - inst.size_decimal(size) < Decimal(lot)


def test_kraken_btc_usd_increments_and_minimums() -> None:
    # Kraken BTC/USD: pair_decimals 1, lot_decimals 8, ordermin 0.0001, costmin 0.5
    k = Instrument.with_increments(
        Venue.KRAKEN,
        "BTC/USD",
        "BTC",
        "USD",
        InstrumentKind.SPOT,
        tick="0.1",
        lot="0.00000001",
        min_size="0.0001",
        min_notional="0.5",
    )
    assert (k.price_decimals, k.size_decimals) == (1, 8)
    assert k.price_str(k.round_price(61800.26)) == "61800.3"
    assert k.size_str(k.floor_size("0.000123459")) == "0.00012345"
    k.check_order(k.price("61800.3"), k.size("0.0002"))
    with pytest.raises(PrecisionError, match=r"below the minimum 0\.0001"):
        k.check_order(k.price("61800.3"), k.size("0.00005"))


def test_lighter_integer_encoding_is_the_scaled_units() -> None:
    # Lighter ETH market 0: size_decimals 4, price_decimals 2; 0.1 ETH -> 1000, 3000.00 -> 300000
    eth = Instrument.with_increments(
        Venue.LIGHTER, "ETH", "ETH", "USDC", InstrumentKind.PERP, tick="0.01", lot="0.0001"
    )
    assert eth.size("0.1") == 1000
    assert eth.price("3000.00") == 300_000


def test_ibkr_whole_shares_and_subpenny_ticks() -> None:
    spy = Instrument.us_equity(Venue.IBKR, "SPY")
    assert spy.size_decimals == 0
    assert spy.floor_size("2.7") == 2
    assert spy.floor_size("0.99") == 0
    assert spy.price_str(spy.round_price("512.347")) == "512.35"  # $0.01 at or above $1
    assert spy.price_str(spy.round_price("0.98765")) == "0.9876"  # $0.0001 below $1 (half-even)
    assert spy.price_str(spy.round_price("0.99996", Rounding.UP)) == "1"
    assert not spy.is_valid_price(spy.price("512.345"))
    with pytest.raises(PrecisionError, match="lot"):
        spy.check_order(spy.price("512.35"), 0)


def test_min_notional_sizing_rounds_up_to_a_lot() -> None:
    spot = hl(InstrumentKind.SPOT, 2)
    size = spot.min_size_for_notional(spot.price("25.12"))
    assert spot.size_str(size) == "0.4"  # 10 / 25.12 = 0.398..., next lot up
    spot.check_order(spot.price("25.12"), size)
    with pytest.raises(PrecisionError, match=r"below the minimum 10 USDC"):
        spot.check_order(spot.price("25.12"), size - 1)


def test_exact_price_refuses_too_many_decimals() -> None:
    btc = hl(InstrumentKind.PERP, 5)
    with pytest.raises(PrecisionError):
        btc.price("61800.25")
    assert btc.price("61800.20") == 618002
