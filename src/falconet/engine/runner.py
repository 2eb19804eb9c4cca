"""One runner per trading entry: it owns a strategy instance and feeds it, in order and
synchronously, the events of its instrument, its orders and its account.

Market data is conflated: however many book updates arrive while the strategy is busy,
it gets one `on_book` for the newest book (only if the top of book changed). Order
events, fills and balances are never conflated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from falconet.core.events import (
    BalanceUpdate,
    Event,
    Fill,
    OrderEvent,
    PositionUpdate,
    Trade,
)
from falconet.engine.context import LiveContext
from falconet.observe.log import get_logger
from falconet.strategies.api import Strategy

log = get_logger("runner")


class Signal(Enum):
    BOOK = "book"
    TIMER = "timer"
    STOP = "stop"


Inbound = Event | Signal
StateSink = Callable[[str, dict[str, object]], None]
# Fills the strategy missed while it was not running, fetched once its state is restored.
Replay = Callable[[Strategy], Awaitable[list[Fill]]]


@dataclass
class RunnerStats:
    callbacks: int = 0
    book_calls: int = 0
    fills: int = 0


class Runner:
    def __init__(
        self,
        key: str,
        make_strategy: Callable[[], Strategy],
        ctx: LiveContext,
        *,
        save_state: StateSink | None = None,
        load_state: Callable[[str], dict[str, object] | None] | None = None,
        time_scale: float = 1.0,
        replay: Replay | None = None,
    ) -> None:
        self.key = key
        self.make_strategy = make_strategy
        self.ctx = ctx
        self.save_state = save_state
        self.load_state = load_state
        self.time_scale = time_scale  # simulated seconds per wall second (paper venues)
        self.replay = replay
        self.inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self.strategy: Strategy | None = None
        self.running = False
        self.stats = RunnerStats()
        self._book_pending = False
        self._dirty = False
        self._last_top: tuple[int | None, int, int | None, int] | None = None
        self.lives = 0
        # set once a strategy instance has run `on_start` (cleared when it ends)
        self.started = asyncio.Event()
        ctx._state_changed = self._mark_dirty

    # --- feeding (called synchronously by the engine's router) ------------------------------

    def push(self, event: Inbound) -> None:
        self.inbox.put_nowait(event)

    @property
    def wants_trades(self) -> bool:
        return self.strategy is not None and self.strategy.wakeup.on_trade

    def book_changed(self) -> None:
        if not self._book_pending:
            self._book_pending = True
            self.inbox.put_nowait(Signal.BOOK)

    def _mark_dirty(self) -> None:
        self._dirty = True

    # --- one life of the strategy ----------------------------------------------------

    async def run(self) -> None:
        """Run until STOP; an exception from the strategy ends the run (the supervisor
        restarts it)."""
        strategy = self.make_strategy()
        state = self.load_state(self.key) if self.load_state else None
        if state:
            strategy.restore_state(state)
        # Missed fills go before anything live: a live fill counted first would move the
        # strategy's watermark past them.
        missed = await self.replay(strategy) if self.replay is not None else []
        self.strategy = strategy
        self.running = True
        # a life that ended mid-batch may have left a book signal half-taken
        self._book_pending = False
        self._last_top = None
        timer = self._start_timer(strategy)
        self.lives += 1
        try:
            strategy.on_start(self.ctx)
            self._after_batch(strategy)
            if missed:
                self._dispatch(strategy, list(missed))
            book = self.ctx.market.book
            if book.best_bid is not None or book.best_ask is not None:
                self.book_changed()  # a new life sees the current book at once
            self.started.set()
            while True:
                first = await self.inbox.get()
                batch = [first]
                while not self.inbox.empty():
                    batch.append(self.inbox.get_nowait())
                if self._dispatch(strategy, batch):
                    return
        finally:
            self.running = False
            self.started.clear()
            if timer is not None:
                timer.cancel()

    def _start_timer(self, strategy: Strategy) -> asyncio.Task[None] | None:
        every = strategy.wakeup.every_ms
        if not every:
            return None
        period = every / 1000 / self.time_scale

        async def tick() -> None:
            while True:
                await asyncio.sleep(period)
                self.inbox.put_nowait(Signal.TIMER)

        return asyncio.get_running_loop().create_task(tick())

    def _dispatch(self, strategy: Strategy, batch: list[Inbound]) -> bool:
        ctx = self.ctx
        book = timer = False
        for ev in batch:
            if ev is Signal.STOP:
                strategy.on_stop(ctx)
                self._after_batch(strategy)
                return True
            if ev is Signal.BOOK:
                book = True
            elif ev is Signal.TIMER:
                timer = True
            elif isinstance(ev, Fill):
                self.stats.fills += 1
                strategy.on_fill(ctx, ev)
            elif isinstance(ev, OrderEvent):
                strategy.on_order(ctx, ev)
            elif isinstance(ev, BalanceUpdate):
                strategy.on_balance(ctx, ev)
            elif isinstance(ev, Trade):
                if strategy.wakeup.on_trade:
                    strategy.on_trade(ctx, ev)
            elif isinstance(ev, PositionUpdate):
                pass  # read through ctx.position()
            self.stats.callbacks += 1
        if book:
            self._book_pending = False
            top = ctx.market.top()
            if top != self._last_top:
                self._last_top = top
                if strategy.wakeup.on_book:
                    self.stats.book_calls += 1
                    strategy.on_book(ctx)
        if timer:
            strategy.on_timer(ctx)
        self._after_batch(strategy)
        return False

    def _after_batch(self, strategy: Strategy) -> None:
        if self._dirty and self.save_state is not None:
            self._dirty = False
            state = strategy.snapshot_state()
            if state is not None:
                self.save_state(self.key, state)

    def stop(self) -> None:
        self.push(Signal.STOP)
