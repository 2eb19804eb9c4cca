"""Tiny hand-written markets and a scripted strategy for simulator tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from falconet.core.events import Fill, OrderEvent
from falconet.data.format import EventKind, EventTable, make_instrument
from falconet.sim.models import FeeModel, LatencyModel, SimConfig
from falconet.strategies.api import Context, Strategy, Wakeup

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
D, T, C, S = EventKind.DEPTH, EventKind.TRADE, EventKind.CLEAR, EventKind.SNAPSHOT

# (ms after T0 at the exchange, kind, side, price in cents, qty); local = exchange + 1 ms
Row = tuple[float, int, int, int, int]


def market(rows: Sequence[Row], *, feed_ms: float = 1.0, lot: str = "1") -> EventTable:
    inst = make_instrument("sim", "TEST", "TEST", "USD", "perp", tick="0.01", lot=lot)
    ts = np.array([T0 + int(r[0] * MS) for r in rows], dtype=np.int64)
    return EventTable(
        ts_exchange=ts,
        ts_local=ts + int(feed_ms * MS),
        kind=np.array([r[1] for r in rows], dtype=np.int8),
        side=np.array([r[2] for r in rows], dtype=np.int8),
        price=np.array([r[3] for r in rows], dtype=np.int64),
        qty=np.array([r[4] for r in rows], dtype=np.int64),
        order_id=np.zeros(len(rows), dtype=np.int64),
        seq=np.zeros(len(rows), dtype=np.int64),
        instrument=inst,
    )


def book(
    at_ms: float, bids: Sequence[tuple[int, int]], asks: Sequence[tuple[int, int]]
) -> list[Row]:
    """A CLEAR + SNAPSHOT restatement at `at_ms`."""
    rows: list[Row] = [(at_ms, C, 0, 0, 0)]
    rows += [(at_ms, S, 1, p, q) for p, q in bids]
    rows += [(at_ms, S, -1, p, q) for p, q in asks]
    return rows


def config(**kw: object) -> SimConfig:
    base: dict[str, object] = {
        "latency": LatencyModel.constant(10, 10),
        "fees": FeeModel(-0.0001, 0.0005),
    }
    base.update(kw)
    return SimConfig(**base)  # type: ignore[arg-type]


Action = Callable[[Context], None]


@dataclass
class Script(Strategy):
    """Runs `actions[k]` at the k-th timer wake-up and records everything it is told."""

    actions: dict[int, Action] = field(default_factory=dict)
    step_ms: int = 100
    fills: list[Fill] = field(default_factory=list)
    orders: list[OrderEvent] = field(default_factory=list)
    seen: list[tuple[int, int | None, int | None, int]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wakeup = Wakeup(every_ms=self.step_ms)
        self._step = 0

    def on_timer(self, ctx: Context) -> None:
        self.seen.append((ctx.now_ns, ctx.best_bid(), ctx.best_ask(), ctx.position()))
        action = self.actions.get(self._step)
        self._step += 1
        if action is not None:
            action(ctx)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        self.fills.append(fill)

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        self.orders.append(event)

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.orders]
