"""One runner per trading entry: it owns a strategy instance and feeds it, in order and
synchronously, the events of its instrument, its orders and its account.

Market data is conflated: however many book updates arrive while the strategy is busy,
it gets one `on_book` for the newest book (only if the top of book changed). Order
events, fills and balances are never conflated.

A book update from a venue whose adapter allows it (`VenueCapabilities.inline_books`)
reaches `on_book` inside the venue's own call, with no hop through the event loop, when
the runner is idle: its life has started, nothing is queued ahead (a fill queued before
the book is still handed over first) and no strategy callback is on the stack (a book
the strategy's own request made the venue emit is queued, never recursed into). If
`on_book` raises there, the exception ends the life from the runner's task, as if it had
been raised there: the supervisor sees it the same way.

A replayed fill that makes the strategy raise is tried again by each new life; after
`quarantine_after` failed tries it is skipped (quarantined), so one poisonous fill cannot
keep an entry down. The tries are counted on the runner, which outlives its strategies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from falconet.core.bars import BarBuilder, BarSource, mid_of
from falconet.core.enums import BookSide
from falconet.core.events import (
    BalanceUpdate,
    Bar,
    Event,
    Fill,
    OrderEvent,
    PositionUpdate,
    Trade,
)
from falconet.engine.context import LiveContext
from falconet.engine.oms import FillKey, fill_key
from falconet.observe.log import get_logger
from falconet.observe.metrics import Counter, Histogram, MetricsRegistry
from falconet.strategies.api import LinkedFill, Strategy

log = get_logger("runner")

QUARANTINE_AFTER = 3  # replays of one fill that raised, before it is skipped


class Signal(Enum):
    BOOK = "book"
    TIMER = "timer"
    SHUTDOWN = "shutdown"  # the engine is stopping: `on_shutdown`, orders still allowed
    STOP = "stop"
    FAILED = "failed"  # an inline `on_book` raised: wakes the life to end it


class _Callbacks:
    """Whether a strategy callback is on the stack (of any runner: one thread, one loop)."""

    depth = 0


Inbound = Event | Signal | LinkedFill
StateSink = Callable[[str, dict[str, object]], None]
# Fills the strategy missed while it was not running, fetched once its state is restored.
Replay = Callable[[Strategy], Awaitable[list[Fill]]]


@dataclass
class RunnerStats:
    callbacks: int = 0
    book_calls: int = 0
    fills: int = 0


class RunnerMetrics:
    """The runner's handles, labelled with its entry."""

    __slots__ = (
        "book_calls",
        "book_latency_ns",
        "dispatch_ns",
        "events",
        "fills",
        "quarantined",
        "replay_skipped",
    )

    def __init__(self, entry: str) -> None:
        self.events = Counter("falconet_runner_events_total", entry=entry)
        self.book_calls = Counter("falconet_runner_book_calls_total", entry=entry)
        self.fills = Counter("falconet_runner_fills_total", entry=entry)
        self.quarantined = Counter("falconet_runner_fills_quarantined_total", entry=entry)
        self.replay_skipped = Counter("falconet_runner_replay_skipped_total", entry=entry)
        self.dispatch_ns = Histogram("falconet_runner_dispatch_ns", entry=entry)
        self.book_latency_ns = Histogram("falconet_runner_book_latency_ns", entry=entry)

    def all(self) -> tuple[Counter | Histogram, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)


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
        metrics: MetricsRegistry | None = None,
        quarantine_after: int = QUARANTINE_AFTER,
    ) -> None:
        self.key = key
        self.make_strategy = make_strategy
        self.ctx = ctx
        self.save_state = save_state
        self.load_state = load_state
        self.time_scale = time_scale  # simulated seconds per wall second (paper venues)
        ctx.time_scale = time_scale
        self.replay = replay
        self.inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self.strategy: Strategy | None = None
        self.running = False
        self.halted = False
        self.m = RunnerMetrics(key)
        if metrics is not None:
            self.register_metrics(metrics)
        self.quarantine_after = quarantine_after
        self.replay_failures: dict[FillKey, int] = {}  # survives lives, like the runner
        self.quarantined: dict[FillKey, int] = {}  # key -> tries when it was quarantined
        self._book_pending = False
        self._failure: Exception | None = None  # raised by an inline on_book, not yet re-raised
        self._dirty = False
        self._last_top: object = None  # the book as last shown to on_book (see _book_key)
        self._depth = 1
        self._bars: BarBuilder | None = None  # candles the strategy asked for
        self._bars_from: BarSource | None = None
        self.lives = 0
        # set once a strategy instance has run `on_start` (cleared when it ends)
        self.started = asyncio.Event()
        self.shut_down = asyncio.Event()  # set once `on_shutdown` has run
        ctx._state_changed = self._mark_dirty

    def register_metrics(self, registry: MetricsRegistry) -> None:
        registry.add(*self.m.all())

    @property
    def stats(self) -> RunnerStats:
        """A copy of the counts in the record older callers read."""
        m = self.m
        return RunnerStats(int(m.events.value), int(m.book_calls.value), int(m.fills.value))

    # --- feeding (called synchronously by the engine's router) ------------------------------

    def push(self, event: Inbound) -> None:
        self.inbox.put_nowait(event)

    @property
    def wants_trades(self) -> bool:
        s = self.strategy
        return s is not None and (s.wakeup.on_trade or self._bars_from is BarSource.TRADES)

    def book_changed(self) -> None:
        """Queue one (conflated) book signal for the runner's task."""
        if self._bars_from is BarSource.MID and not self.halted:
            self._mid_bar()
        self._queue_book()

    def _queue_book(self) -> None:
        if not self._book_pending:
            self._book_pending = True
            self.inbox.put_nowait(Signal.BOOK)

    def book_updated(self) -> None:
        """A book update, from the venue's own call: handed to `on_book` now when the
        runner is idle, else conflated like `book_changed`."""
        if self._bars_from is BarSource.MID and not self.halted:
            self._mid_bar()  # a bar it completes is queued: the book then waits its turn
        strategy = self.strategy
        if strategy is None or not self._idle():
            self._queue_book()
            return
        try:
            self._run_batch(strategy, [Signal.BOOK])
        except Exception as exc:  # the life's to end, not the venue's feed: see `run`
            self._failure = exc
            self.inbox.put_nowait(Signal.FAILED)

    def _idle(self) -> bool:
        """Nothing queued, no callback running, the life past its start, not failed."""
        return (
            not self._book_pending
            and self._failure is None
            and _Callbacks.depth == 0
            and self.started.is_set()
            and self.inbox.empty()
            and self.ctx.owner.undelivered == 0
        )

    def _mark_dirty(self) -> None:
        self._dirty = True

    def _mid_bar(self) -> None:
        """Each book update's mid goes into the bar (not only the conflated ones the
        strategy sees); a completed bar is queued like any event."""
        book = self.ctx.market.book
        mid = mid_of(book.best_bid, book.best_ask)
        if mid is not None and self._bars is not None:
            bar = self._bars.update(book.ts_local or self.ctx.now_ns, mid)
            if bar is not None:
                self.inbox.put_nowait(bar)

    def _set_wakeup(self, strategy: Strategy) -> None:
        wk = strategy.wakeup
        self._depth = wk.book_depth
        self._bars_from = wk.bars
        if wk.bars is not None and self._bars is None:  # kept across lives: no lost bar
            self._bars = BarBuilder(self.ctx.instrument.id, wk.bar_s)

    def _book_key(self) -> object:
        """What must change for on_book to run: the top, or the top N levels."""
        market = self.ctx.market
        if self._depth <= 1:
            return market.top()
        n = self._depth
        return (market.book.levels(BookSide.BID, n), market.book.levels(BookSide.ASK, n))

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
        self._set_wakeup(strategy)
        self.running = True
        # a life that ended mid-batch may have left a book signal half-taken
        self._book_pending = False
        self._failure = None
        self._last_top = None
        timer = self._start_timer(strategy)
        self.lives += 1
        try:
            self._begin(strategy, missed)
            self.started.set()
            await self._serve(strategy)
        finally:
            self.running = False
            self.started.clear()
            if timer is not None:
                timer.cancel()

    def _begin(self, strategy: Strategy, missed: list[Fill]) -> None:
        """`on_start`, then the missed fills, then the current book is queued."""
        _Callbacks.depth += 1
        try:
            strategy.on_start(self.ctx)
            self._after_batch(strategy)
            if missed:
                self._replay(strategy, missed)
        finally:
            _Callbacks.depth -= 1
        book = self.ctx.market.book
        if book.best_bid is not None or book.best_ask is not None:
            self.book_changed()  # a new life sees the current book at once

    async def _serve(self, strategy: Strategy) -> None:
        """Batches from the inbox until STOP, or until an inline `on_book` failed."""
        while True:
            batch = [await self.inbox.get()]
            while not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            if self._failure is not None:
                self._raise_failure(batch)
            if self._run_batch(strategy, batch):
                return

    def _run_batch(self, strategy: Strategy, batch: list[Inbound]) -> bool:
        """Dispatch one batch, timed, marked as a callback in progress; True on STOP."""
        _Callbacks.depth += 1
        start = time.perf_counter_ns()
        try:
            done = self._dispatch(strategy, batch)
        finally:
            _Callbacks.depth -= 1
        self.m.dispatch_ns.record(time.perf_counter_ns() - start)
        return done

    def _raise_failure(self, taken: list[Inbound]) -> None:
        """End the life with what an inline `on_book` raised. What was queued meanwhile
        goes back, in order, for the next life (as after a batch that raised here)."""
        failure, self._failure = self._failure, None
        assert failure is not None
        for event in taken:
            if event is not Signal.FAILED:
                self.inbox.put_nowait(event)
        raise failure

    def _replay(self, strategy: Strategy, missed: list[Fill]) -> None:
        """The missed fills one by one, so that the one that raises is known."""
        for fill in missed:
            key = fill_key(fill)
            if key in self.quarantined:
                self.m.replay_skipped.value += 1
                log.error("quarantined fill skipped", runner=self.key, order=key[0], trade=key[1])
                continue
            try:
                self._dispatch(strategy, [fill])
            except Exception:
                self._replay_failed(key)
                raise
            if self.replay_failures:
                self.replay_failures.pop(key, None)  # it went through in the end

    def _replay_failed(self, key: FillKey) -> None:
        tries = self.replay_failures.get(key, 0) + 1
        self.replay_failures[key] = tries
        if tries < self.quarantine_after:
            return
        del self.replay_failures[key]
        self.quarantined[key] = tries
        self.m.quarantined.value += 1
        log.error(
            "fill quarantined: the strategy raised on each replay; later replays skip it",
            runner=self.key,
            order=key[0],
            trade=key[1],
            tries=tries,
        )

    def quarantine_snapshot(self) -> list[dict[str, object]]:
        return [
            {"order": order, "trade_id": trade, "tries": tries}
            for (order, trade), tries in self.quarantined.items()
        ]

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
        m = self.m
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
            elif ev is Signal.SHUTDOWN:
                try:
                    strategy.on_shutdown(ctx)
                finally:
                    self.shut_down.set()
            elif isinstance(ev, LinkedFill):
                strategy.on_linked_fill(ctx, ev.fill)
            elif isinstance(ev, Fill):
                m.fills.value += 1
                strategy.on_fill(ctx, ev)
            elif isinstance(ev, OrderEvent):
                strategy.on_order(ctx, ev)
            elif isinstance(ev, BalanceUpdate):
                strategy.on_balance(ctx, ev)
            elif isinstance(ev, Trade):
                if self._bars_from is BarSource.TRADES and self._bars is not None:
                    bar = self._bars.update(ev.ts_local, ev.price, ev.size)
                    if bar is not None:
                        strategy.on_bar(ctx, bar)
                if strategy.wakeup.on_trade:
                    strategy.on_trade(ctx, ev)
            elif isinstance(ev, Bar):
                strategy.on_bar(ctx, ev)
            elif isinstance(ev, PositionUpdate):
                pass  # read through ctx.position()
            m.events.value += 1
        if book:
            self._book_pending = False
            top = self._book_key()
            if top != self._last_top:
                self._last_top = top
                if strategy.wakeup.on_book:
                    m.book_calls.value += 1
                    self._record_book_age()
                    # what the strategy sends now answers this book: tick to trade
                    ctx.trigger_ns = ctx.market.book.ts_local or None
                    try:
                        strategy.on_book(ctx)
                    finally:
                        ctx.trigger_ns = None
        if timer:
            strategy.on_timer(ctx)
        self._after_batch(strategy)
        return False

    def _record_book_age(self) -> None:
        """From the receipt of the newest book update (its `ts_local`, on the venue's
        clock) to the strategy's callback, in wall-clock ns: a paper venue's clock runs
        `time_scale` times faster than the wall. A book without a receipt time has none."""
        received = self.ctx.market.book.ts_local
        if received <= 0:
            return
        self.m.book_latency_ns.record(self.ctx.wall_ns_since(received, self.ctx.now_ns))

    def _after_batch(self, strategy: Strategy) -> None:
        if self._dirty and self.save_state is not None:
            self._dirty = False
            state = strategy.snapshot_state()
            if state is not None:
                self.save_state(self.key, state)

    def stop(self) -> None:
        self.push(Signal.STOP)

    async def shutdown(self, timeout: float) -> bool:
        """Have the strategy's `on_shutdown` run (after what is already queued); False if
        it did not within `timeout` (the runner is down or busy)."""
        if not self.running:
            return False
        self.shut_down.clear()
        self.push(Signal.SHUTDOWN)
        try:
            await asyncio.wait_for(self.shut_down.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def halt(self) -> None:
        """No strategy runs here again (the supervisor's breaker): what the router still
        sends is dropped rather than queued for nobody, which over days would be a leak."""
        self.halted = True
        self.inbox = _Discard()
        self._book_pending = True  # so book_changed() does nothing


class _Discard(asyncio.Queue[Inbound]):
    """The inbox of a halted runner."""

    def put_nowait(self, item: Inbound) -> None:
        pass
