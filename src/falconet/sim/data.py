"""Market data prepared for the kernel: one int64 array per column, prices in ticks.

Preparing is a pass over every row; a `SimData` is immutable and can be shared by any
number of simulations (a parameter sweep prepares once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from falconet.core.instrument import Instrument
from falconet.data.format import EventTable, local_order, tick_of
from falconet.sim import layout as L
from falconet.sim.models import SimConfigError

I64 = npt.NDArray[np.int64]

# Dense books cost 8 bytes per tick per side and view; beyond this many ticks the book
# keeps only the region the market actually visited (see `region`).
MAX_LEVELS = 4_000_000
MARGIN_TICKS = 1000


I8 = npt.NDArray[np.int8]


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A read-only view: the kernel sees one array type whatever the source (no copy)."""
    v = a.view()
    v.flags.writeable = False
    return v


@dataclass(frozen=True, eq=False)
class SimData:
    """The columns the kernel replays, shared with the event table (no copy when the
    tick is one price unit)."""

    instrument: Instrument
    tick_units: int  # price units per tick
    ts_exchange: I64
    ts_local: I64
    kind: I8
    side: I8
    tick: I64
    qty: I64
    local_order: I64  # the local view's row order; empty when it is the file order
    base: int  # tick of book index 0
    levels: int  # book array length
    has_depth: bool  # depth rows exist (otherwise BBO rows drive the book)
    start_ts: int  # first exchange timestamp

    @property
    def rows(self) -> int:
        return int(self.ts_exchange.shape[0])

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        return (
            self.ts_exchange, self.ts_local, self.kind, self.side, self.tick, self.qty,
            self.local_order,
        )  # fmt: skip

    def local_ts(self, row: int) -> int:
        """Local time of the `row`-th event of the local view."""
        r = row if self.local_order.shape[0] == 0 else int(self.local_order[row])
        return int(self.ts_local[r])

    @staticmethod
    def from_table(table: EventTable) -> SimData:
        inst = table.instrument
        tick_units = tick_of(inst)
        n = len(table)
        ticks = table.price if tick_units == 1 else table.price // tick_units
        off_tick = ticks * tick_units != table.price
        if n and np.any(off_tick):
            bad = int(np.argmax(off_tick))
            raise SimConfigError(
                f"row {bad}: price {inst.price_str(int(table.price[bad]))} is not a multiple "
                f"of the tick {inst.price_str(tick_units)}"
            )
        base, top = region(ticks, table.kind)
        order = local_order(table)
        has_depth = bool(np.any((table.kind == L.K_DEPTH) | (table.kind == L.K_SNAPSHOT)))
        return SimData(
            instrument=inst,
            tick_units=tick_units,
            ts_exchange=_frozen(np.ascontiguousarray(table.ts_exchange, dtype=np.int64)),
            ts_local=_frozen(np.ascontiguousarray(table.ts_local, dtype=np.int64)),
            kind=_frozen(np.ascontiguousarray(table.kind, dtype=np.int8)),
            side=_frozen(np.ascontiguousarray(table.side, dtype=np.int8)),
            tick=_frozen(np.ascontiguousarray(ticks, dtype=np.int64)),
            qty=_frozen(np.ascontiguousarray(table.qty, dtype=np.int64)),
            local_order=_frozen(
                np.zeros(0, dtype=np.int64) if order is None else order.astype(np.int64)
            ),
            base=base,
            levels=top - base + 1,
            has_depth=has_depth,
            start_ts=int(table.ts_exchange[0]) if n else 0,
        )


def region(ticks: I64, kinds: npt.NDArray[np.int8]) -> tuple[int, int]:
    """Tick range for the dense books."""
    priced = ticks[kinds != L.K_CLEAR]
    if priced.size == 0:
        return 0, 1
    lo, hi = int(priced.min()), int(priced.max())
    if hi - lo + 2 * MARGIN_TICKS <= MAX_LEVELS:
        return lo - MARGIN_TICKS, hi + MARGIN_TICKS
    # Far levels (the tail of a deep snapshot) would make the arrays huge: keep the part
    # around where trading happened; levels outside it are ignored.
    traded = ticks[kinds == L.K_TRADE]
    ref = traded if traded.size else priced
    mid = int(np.median(ref))
    half = MAX_LEVELS // 2
    return max(lo, mid - half), min(hi, mid + half)
