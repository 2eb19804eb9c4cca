"""Inline book dispatch: a book update reaches an idle runner's strategy inside the
venue's call, and only then. A fill queued ahead still goes first, a book emitted while a
strategy callback runs is queued (never recursed into) and conflated, and an `on_book`
that raises inline ends the life through the supervisor as one raised in the runner's task."""

from __future__ import annotations

import asyncio
from typing import Any

from falconet.core.events import Event
from falconet.engine.market import Account
from falconet.engine.router import Router
from falconet.engine.runner import Runner
from falconet.engine.supervisor import Supervisor
from falconet.strategies.api import Context
from tests.engine.test_runner import Recorder, book, make_runner, no_wait, trade
from tests.engine.test_supervisor import until


async def started(strategy: Recorder, **kw: Any) -> tuple[Runner, Any, asyncio.Task[None]]:
    runner, market = make_runner(lambda: strategy, **kw)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    return runner, market, task


async def stop(runner: Runner, task: asyncio.Task[None]) -> None:
    runner.stop()
    await task


async def test_an_idle_runner_gets_the_book_inside_the_call() -> None:
    strategy = Recorder()
    runner, market, task = await started(strategy)
    market.apply(book(100))
    runner.book_updated()
    assert strategy.calls == ["start", ("book", 100)]  # no await: no hop through the loop
    market.apply(book(100))  # same top: no callback
    runner.book_updated()
    assert runner.inbox.empty() and runner.stats.book_calls == 1
    await stop(runner, task)


async def test_a_fill_queued_before_the_book_reaches_the_strategy_first() -> None:
    strategy = Recorder()
    runner, market, task = await started(strategy)
    runner.push(trade("t1"))
    market.apply(book(100))
    runner.book_updated()  # something is queued ahead: the book waits its turn
    market.apply(book(101))
    runner.book_updated()
    assert strategy.calls == ["start"]
    await asyncio.sleep(0.01)
    assert strategy.calls == ["start", ("fill", "t1"), ("book", 101)]  # conflated
    await stop(runner, task)


class Reentrant(Recorder):
    """Its first `on_book` makes books arrive, as a venue emitting during a request would."""

    def __init__(self, emit: Any) -> None:
        super().__init__()
        self.emit = emit
        self.depth = 0
        self.max_depth = 0

    def on_book(self, ctx: Context) -> None:
        self.depth += 1
        self.max_depth = max(self.max_depth, self.depth)
        super().on_book(ctx)
        if len(self.calls) == 2:
            self.emit()
        self.depth -= 1


async def test_a_book_arriving_during_a_callback_is_queued_not_recursed() -> None:
    other = Recorder()
    runner_b, market_b, task_b = await started(other)
    holder: list[tuple[Runner, Any]] = []

    def emit() -> None:
        runner, market = holder[0]
        for bid in (101, 102):
            market.apply(book(bid))
            runner.book_updated()
        market_b.apply(book(200))
        runner_b.book_updated()  # another runner: not inside this callback either

    strategy = Reentrant(emit)
    runner, market, task = await started(strategy)
    holder.append((runner, market))
    market.apply(book(100))
    runner.book_updated()
    assert strategy.calls == ["start", ("book", 100)] and other.calls == ["start"]
    await asyncio.sleep(0.01)
    assert strategy.calls == ["start", ("book", 100), ("book", 102)]  # one call, the newest
    assert strategy.max_depth == 1
    assert other.calls == ["start", ("book", 200)]
    await stop(runner, task)
    await stop(runner_b, task_b)


class RaisesOnBook(Recorder):
    def on_book(self, ctx: Context) -> None:
        super().on_book(ctx)
        raise RuntimeError("bad book")


async def test_an_inline_on_book_that_raises_ends_the_life_through_the_supervisor() -> None:
    lives: list[Recorder] = []

    def make() -> Recorder:
        lives.append(RaisesOnBook() if not lives else Recorder())
        return lives[-1]

    runner, market = make_runner(make)
    sup = Supervisor(sleep=no_wait)
    sup.start(runner)
    await runner.started.wait()
    market.apply(book(100))
    runner.book_updated()  # raises inside: not into the venue's call
    runner.push(trade("t1"))  # after the failure: kept for the next life
    assert lives[0].calls == ["start", ("book", 100)]
    await asyncio.sleep(0.05)
    assert len(lives) == 2
    assert lives[1].calls == ["start", ("fill", "t1"), ("book", 100)]
    [snap] = sup.snapshot()
    assert snap["restarts"] == 1 and snap["last_error"] == "RuntimeError: bad book"
    await sup.stop()


async def test_inline_failures_trip_the_breaker() -> None:
    lives: list[Recorder] = []

    def make() -> Recorder:
        lives.append(RaisesOnBook())
        return lives[-1]

    runner, market = make_runner(make)
    halts: list[str] = []
    sup = Supervisor(sleep=no_wait, halt_failures=2, on_halt=lambda k, r: halts.append(r))
    sup.start(runner)
    await asyncio.wait_for(runner.started.wait(), 2)
    market.apply(book(101))
    runner.book_updated()  # fails inline; the next life fails on the same book, queued
    await until(lambda: sup.lives["k"].halted)
    assert len(lives) == 2 and "2 failures" in halts[0] and "bad book" in halts[0]
    market.apply(book(102))
    runner.book_updated()  # a halted runner drops it
    assert runner.inbox.empty() and lives[-1].calls == ["start", ("book", 101)]
    await sup.stop()


async def test_the_router_dispatches_inline_only_for_venues_that_allow_it() -> None:
    for inline in (True, False):
        strategy = Recorder()
        runner, market, task = await started(strategy)
        router = Router("paper", runner.ctx.oms, Account(), inline_books=inline)
        router.add(runner, market)
        snapshot: Event = book(100)
        router(snapshot)
        assert (("book", 100) in strategy.calls) is inline
        await asyncio.sleep(0.01)
        assert strategy.calls == ["start", ("book", 100)]
        await stop(runner, task)


class RefusedOnce(Recorder):
    """Its first `on_book` sends an order the OMS refuses locally (size 0)."""

    def on_book(self, ctx: Context) -> None:
        super().on_book(ctx)
        if len(self.calls) == 2:
            from falconet.core.enums import Side

            ctx.submit(Side.BUY, 600000, 0)


async def test_a_local_refusal_reaches_the_strategy_before_the_next_inline_book() -> None:
    """The OMS answers a refusal after the callback returns (call_soon); a book that
    arrives before that answer is delivered (frames already buffered in the socket) must
    wait for it, not overtake it inline."""
    strategy = RefusedOnce()
    runner, market, task = await started(strategy)
    runner.ctx.owner.deliver = runner.push  # as the engine wires it
    market.apply(book(100))
    runner.book_updated()  # inline: on_book sends the refused order
    market.apply(book(101))
    runner.book_updated()  # the refusal is not delivered yet: queued behind it
    assert strategy.calls[:2] == ["start", ("book", 100)] and len(strategy.calls) == 2
    await asyncio.sleep(0.01)
    assert [c[0] if isinstance(c, tuple) else c for c in strategy.calls] == [
        "start", "book", "order", "book",
    ]  # fmt: skip
    assert strategy.calls[-1] == ("book", 101)
    await stop(runner, task)
