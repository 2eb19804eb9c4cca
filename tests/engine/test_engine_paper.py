"""The whole engine against the paper venue: it trades, journals every fill once, keeps
state, adopts its resting orders after a restart instead of placing them again, deals
with orders it does not own as configured, and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from falconet.config.loader import parse_config_text
from falconet.core.enums import Side, Venue
from falconet.core.errors import ConfigError, FalconetError
from falconet.engine.engine import Engine
from falconet.engine.venue import OrderRequest
from falconet.venues.paper import PaperVenue

pytestmark = pytest.mark.timeout(120)


def config(speed: int = 60, *, cancel: bool = True, unknown: str = "report", **extra: Any):  # type: ignore[no-untyped-def]
    doc: dict[str, Any] = {
        "paper": {
            "balances": {"USD": "20000", "BTC": "0.02", "SOL": "2"},
            "speed": str(speed),
            "seed": 11,
            "volatility": "1.2",
        },
        "orders": {"cancel_on_shutdown": cancel, "unknown_orders": unknown},
        "trading": [
            {
                "symbol": "BTC/USD",
                "exchange": "paper",
                "strategy": "Grid",
                "qty": "0.0008",
                "grid_interval": 0.08,
            },
            {"symbol": "SOL/USD", "exchange": "paper", "strategy": "MM", "qty": "0.3"},
        ],
        **extra,
    }
    return parse_config_text(json.dumps(doc), "<test>")


def journal_fills(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "journal.sqlite3") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT order_ref, trade_id FROM fills")]


async def trade_for(engine: Engine, seconds: float) -> None:
    await engine.start()
    await asyncio.sleep(seconds)


async def test_engine_trades_paper_journals_each_fill_once_and_stops_clean(tmp_path: Path) -> None:
    engine = Engine(config(), data_dir=tmp_path)
    seen: list[str] = []
    engine.fill_listeners.append(lambda plan, inst, fill: seen.append(fill.trade_id))
    await trade_for(engine, 6)
    venue = engine.clients[Venue.PAPER]
    assert isinstance(venue, PaperVenue)
    assert engine.supervisor.snapshot()[0]["running"]
    await engine.stop()
    venue_fills = [f.trade_id for f in await venue.fills_since(0)]
    assert len(seen) >= 3, "the grid and the market maker should have traded"
    assert sorted(seen) == sorted(venue_fills)  # every fill the venue made, once
    rows = journal_fills(tmp_path)
    assert len(rows) == len(set(rows)) == len(venue_fills)
    assert await venue.open_orders() == []  # canceled on shutdown
    state = json.loads((tmp_path / "accumulation_state.json").read_text())
    assert "Grid:BTC/USD:paper" in state
    assert "accumulated_profit" in state["Grid:BTC/USD:paper"]


async def test_a_restart_adopts_resting_orders_instead_of_placing_them_again(
    tmp_path: Path,
) -> None:
    first = Engine(config(cancel=False), data_dir=tmp_path)
    await trade_for(first, 2)
    await first.stop()
    paper = first.clients[Venue.PAPER]
    resting = {o.client_id for o in await paper.open_orders()}
    assert resting, "orders stay at the venue when cancel_on_shutdown is off"

    second = Engine(config(cancel=False), data_dir=tmp_path)
    await second.start()
    report = second.reconciled[Venue.PAPER]
    assert set(report.adopted) == resting and report.unknown == []
    await asyncio.sleep(2)
    listed = await second.clients[Venue.PAPER].open_orders()
    await second.stop()
    grid = [o for o in listed if o.instrument_id == "BTC/USD@paper"]
    buys = [o for o in grid if o.side is Side.BUY]
    assert len(buys) <= 1, "the grid keeps one trailing buy, not one per run"
    prices = [(o.side, o.price) for o in grid]
    assert len(prices) == len(set(prices)), "no order placed twice at the same price"


@pytest.mark.parametrize(("action", "left"), [("report", 1), ("cancel", 0)])
async def test_orders_nobody_owns_are_reported_or_canceled(
    tmp_path: Path, action: str, left: int
) -> None:
    cfg = config(unknown=action)
    stranger = PaperVenue(cfg.paper, ["BTC/USD", "SOL/USD"], state_dir=tmp_path)
    await stranger.connect()
    inst = stranger.instrument("BTC/USD")
    bid = stranger.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await stranger.place(
        OrderRequest("placed-by-hand", inst, Side.BUY, inst.size("0.001"), bid // 2)
    )
    await asyncio.sleep(0.3)
    await stranger.close()

    engine = Engine(cfg, data_dir=tmp_path)
    await engine.start()
    report = engine.reconciled[Venue.PAPER]
    await asyncio.sleep(0.5)
    hand = [
        o
        for o in await engine.clients[Venue.PAPER].open_orders()
        if o.client_id == "placed-by-hand"
    ]
    await engine.stop()
    assert len(report.unknown) == 1
    assert len(hand) == left


def test_entries_on_venues_this_version_cannot_trade_stop_startup(tmp_path: Path) -> None:
    doc = {
        "trading": [{"symbol": "BTC/USD", "exchange": "kraken", "strategy": "Grid", "qty": "0.001"}]
    }
    cfg = parse_config_text(json.dumps(doc), "cfg.json")
    with pytest.raises(
        ConfigError, match=r"cfg.json: trading\[0\].*cannot trade kraken yet.*--paper"
    ):
        Engine(cfg, data_dir=tmp_path)
    engine = Engine(cfg, data_dir=tmp_path, paper=True)
    assert [p.key for p in engine.plans] == ["Grid:BTC/USD:paper"]
    with pytest.raises(FalconetError, match="in use by another falconet process"):
        Engine(cfg, data_dir=tmp_path, paper=True)  # one engine per data directory
    asyncio.run(engine.stop())  # never started: stopping just releases the files
    Engine(cfg, data_dir=tmp_path, paper=True)  # free again


async def test_a_bad_entry_is_refused_before_anything_trades(tmp_path: Path) -> None:
    entry = {"symbol": "BTC/USD", "exchange": "paper", "strategy": "MM", "qty": "0.0000001"}
    doc = {"paper": {"balances": {"USD": "100"}}, "trading": [entry]}
    engine = Engine(parse_config_text(json.dumps(doc), "cfg.json"), data_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"qty.*below the venue minimum"):
        await engine.start()
    paper = engine.clients[Venue.PAPER]
    assert isinstance(paper, PaperVenue) and paper.closed  # nothing left running
    assert await paper.open_orders() == []


async def test_the_seed_four_venue_config_paper_trades_with_paper(
    shared_spec: Path, tmp_path: Path
) -> None:
    text = (shared_spec / "seeds/000_6eff227c6538a52d.txt").read_text(encoding="utf-8")
    start = text.index('{\n"logging_level"')
    _, end = json.JSONDecoder().raw_decode(text, start)
    cfg = parse_config_text(text[start:end], "seed.json")
    with pytest.raises(ConfigError, match="cannot trade kraken yet"):
        Engine(cfg, data_dir=tmp_path)
    engine = Engine(cfg, data_dir=tmp_path, paper=True)
    await engine.start()
    await asyncio.sleep(1.5)
    listed = await engine.clients[Venue.PAPER].open_orders()
    snapshot = engine.supervisor.snapshot()
    await engine.stop()
    assert [s["key"] for s in snapshot] == [
        "Grid:BTC/USD:paper",
        "Grid:HYPE/USDC:paper",
        "Grid:ETH/USDC:paper",
        "Grid:TQQQ:paper",
    ]
    assert all(s["running"] and s["restarts"] == 0 for s in snapshot)
    # every grid opened its sell and its buy on the default paper account
    assert {o.instrument_id for o in listed} == {
        "BTC/USD@paper",
        "HYPE/USDC@paper",
        "ETH/USDC@paper",
        "TQQQ@paper",
    }
