"""The supervisor's breaker: a strategy that keeps raising is halted for its entry (not
restarted, shown, reported, its orders canceled by the engine) while the other entries
keep trading; failures spread wider than the window never halt."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from falconet.config.loader import parse_config_text
from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.events import BalanceUpdate, BookSnapshot, Fill, OrderAccepted
from falconet.core.instrument import Instrument
from falconet.engine.engine import Engine
from falconet.engine.supervisor import HALT_FAILURES, Supervisor
from falconet.engine.venue import OrderReport
from falconet.observe.metrics import MetricsRegistry
from falconet.strategies.api import Context, Strategy
from tests.engine.fakes import BTC, FakeVenue, base
from tests.engine.test_runner import Recorder, make_runner

ETH = Instrument.with_increments(
    Venue.PAPER, "ETH/USD", "ETH", "USD", InstrumentKind.SPOT, tick="0.01", lot="0.001"
)


class AlwaysRaises(Recorder):
    def on_start(self, ctx: Context) -> None:
        raise RuntimeError("broken strategy")


class BrokenGrid(Strategy):
    """What a grid whose code broke becomes: it raises before trading."""

    def on_start(self, ctx: Context) -> None:
        raise RuntimeError("broken grid")


def fill(trade_id: str, cid: str = "y") -> Fill:
    return Fill(**base(cid), trade_id=trade_id, side=Side.BUY, price=1, size=1)


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def until(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_a_strategy_that_always_raises_is_halted_and_the_others_keep_trading() -> None:
    lives: list[Recorder] = []
    halts: list[tuple[str, str]] = []

    def broken() -> Recorder:
        lives.append(AlwaysRaises())
        return lives[-1]

    good = Recorder()
    metrics = MetricsRegistry()
    failing, _ = make_runner(broken)
    failing.key = "bad"
    healthy, _ = make_runner(lambda: good)
    sup = Supervisor(sleep=no_wait, on_halt=lambda k, r: halts.append((k, r)), metrics=metrics)
    sup.start(failing)
    sup.start(healthy)
    await healthy.started.wait()
    await until(lambda: sup.lives["bad"].halted)
    for i in range(3):  # after the halt: no new life, the healthy runner still served
        failing.push(fill(f"x{i}", "x"))
        healthy.push(fill(f"u{i}"))
        await asyncio.sleep(0.01)
    assert len(lives) == HALT_FAILURES
    assert [c for c in good.calls if c[0] == "fill"] == [
        ("fill", "u0"),
        ("fill", "u1"),
        ("fill", "u2"),
    ]
    assert failing.inbox.empty()  # a halted runner keeps nothing it is sent
    [(key, reason)] = halts
    assert key == "bad" and "5 failures within 600 s" in reason and "broken strategy" in reason
    snap_bad, snap_good = sup.snapshot()
    assert snap_bad["halted"] is True and snap_bad["running"] is False
    assert snap_bad["halted_reason"] == reason
    assert isinstance(snap_bad["halted_since_ns"], int)
    assert snap_bad["restarts"] == HALT_FAILURES - 1  # the fifth failure is not restarted
    assert snap_good["halted"] is False and snap_good["halted_reason"] is None
    m = metrics.snapshot()
    assert m["falconet_supervisor_halted"]["samples"] == [
        {"labels": {"entry": "bad"}, "value": 1},
        {"labels": {"entry": "k"}, "value": 0},
    ]
    assert m["falconet_supervisor_failures_total"]["samples"][0]["value"] == HALT_FAILURES
    await sup.stop()


async def test_failures_spread_wider_than_the_window_keep_the_strategy_restarting() -> None:
    now = [0.0]

    async def sleep_a_minute(seconds: float) -> None:
        now[0] += 60.0
        await asyncio.sleep(0)

    lives: list[Recorder] = []

    def broken() -> Recorder:
        lives.append(AlwaysRaises())
        return lives[-1]

    runner, _ = make_runner(broken)
    sup = Supervisor(
        sleep=sleep_a_minute, halt_failures=3, halt_window_s=100.0, monotonic=lambda: now[0]
    )
    sup.start(runner)
    await until(lambda: len(lives) >= 8)
    assert not sup.lives["k"].halted  # never 3 failures within 100 s
    await sup.stop()

    lives.clear()
    now[0] = 0.0
    fast = Supervisor(sleep=no_wait, halt_failures=3, halt_window_s=100.0, monotonic=lambda: now[0])
    again, _ = make_runner(broken)
    fast.start(again)
    await until(lambda: fast.lives["k"].halted)
    assert len(lives) == 3
    await fast.stop()


async def test_a_failing_halt_callback_does_not_undo_the_halt() -> None:
    def callback(key: str, reason: str) -> None:
        raise RuntimeError("risk engine down")

    runner, _ = make_runner(AlwaysRaises)
    sup = Supervisor(sleep=no_wait, halt_failures=2, on_halt=callback)
    sup.start(runner)
    await until(lambda: sup.lives["k"].halted)
    task = sup.lives["k"].task
    assert task is not None
    await asyncio.wait_for(task, 1)  # the runner's task ended: nothing restarts it
    await asyncio.sleep(0.01)
    assert runner.lives == 2 and sup.snapshot()[0]["halted"] is True
    await sup.stop()


# --- the engine --------------------------------------------------------------------------

CONFIG = {
    "orders": {"cancel_on_shutdown": False},
    "trading": [
        {"symbol": s, "exchange": "paper", "strategy": "Grid", "qty": q, "grid_interval": 0.1}
        for s, q in (("BTC/USD", "0.001"), ("ETH/USD", "0.01"))
    ],
}


def funded_venue() -> FakeVenue:
    venue = FakeVenue()
    venue.instruments["ETH/USD"] = ETH
    venue.balance_list = [
        BalanceUpdate(
            ts_exchange=1, ts_local=1, venue=Venue.PAPER, asset=a, total=Decimal(n), free=Decimal(n)
        )
        for a, n in (("USD", 100_000), ("BTC", 1), ("ETH", 10))
    ]
    return venue


def books(venue: FakeVenue, bump: int = 0) -> None:
    now = time.time_ns()
    for inst, px in ((BTC, 200_000), (ETH, 300_000)):
        venue.emit(
            BookSnapshot(
                ts_exchange=now,
                ts_local=now,
                instrument_id=inst.id,
                bids=[(px + bump, 50)],
                asks=[(px + bump + 10, 50)],
            )
        )


def acknowledge(venue: FakeVenue) -> None:
    """Every placed order accepted and listed, so a restart's reconciliation keeps it."""
    for n, r in enumerate(venue.placed):
        vid = f"v{n}"
        fields = base(r.client_id, vid=vid) | {"instrument_id": r.instrument.id}
        venue.emit(OrderAccepted(**fields))
        venue.listed.append(
            OrderReport(r.client_id, vid, r.instrument.id, r.side, r.price or 0, r.quantity, 0)
        )


async def test_the_engine_cancels_a_halted_entrys_orders_only_and_reports_it(
    tmp_path: Path,
) -> None:
    venue = funded_venue()
    engine = Engine(
        parse_config_text(json.dumps(CONFIG)), data_dir=tmp_path, venues={Venue.PAPER: venue}
    )
    engine.supervisor.sleep = no_wait  # no real back-off between the lives
    await engine.start()
    try:
        books(venue)
        await until(lambda: len(venue.placed) == 4)
        acknowledge(venue)
        btc, eth = engine.slots
        assert btc.runner.strategy is not None

        def raises(ctx: Context) -> None:
            raise RuntimeError("grid bug")

        btc.runner.strategy.on_book = raises  # type: ignore[method-assign]
        btc.runner.make_strategy = BrokenGrid  # every later life fails at once
        books(venue, bump=100)
        await until(lambda: engine.supervisor.lives[btc.plan.key].halted)
        await until(lambda: len(venue.cancels) >= 2)
        await asyncio.sleep(0.02)  # nothing else is canceled after a moment
        canceled = {c.client_id for c in venue.cancels}
        assert canceled == {r.client_id for r in venue.placed if r.instrument.id == BTC.id}
        assert eth.runner.running and not engine.supervisor.lives[eth.plan.key].halted
        snap = engine.snapshot()
        runners = {r["key"]: r for r in snap["runners"]}  # type: ignore[attr-defined]
        assert runners[btc.plan.key]["halted"] is True
        assert "broken grid" in runners[btc.plan.key]["halted_reason"]
        metrics = snap["metrics"]
        assert isinstance(metrics, dict)
        halted = {
            s["labels"]["entry"]: s["value"]
            for s in metrics["falconet_supervisor_halted"]["samples"]
        }
        assert halted == {btc.plan.key: 1, eth.plan.key: 0}
    finally:
        await engine.stop()
