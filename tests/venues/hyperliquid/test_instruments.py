"""Markets from the venue's metadata: the real `meta` cassette, a spotMeta of ours and a
HIP-3 dex; asset ids, symbol mapping and the price rules that follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from falconet.core.enums import InstrumentKind, Rounding
from falconet.venues.hyperliquid.instruments import (
    Universe,
    UnknownSymbolError,
    build_universe,
    dexes_needed,
)
from tests.venues.hyperliquid.cassettes import response

SPOT_META: dict[str, Any] = {
    "universe": [
        {"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True},
        {"tokens": [150, 0], "name": "@107", "index": 107, "isCanonical": False},
        {"tokens": [150, 0], "name": "@200", "index": 200, "isCanonical": False},  # later twin
    ],
    "tokens": [
        {"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0},
        {"name": "PURR", "szDecimals": 0, "weiDecimals": 5, "index": 1},
        {"name": "HYPE", "szDecimals": 2, "weiDecimals": 8, "index": 150},
    ],
}
XYZ_META = {"universe": [{"name": "xyz:XYZ100", "szDecimals": 4, "maxLeverage": 20}]}


@pytest.fixture
def universe(shared_vectors: Path) -> Universe:
    meta = response(shared_vectors, "meta")
    return build_universe(meta, SPOT_META, [("xyz", 1, XYZ_META)])


@pytest.mark.shared_data
def test_perps_from_the_real_meta(universe: Universe) -> None:
    btc = universe.bind("BTC")
    assert (btc.venue_ref, btc.size_decimals, btc.price_decimals) == ("0", 5, 1)
    assert btc.kind is InstrumentKind.PERP and (btc.base, btc.quote) == ("BTC", "USDC")
    assert universe.bind("ETH").venue_ref == "1"
    pepe = universe.bind("kPEPE")  # lower-case prefix kept as the venue spells it
    assert (pepe.venue_ref, pepe.size_decimals, pepe.price_decimals) == ("15", 0, 6)
    assert universe.by_coin["BTC"].max_leverage == 50


@pytest.mark.shared_data
def test_spot_symbols_by_pair_and_by_coin(universe: Universe) -> None:
    purr = universe.bind("PURR/USDC")
    assert (purr.venue_ref, purr.size_decimals, purr.price_decimals) == ("10000", 0, 8)
    hype = universe.bind("HYPE/USDC")  # by token names: the first pair wins (the SDK's rule)
    assert hype.venue_ref == "10107" and hype.symbol == "HYPE/USDC"
    assert (hype.size_decimals, hype.price_decimals) == (2, 6)  # the base token's szDecimals
    assert universe.bind("@107").venue_ref == "10107"
    assert universe.bind("@200").venue_ref == "10200"
    assert universe.resolve("HYPE/USDC").coin == "@107"  # the wire name
    assert hype.kind is InstrumentKind.SPOT and (hype.base, hype.quote) == ("HYPE", "USDC")


@pytest.mark.shared_data
def test_hip3_perp_asset_id(universe: Universe) -> None:
    xyz = universe.bind("xyz:XYZ100")
    assert xyz.venue_ref == "110000"  # 100000 + 1 * 10000 + 0
    m = universe.resolve("xyz:XYZ100")
    assert (m.dex, m.only_isolated, m.base) == ("xyz", True, "XYZ100")
    assert dexes_needed(["BTC", "xyz:XYZ100", "HYPE/USDC"]) == {"xyz"}


@pytest.mark.shared_data
def test_unknown_symbol_names_close_matches(universe: Universe) -> None:
    with pytest.raises(UnknownSymbolError, match="BTCC") as info:
        universe.resolve("BTCC")
    assert "BTC" in str(info.value)
    with pytest.raises(UnknownSymbolError, match=r"close matches: .*HYPE/USDC"):
        universe.resolve("HYPE/USDT")


@pytest.mark.shared_data
def test_unconfigured_coins_get_their_canonical_symbol(universe: Universe) -> None:
    universe.bind("@107")
    assert universe.instrument_for_coin("@107").symbol == "@107"  # type: ignore[union-attr]
    assert universe.instrument_for_coin("@200").symbol == "HYPE/USDC"  # type: ignore[union-attr]
    assert universe.instrument_for_coin("NOPE") is None


@pytest.mark.shared_data
def test_price_rules(universe: Universe) -> None:
    btc = universe.bind("BTC")
    assert btc.is_valid_price(btc.price("30135"))
    assert btc.is_valid_price(btc.price("123456"))  # integers always valid
    assert not btc.is_valid_price(btc.price("30135.5"))  # 6 significant figures
    assert btc.round_price("30135.5", Rounding.UP) == btc.price("30136")
    dydx = universe.bind("DYDX")  # szDecimals 1: up to 5 decimals
    assert dydx.is_valid_price(dydx.price("2.1105"))
    assert not dydx.is_valid_price(dydx.price("2.11051"))
    purr = universe.bind("PURR/USDC")  # spot: 8 - 0 decimals, still 5 significant figures
    assert purr.is_valid_price(purr.price("0.00012345"))
    assert not purr.is_valid_price(purr.price("0.123456"))
    assert btc.min_notional == 10
