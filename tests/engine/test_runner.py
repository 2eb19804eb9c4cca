"""Runners and the supervisor: events reach the strategy in order, book updates are
conflated, state is saved when it changes, a failing strategy is restarted on schedule
and the others keep trading, a replayed fill that always raises is quarantined, and the
runner reports its timings."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from falconet.core.clock import SimClock
from falconet.core.enums import Side
from falconet.core.events import BookSnapshot, Fill, OrderAccepted
from falconet.core.ids import ClientIdFactory, StrategyCode
from falconet.engine.context import LiveContext
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.runner import QUARANTINE_AFTER, Runner
from falconet.engine.supervisor import Supervisor, restart_delay
from falconet.observe.metrics import MetricsRegistry
from falconet.strategies.api import Context, Fees, Strategy, Wakeup
from tests.engine.fakes import BTC, FakeVenue, base


class Recorder(Strategy):
    wakeup = Wakeup(every_ms=0, on_book=True)

    def __init__(self, fail_on_fill: bool = False) -> None:
        self.calls: list[Any] = []
        self.fail_on_fill = fail_on_fill
        self.count = 0

    def on_start(self, ctx: Context) -> None:
        self.calls.append("start")

    def on_book(self, ctx: Context) -> None:
        self.calls.append(("book", ctx.best_bid()))

    def on_order(self, ctx: Context, event: Any) -> None:
        self.calls.append(("order", event.client_id))

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if self.fail_on_fill:
            raise RuntimeError("strategy bug")
        self.count += 1
        self.calls.append(("fill", fill.trade_id))
        ctx.state_changed()

    def snapshot_state(self) -> dict[str, Any]:
        return {"count": self.count}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.count = state["count"]
        self.calls.append(("restored", self.count))


def make_runner(strategy_factory, **kw):  # type: ignore[no-untyped-def]
    venue = FakeVenue()
    oms = OrderManager(venue, ClientIdFactory(1))
    market = MarketState(BTC)
    owner = Owner("k", StrategyCode.GRID, BTC, lambda e: None)
    ctx = LiveContext(
        owner, oms, market, Account(), SimClock(), Fees(Decimal(0), Decimal(0)), lambda: None
    )
    runner = Runner("k", strategy_factory, ctx, **kw)
    return runner, market


def book(bid: int) -> BookSnapshot:
    return BookSnapshot(
        ts_exchange=1, ts_local=1, instrument_id=BTC.id, bids=[(bid, 5)], asks=[(bid + 10, 5)]
    )


async def test_book_updates_are_conflated_and_order_events_are_not() -> None:
    strategy = Recorder()
    runner, market = make_runner(lambda: strategy)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    for bid in (100, 101, 102):  # three updates before the runner gets a turn
        market.apply(book(bid))
        runner.book_changed()
    runner.push(OrderAccepted(**base("a")))
    runner.push(OrderAccepted(**base("b")))
    await asyncio.sleep(0.01)
    market.apply(book(102))  # same top: no callback
    runner.book_changed()
    await asyncio.sleep(0.01)
    runner.stop()
    await task
    assert strategy.calls == ["start", ("order", "a"), ("order", "b"), ("book", 102)]
    assert runner.stats.book_calls == 1


async def test_state_is_saved_after_a_change_and_restored_on_start() -> None:
    saved: dict[str, dict[str, Any]] = {"k": {"count": 7}}
    strategy = Recorder()
    runner, _ = make_runner(lambda: strategy, save_state=saved.__setitem__, load_state=saved.get)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    runner.push(Fill(**base("a"), trade_id="t1", side=Side.BUY, price=1, size=1))
    await asyncio.sleep(0.01)
    runner.stop()
    await task
    assert strategy.calls[0] == ("restored", 7)
    assert saved["k"] == {"count": 8}


def test_restart_delay_doubles_from_one_second_to_a_thirty_second_cap() -> None:
    assert [restart_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


async def test_a_failing_runner_is_restarted_with_backoff_while_the_others_trade() -> None:
    delays: list[float] = []
    reconciled: list[str] = []

    async def fake_sleep(s: float) -> None:
        delays.append(s)
        await asyncio.sleep(0)

    async def reconcile(runner: Runner) -> None:
        reconciled.append(runner.key)

    lives: list[Recorder] = []

    def bad() -> Recorder:
        lives.append(Recorder(fail_on_fill=True))
        return lives[-1]

    good = Recorder()
    failing, _ = make_runner(bad)
    failing.key = "bad"
    healthy, _ = make_runner(lambda: good)
    sup = Supervisor(reconcile=reconcile, sleep=fake_sleep)
    sup.start(failing)
    sup.start(healthy)
    await healthy.started.wait()
    for i in range(3):
        await failing.started.wait()
        failing.push(Fill(**base("x"), trade_id=f"t{i}", side=Side.BUY, price=1, size=1))
        healthy.push(Fill(**base("y"), trade_id=f"u{i}", side=Side.BUY, price=1, size=1))
        await asyncio.sleep(0.01)
    await failing.started.wait()
    await sup.stop()
    assert delays == [1, 2, 4]
    assert reconciled == ["bad", "bad", "bad"]
    assert len(lives) == 4  # a fresh instance each life
    assert [c for c in good.calls if c[0] == "fill"] == [
        ("fill", "u0"),
        ("fill", "u1"),
        ("fill", "u2"),
    ]
    [snap_bad, snap_good] = sup.snapshot()
    assert snap_bad["restarts"] == 3 and "RuntimeError: strategy bug" in str(snap_bad["last_error"])
    assert snap_good["restarts"] == 0


async def test_a_restarted_life_gets_the_book_even_if_the_last_one_died_mid_batch() -> None:
    lives: list[Recorder] = []

    def make() -> Recorder:
        lives.append(Recorder(fail_on_fill=len(lives) == 0))
        return lives[-1]

    runner, market = make_runner(make)
    market.apply(book(100))

    async def no_wait(s: float) -> None:
        await asyncio.sleep(0)

    sup = Supervisor(sleep=no_wait)
    sup.start(runner)
    await runner.started.wait()
    runner.book_changed()  # a batch of [BOOK, Fill]: the fill raises
    runner.push(Fill(**base("x"), trade_id="t1", side=Side.BUY, price=1, size=1))
    await asyncio.sleep(0.05)
    market.apply(book(105))
    runner.book_changed()
    await asyncio.sleep(0.05)
    await sup.stop()
    assert len(lives) == 2
    assert ("book", 105) in lives[1].calls  # book updates still reach the new life


class PoisonedBy(Recorder):
    """Raises on one fill, whenever it sees it."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if fill.trade_id == self.poison:
            raise RuntimeError(f"cannot count {fill.trade_id}")
        super().on_fill(ctx, fill)


def trade(trade_id: str, vid: str = "v1") -> Fill:
    return Fill(**base("x", vid=vid), trade_id=trade_id, side=Side.BUY, price=1, size=1)


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_replayed_fill_that_always_raises_is_quarantined_then_the_strategy_runs() -> None:
    lives: list[PoisonedBy] = []

    def make() -> PoisonedBy:
        lives.append(PoisonedBy("t2"))
        return lives[-1]

    async def replay(strategy: Strategy) -> list[Fill]:
        return [trade("t1"), trade("t2"), trade("t3")]  # the venue lists them each life

    metrics = MetricsRegistry()
    runner, _ = make_runner(make, replay=replay, metrics=metrics)
    sup = Supervisor(sleep=no_wait, metrics=metrics)
    sup.start(runner)
    await asyncio.wait_for(runner.started.wait(), 2)
    assert len(lives) == QUARANTINE_AFTER + 1  # three lives died on t2, the fourth runs
    assert [c for c in lives[-1].calls if c[0] == "fill"] == [("fill", "t1"), ("fill", "t3")]
    runner.push(trade("t4"))  # and trades on
    await asyncio.sleep(0.01)
    assert lives[-1].calls[-1] == ("fill", "t4")
    [snap] = sup.snapshot()
    assert snap["quarantined"] == [{"order": "v1", "trade_id": "t2", "tries": QUARANTINE_AFTER}]
    assert snap["restarts"] == QUARANTINE_AFTER and snap["halted"] is False
    m = metrics.snapshot()
    assert m["falconet_runner_fills_quarantined_total"]["samples"][0]["value"] == 1
    assert m["falconet_runner_replay_skipped_total"]["samples"][0]["value"] == 1
    await sup.stop()


async def test_a_live_fill_that_raises_is_not_skipped_and_a_success_clears_its_tries() -> None:
    lives: list[PoisonedBy] = []
    listed: list[Fill] = []

    def make() -> PoisonedBy:
        lives.append(PoisonedBy("bad" if len(lives) < 2 else "none"))  # fixed in the 3rd life
        return lives[-1]

    async def replay(strategy: Strategy) -> list[Fill]:
        return list(listed)

    runner, _ = make_runner(make, replay=replay)
    sup = Supervisor(sleep=no_wait)
    sup.start(runner)
    await runner.started.wait()
    listed.append(trade("bad"))
    runner.push(trade("bad"))  # live: the life ends, no try is counted
    await asyncio.sleep(0.05)
    assert len(lives) == 3 and runner.quarantined == {}
    assert ("fill", "bad") in lives[-1].calls  # replayed to the third life, which counts it
    assert runner.replay_failures == {}  # the second life's failed try, forgotten
    await sup.stop()


async def test_the_runner_times_its_batches_and_the_age_of_the_book_it_delivers() -> None:
    strategy = Recorder()
    runner, market = make_runner(lambda: strategy, time_scale=20.0)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    clock = runner.ctx.clock
    assert isinstance(clock, SimClock)
    market.apply(
        BookSnapshot(
            ts_exchange=1, ts_local=1_000, instrument_id=BTC.id, bids=[(100, 5)], asks=[(110, 5)]
        )
    )
    clock.advance_to(101_000)  # 100 µs on the paper venue's clock: 5 µs of wall time at 20×
    runner.book_changed()
    await asyncio.sleep(0.01)
    runner.stop()
    await task
    registry = MetricsRegistry()
    runner.register_metrics(registry)  # the same handles, adopted later
    snap = registry.snapshot()
    [age] = snap["falconet_runner_book_latency_ns"]["samples"]
    assert age["labels"] == {"entry": "k"} and age["count"] == 1 and age["p50"] == 5_000
    [dispatch] = snap["falconet_runner_dispatch_ns"]["samples"]
    assert isinstance(dispatch["count"], int) and dispatch["count"] >= 2  # the book, the stop
    assert snap["falconet_runner_book_calls_total"]["samples"][0]["value"] == 1
