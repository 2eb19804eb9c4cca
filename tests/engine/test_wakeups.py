"""Wake-ups the strategy API offers beyond the touch: `on_book` for a change within the
top N levels, and bars (candles) from the mid or from trades, live and in a backtest."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from falconet.backtest.runner import run_backtest
from falconet.core.bars import BarBuilder, BarSource
from falconet.core.clock import SimClock
from falconet.core.events import Bar, BookDelta, BookSnapshot, Trade
from falconet.core.ids import ClientIdFactory, StrategyCode
from falconet.data.format import EventKind, EventTable
from falconet.engine.context import LiveContext
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.runner import Runner
from falconet.strategies.api import Context, Fees, Strategy, Wakeup
from tests.backtest.helpers import config, table
from tests.engine.fakes import BTC, FakeVenue

S = 1_000_000_000

# --- the bar builder ------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(0, 600 * S), st.integers(1, 10**9), st.integers(0, 1000)),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from([1, 60, 300]),
)
def test_bars_equal_a_group_by_interval(rows: list[tuple[int, int, int]], interval: int) -> None:
    rows.sort(key=lambda r: r[0])
    builder = BarBuilder("X", interval)
    bars = [b for ts, px, vol in rows if (b := builder.update(ts, px, vol)) is not None]
    groups: dict[int, list[tuple[int, int, int]]] = {}
    for r in rows:
        groups.setdefault(r[0] - r[0] % (interval * S), []).append(r)
    starts = sorted(groups)[:-1]  # the last interval is still open
    assert [b.ts_exchange for b in bars] == starts
    for bar in bars:
        g = groups[bar.ts_exchange]
        assert (bar.open, bar.close) == (g[0][1], g[-1][1])
        assert (bar.high, bar.low) == (max(r[1] for r in g), min(r[1] for r in g))
        assert bar.volume == sum(r[2] for r in g) and bar.interval_s == interval


def test_a_price_from_before_the_open_bar_is_ignored() -> None:
    builder = BarBuilder("X", 60)
    builder.update(120 * S, 10)
    assert builder.update(30 * S, 99) is None
    bar = builder.update(180 * S, 11)
    assert bar is not None and (bar.high, bar.low, bar.close) == (10, 10, 10)


# --- live -------------------------------------------------------------------------------


class Watcher(Strategy):
    def __init__(self, wakeup: Wakeup) -> None:
        self.wakeup = wakeup
        self.books = 0
        self.bars: list[Bar] = []

    def on_book(self, ctx: Context) -> None:
        self.books += 1

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        self.bars.append(bar)


def runner_for(strategy: Strategy) -> tuple[Runner, MarketState]:
    oms = OrderManager(FakeVenue(), ClientIdFactory(1))
    market = MarketState(BTC)
    owner = Owner("k", StrategyCode.GRID, BTC, lambda e: None)
    fees = Fees(Decimal(0), Decimal(0))
    ctx = LiveContext(owner, oms, market, Account(), SimClock(), fees, lambda: None)
    return Runner("k", lambda: strategy, ctx), market


def snapshot(ts: int = 1) -> BookSnapshot:
    levels = [(100 - i, 5) for i in range(5)]
    asks = [(110 + i, 5) for i in range(5)]
    return BookSnapshot(ts_exchange=ts, ts_local=ts, instrument_id=BTC.id, bids=levels, asks=asks)


def delta(price: int, size: int, ts: int) -> BookDelta:
    return BookDelta(
        ts_exchange=ts, ts_local=ts, instrument_id=BTC.id, bids=[(price, size)], asks=[]
    )


async def feed(runner: Runner, market: MarketState, events: list[BookSnapshot | BookDelta]) -> None:
    for event in events:
        if market.apply(event):
            runner.book_changed()
        await asyncio.sleep(0)  # one batch per update: nothing conflated away


async def book_calls(depth: int, level_price: int) -> int:
    strategy = Watcher(Wakeup(on_book=True, book_depth=depth))
    runner, market = runner_for(strategy)
    market.apply(snapshot())
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    await asyncio.sleep(0)
    before = strategy.books
    await feed(runner, market, [delta(level_price, 9, 2)])
    runner.stop()
    await task
    return strategy.books - before


async def test_on_book_fires_for_a_change_within_the_top_n_levels_only() -> None:
    assert await book_calls(1, 98) == 0  # the third bid level: not the touch
    assert await book_calls(3, 98) == 1  # within the top 3
    assert await book_calls(3, 97) == 0  # the fourth level
    assert await book_calls(1, 100) == 1  # the touch, always


async def test_live_bars_from_the_mid_of_every_update() -> None:
    strategy = Watcher(Wakeup(bars=BarSource.MID, bar_s=60))
    runner, market = runner_for(strategy)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    # the best bid moves 100 → 104 → 95 in the first minute, then a second minute opens
    events = [snapshot(10 * S), delta(104, 1, 20 * S), delta(104, 0, 30 * S), delta(100, 0, 40 * S)]
    events += [delta(99, 0, 41 * S), delta(98, 0, 42 * S), delta(97, 0, 43 * S)]
    events += [delta(96, 0, 44 * S), delta(95, 5, 45 * S), delta(101, 5, 70 * S)]
    await feed(runner, market, events)
    runner.stop()
    await task
    [bar] = strategy.bars
    mids = [(100 + 110) // 2, (104 + 110) // 2, (100 + 110) // 2, (99 + 110) // 2]
    assert bar.ts_exchange == 0 and bar.open == mids[0]
    assert (bar.high, bar.low) == ((104 + 110) // 2, (95 + 110) // 2)
    assert bar.close == (95 + 110) // 2 and bar.ts_local == 70 * S


async def test_live_bars_from_trades_count_volume() -> None:
    strategy = Watcher(Wakeup(bars=BarSource.TRADES, bar_s=1))
    runner, _ = runner_for(strategy)
    task = asyncio.create_task(runner.run())
    await runner.started.wait()
    assert runner.wants_trades  # the router hands it trades though it has no on_trade
    for ts, px, size in ((0, 100, 1), (S // 2, 105, 2), (S + 1, 90, 4)):
        runner.push(
            Trade(ts_exchange=ts, ts_local=ts, instrument_id=BTC.id, price=px, size=size,
                  aggressor=None)
        )  # fmt: skip
    await asyncio.sleep(0)
    runner.stop()
    await task
    [bar] = strategy.bars
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (100, 105, 100, 105, 3)


# --- backtest ---------------------------------------------------------------------------


def deep_market() -> EventTable:
    """Five bid and ask levels, then only the third bid level changes, ten times, 1 s
    apart; then the touch moves once."""
    rows: list[tuple[int, int, int, int, int]] = [(0, EventKind.CLEAR, 0, 0, 0)]
    for i in range(5):
        rows += [
            (0, EventKind.SNAPSHOT, 1, 10000 - i, 50),
            (0, EventKind.SNAPSHOT, -1, 10010 + i, 50),
        ]
    for k in range(1, 11):
        rows.append((k * 1000, EventKind.DEPTH, 1, 9998, 50 + k))
    rows.append((12_000, EventKind.DEPTH, 1, 10001, 5))
    return table(rows)


def test_backtest_book_depth_and_mid_bars() -> None:
    counts = {}
    for depth in (1, 3, 2):
        strategy = Watcher(Wakeup(on_book=True, book_depth=depth))
        run_backtest([deep_market()], [strategy], config())
        counts[depth] = strategy.books
    # the snapshot and the touch move wake everyone; the 3rd level only those watching 3
    assert counts[1] == counts[2] == 2 and counts[3] == 12
    strategy = Watcher(Wakeup(bars=BarSource.MID, bar_s=5))
    run_backtest([deep_market()], [strategy], config())
    assert strategy.books == 0  # bars alone do not call on_book
    [bar] = strategy.bars  # the touch move at 12 s opens the third interval, after a gap
    assert bar.open == bar.close == (10000 + 10010) // 2
