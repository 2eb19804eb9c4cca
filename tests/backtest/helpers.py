"""A tiny hand-written market and a scripted strategy: runs whose PnL is known by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from falconet.backtest.runner import BacktestRun, run_backtest
from falconet.core.enums import InstrumentKind, Side, TimeInForce, Venue
from falconet.core.ids import Intent
from falconet.core.instrument import Instrument
from falconet.data.format import EventKind, EventTable
from falconet.sim.models import FeeModel, LatencyModel, SimConfig
from falconet.strategies.api import Context, Strategy, Wakeup

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
TAKER = 0.0005
MAKER = -0.0001


def instrument(symbol: str = "TEST") -> Instrument:
    return Instrument.with_increments(
        Venue.SIM, symbol, "TEST", "USD", InstrumentKind.PERP, tick="0.01", lot="1"
    )


def market(books: Sequence[tuple[int, int, int]], symbol: str = "TEST") -> EventTable:
    """One full book per (ms, best bid cents, best ask cents): 50 lots on each side."""
    rows: list[tuple[int, int, int, int, int]] = []
    for ms, bid, ask in books:
        rows.append((ms, EventKind.CLEAR, 0, 0, 0))
        rows.append((ms, EventKind.SNAPSHOT, 1, bid, 50))
        rows.append((ms, EventKind.SNAPSHOT, -1, ask, 50))
    return table(rows, symbol)


def table(rows: Sequence[tuple[int, int, int, int, int]], symbol: str = "TEST") -> EventTable:
    """Events from (ms, kind, side, price cents, qty) rows, received 1 ms after they
    happened."""
    ts = np.array([T0 + r[0] * MS for r in rows], dtype=np.int64)
    return EventTable(
        ts_exchange=ts,
        ts_local=ts + MS,
        kind=np.array([r[1] for r in rows], dtype=np.int8),
        side=np.array([r[2] for r in rows], dtype=np.int8),
        price=np.array([r[3] for r in rows], dtype=np.int64),
        qty=np.array([r[4] for r in rows], dtype=np.int64),
        order_id=np.zeros(len(rows), dtype=np.int64),
        seq=np.zeros(len(rows), dtype=np.int64),
        instrument=instrument(symbol),
    )


# The book climbs, then falls back a little: 100.00/100.01, 101.00/101.01, 102.00/102.01,
# then 101.50/101.51 to the end (mid 101.505).
BOOKS = [(0, 10000, 10001), (1000, 10100, 10101), (2000, 10200, 10201), (3000, 10150, 10151)]

Action = Callable[[Context, dict[str, str]], None]


class Script(Strategy):
    """Runs `actions[k]` at the k-th timer wake-up (every 100 ms from the first event)."""

    name = "script"

    def __init__(self, actions: dict[int, Action]) -> None:
        self.actions = actions
        self.ids: dict[str, str] = {}
        self.wakeup = Wakeup(every_ms=100)
        self._step = 0

    def on_timer(self, ctx: Context) -> None:
        action = self.actions.get(self._step)
        self._step += 1
        if action is not None:
            action(ctx, self.ids)


def take(side: Side, price: int, size: int) -> Action:
    def act(ctx: Context, ids: dict[str, str]) -> None:
        ctx.submit(side, price, size, tif=TimeInForce.IOC, intent=Intent.ENTRY)

    return act


def rest(key: str, side: Side, price: int) -> Action:
    def act(ctx: Context, ids: dict[str, str]) -> None:
        ids[key] = ctx.submit(side, price, 1, intent=Intent.QUOTE, level=3)

    return act


def both(*actions: Action) -> Action:
    def act(ctx: Context, ids: dict[str, str]) -> None:
        for a in actions:
            a(ctx, ids)

    return act


def cancel(key: str) -> Action:
    def act(ctx: Context, ids: dict[str, str]) -> None:
        ctx.cancel(ids[key])

    return act


def script() -> Script:
    """Buy 2 @ 100.01, buy 1 @ 101.01, sell 2 @ 102.00, all taking; one post-only bid far
    below that stays open, one far ask that is canceled."""
    return Script(
        {
            2: both(
                take(Side.BUY, 10001, 2),
                rest("bid", Side.BUY, 9000),
                rest("ask", Side.SELL, 11000),
            ),
            12: take(Side.BUY, 10101, 1),
            22: both(take(Side.SELL, 10200, 2), cancel("ask")),
        }
    )


def config(**kw: object) -> SimConfig:
    base: dict[str, object] = {
        "latency": LatencyModel.constant(10, 10),
        "fees": FeeModel(MAKER, TAKER),
    }
    base.update(kw)
    return SimConfig(**base)  # type: ignore[arg-type]


def tiny_run(symbol: str = "TEST", **kw: object) -> BacktestRun:
    return run_backtest([market(BOOKS, symbol)], [script()], config(**kw))
