"""Building a grid from a config entry, and the per-venue flags."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import pytest

from falconet.config.loader import parse_config_text
from falconet.config.schema import Config
from falconet.config.values import DecimalRange
from falconet.core.enums import Venue
from falconet.strategies.fear_greed import FixedFearGreed
from falconet.strategies.grid import VENUE_FLAGS, GridParamError, QuoteReservations, grid_from_entry
from falconet.strategies.grid.params import venue_flags
from tests.strategies.test_grid_harness import HYPE, KRAKEN, make_ctx

D = Decimal


def _config(*entries: dict[str, Any], **top: Any) -> Config:
    return parse_config_text(json.dumps({"trading": list(entries), **top}))


def test_grid_from_entry_takes_every_setting() -> None:
    config = _config(
        {
            "symbol": "HYPE/USDC",
            "exchange": "hyperliquid",
            "qty": "0.35",
            "strategy": "Grid",
            "grid_interval": [0.5, 1.5],
            "sell_mult": "0.999",
            "accumulation_buffer": [0.01, 1],
            "maker_fee": 0.0002,
            "base_accumulation": False,
        },
        fng_check_threshold=2.5,
    )
    source = FixedFearGreed(None)
    grid = grid_from_entry(config.trading[0], config, HYPE, source)
    p = grid.params
    assert p.flags is VENUE_FLAGS[Venue.HYPERLIQUID]
    assert p.qty == D("0.35") and p.sell_mult == D("0.999")
    assert p.grid_interval == DecimalRange(D("0.5"), D("1.5"))
    assert p.accumulation_buffer == DecimalRange(D("0.01"), D("1"))
    assert p.fng_check_threshold == D("2.5") and p.maker_fee == D("0.0002")
    assert not p.persist and grid.resolver.source is source


def test_the_configured_maker_fee_wins_over_the_venue_fee() -> None:
    config = _config(
        {
            "symbol": "HYPE/USDC",
            "exchange": "hyperliquid",
            "qty": "1",
            "strategy": "Grid",
            "maker_fee": 0.0002,
        }
    )
    grid = grid_from_entry(config.trading[0], config, HYPE, None)
    grid.refresh_maker_fee(make_ctx(HYPE, maker_fee="0.0004"))
    assert grid.maker_fee == D("0.0002")


def test_kraken_entry_uses_the_defaults() -> None:
    config = _config(
        {"symbol": "BTC/USD", "exchange": "kraken", "qty": "0.001", "strategy": "Grid"}
    )
    grid = grid_from_entry(config.trading[0], config, KRAKEN, None)
    assert grid.params.grid_interval == DecimalRange(D("1.0"), D("1.0"))
    assert grid.params.fng_check_threshold == D("1.5")
    assert grid.params.flags.sell_uses_mult and not grid.params.flags.use_reserved_base_guard


def test_grids_of_one_account_share_their_quote_reservations() -> None:
    config = _config(
        {"symbol": "BTC/USD", "exchange": "kraken", "qty": "0.001", "strategy": "Grid"}
    )
    shared = QuoteReservations()
    grid = grid_from_entry(config.trading[0], config, KRAKEN, None, reservations=shared)
    assert grid.reservations is shared


def test_an_mm_entry_is_not_a_grid() -> None:
    config = _config(
        {"symbol": "HYPE/USDC", "exchange": "hyperliquid", "qty": "1", "strategy": "MM"}
    )
    with pytest.raises(GridParamError, match="not Grid"):
        grid_from_entry(config.trading[0], config, HYPE, None)


def test_a_qty_the_instrument_cannot_trade_stops_with_the_entry_named() -> None:
    config = _config(
        {"symbol": "HYPE/USDC", "exchange": "hyperliquid", "qty": "0.355", "strategy": "Grid"}
    )
    with pytest.raises(GridParamError, match=r"HYPE/USDC@hyperliquid: qty 0.355"):
        grid_from_entry(config.trading[0], config, HYPE, None)


def test_paper_behaves_like_hyperliquid_without_base_fees() -> None:
    hl, paper = asdict(VENUE_FLAGS[Venue.HYPERLIQUID]), asdict(VENUE_FLAGS[Venue.PAPER])
    differences = {k for k in hl if hl[k] != paper[k]}
    assert differences == {"name", "buy_fee_in_base"} and not paper["buy_fee_in_base"]
    sim = asdict(VENUE_FLAGS[Venue.SIM])
    assert {k for k in sim if sim[k] != paper[k]} == {"name"}


def test_flags_per_venue_follow_the_table() -> None:
    f = VENUE_FLAGS
    assert [f[v].track_pending_sells for v in (Venue.KRAKEN, Venue.HYPERLIQUID)] == [True, False]
    assert f[Venue.IBKR].whole_share_accumulation and f[Venue.IBKR].tiered_commission
    assert f[Venue.LIGHTER].floor_qty_to_lot and f[Venue.LIGHTER].buy_fee_in_base
    assert f[Venue.ALPACA].remaintain_expired_sells and not f[Venue.ALPACA].use_accumulation_sells
    assert f[Venue.KRAKEN].asset_low_requires_balance_change
    assert [v for v in f if f[v].check_stale_balance] == [Venue.KRAKEN, Venue.IBKR, Venue.ALPACA]
    assert not any(flags.adopt_untagged for flags in f.values())


def test_a_venue_the_grid_does_not_trade_is_refused() -> None:
    with pytest.raises(GridParamError, match="binance"):
        venue_flags(Venue.BINANCE)
