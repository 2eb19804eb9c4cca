"""Snapshot series to book deltas: for venues and vendors that publish the top N levels of
the book again and again (Hyperliquid top 20, top-5 futures quotes, LOBSTER level-N).

The first state becomes CLEAR + SNAPSHOT rows; each later state becomes DEPTH rows for the
levels that differ from the book built so far.

The window edge: a snapshot shows N levels per side, so it only speaks for prices from the
best level to its N-th (worst) level. A level of the built book that is missing from the
new snapshot is deleted (qty 0) when its price lies inside that visible range, or when the
side shows fewer than N levels (then the whole side is visible). A level beyond the N-th
level is left as it was: it most likely still rests, just out of view, and deleting it
would invent a cancel. It is corrected or deleted by the first later snapshot whose window
reaches its price again. So the built book always equals the snapshot up to its N-th
level, and may hold older, out-of-view levels behind it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sortedcontainers import SortedList

from falconet.data.convert.common import RowBuffer
from falconet.data.format import ASK, BID, BOTH, EventKind

Level = tuple[int, int]  # (price units, qty units)
Change = tuple[int, int, int]  # (side, price units, new qty units; 0 deletes)
I64 = npt.NDArray[np.int64]


class _SideState:
    """One side of the built book: the levels in view (exactly the last state's) and the
    out-of-view levels behind them, kept sorted so the ones a wider window uncovers are
    found without scanning them all."""

    __slots__ = ("better_is_higher", "hidden", "hidden_prices", "view")

    def __init__(self, better_is_higher: bool) -> None:
        self.better_is_higher = better_is_higher
        self.view: dict[int, int] = {}
        self.hidden: dict[int, int] = {}
        self.hidden_prices: SortedList[int] = SortedList()

    def levels(self) -> dict[int, int]:
        return {**self.hidden, **self.view}

    def reset(self, shown: dict[int, int]) -> None:
        self.view = shown
        self.hidden = {}
        self.hidden_prices = SortedList()

    def update(self, shown: dict[int, int], depth: int) -> tuple[list[int], list[Level]]:
        """Move to the new state; returns (deleted prices, changed levels)."""
        whole_side = len(shown) < depth
        edge = (min(shown) if self.better_is_higher else max(shown)) if shown else 0

        def covered(p: int) -> bool:
            return whole_side or (p >= edge if self.better_is_higher else p <= edge)

        deleted: list[int] = []
        previous = dict(self.view)
        for p, q in self.view.items():
            if p in shown:
                continue
            if covered(p):
                deleted.append(p)
            else:  # slid out of view: keep it, unchanged, behind the window
                self.hidden[p] = q
                self.hidden_prices.add(p)
                del previous[p]
        if whole_side:
            uncovered = list(self.hidden_prices)
        elif self.better_is_higher:
            uncovered = list(self.hidden_prices.irange(minimum=edge))
        else:
            uncovered = list(self.hidden_prices.irange(maximum=edge))
        for p in uncovered:
            q = self.hidden.pop(p)
            self.hidden_prices.remove(p)
            if p in shown:
                previous[p] = q
            else:
                deleted.append(p)
        changed = [(p, q) for p, q in shown.items() if previous.get(p) != q]
        self.view = shown
        return deleted, changed


class SnapshotDiffer:
    """Holds the book built from the states seen so far, for one instrument."""

    __slots__ = ("_asks", "_bids", "depth", "started")

    def __init__(self, depth: int) -> None:
        if depth <= 0:
            raise ValueError("depth must be > 0")
        self.depth = depth
        self._bids = _SideState(better_is_higher=True)
        self._asks = _SideState(better_is_higher=False)
        self.started = False

    @property
    def bids(self) -> dict[int, int]:
        """Every level of the built bid side (in view and behind the window)."""
        return self._bids.levels()

    @property
    def asks(self) -> dict[int, int]:
        return self._asks.levels()

    def first(self, bids: Sequence[Level], asks: Sequence[Level]) -> list[Change]:
        """Start (or restart) from a state: the levels to restate after a CLEAR."""
        self._bids.reset({p: q for p, q in bids if q > 0})
        self._asks.reset({p: q for p, q in asks if q > 0})
        self.started = True
        return [(BID, p, q) for p, q in bids if q > 0] + [(ASK, p, q) for p, q in asks if q > 0]

    def diff(self, bids: Sequence[Level], asks: Sequence[Level]) -> list[Change]:
        """Changes turning the built book into the new state (bids and asks best first;
        levels with qty 0 are treated as absent). Deletions come first, so applying the
        changes in order never crosses the book on the way unless the state itself is
        crossed. The built book is updated."""
        del_b, set_b = self._bids.update({p: q for p, q in bids if q > 0}, self.depth)
        del_a, set_a = self._asks.update({p: q for p, q in asks if q > 0}, self.depth)
        return (
            [(BID, p, 0) for p in del_b]
            + [(ASK, p, 0) for p in del_a]
            + [(BID, p, q) for p, q in set_b]
            + [(ASK, p, q) for p, q in set_a]
        )


def emit_state(
    differ: SnapshotDiffer,
    rows: RowBuffer,
    ts_exchange: int,
    ts_local: int,
    bids: Sequence[Level],
    asks: Sequence[Level],
    *,
    order_id: int = 0,
    seq: int = 0,
) -> int:
    """Append the rows for one book state: CLEAR + SNAPSHOT for the first, DEPTH rows for
    the changes after that. Returns the number of rows added."""
    if not differ.started:
        rows.add(ts_exchange, ts_local, EventKind.CLEAR, BOTH, 0, 0, order_id, seq)
        changes = differ.first(bids, asks)
        kind = EventKind.SNAPSHOT
        added = 1
    else:
        changes = differ.diff(bids, asks)
        kind = EventKind.DEPTH
        added = 0
    for side, price, qty in changes:
        rows.add(ts_exchange, ts_local, kind, side, price, qty, order_id, seq)
    return added + len(changes)


def states_to_rows(
    ts_exchange: I64,
    ts_local: I64,
    bid_px: I64,
    bid_qty: I64,
    ask_px: I64,
    ask_qty: I64,
    order_id: I64 | None = None,
) -> I64:
    """The rows (an (n, 8) matrix, see `RowBuffer`) for a series of book states given as
    (states, depth) arrays, best level first; a level with qty 0 is absent. `order_id`
    (one per state) is copied to the DEPTH rows of that state."""
    changes = state_changes(bid_px, bid_qty, ask_px, ask_qty)
    return changes_to_rows(changes, ts_exchange, ts_local, order_id)


def changes_to_rows(
    changes: I64, ts_exchange: I64, ts_local: I64, order_id: I64 | None = None
) -> I64:
    """Rows from `state_changes` output, with each state's timestamps."""
    st = changes[:, 0]
    first = changes[:, 1] == 0
    kind = np.where(first, EventKind.SNAPSHOT, EventKind.DEPTH)
    kind[:1] = EventKind.CLEAR
    oid = np.zeros_like(st) if order_id is None else np.where(first, 0, order_id[st])
    columns = [ts_exchange[st], ts_local[st], kind, changes[:, 3], changes[:, 4], changes[:, 5]]
    return np.column_stack([*columns, oid, np.zeros_like(st)]).astype(np.int64)


def state_changes(bid_px: I64, bid_qty: I64, ask_px: I64, ask_qty: I64) -> I64:
    """Book changes for a series of states, as rows of (state index, group, order in
    group, side, price, new qty) in application order; group 0 (state 0) is the CLEAR and
    SNAPSHOT restatement.

    Same result as feeding the states one by one to a `SnapshotDiffer`, but a side whose
    prices did not move since the previous state (most states: only sizes change) is
    diffed with numpy; only states where prices moved go through the differ."""
    n, depth = bid_px.shape
    if n == 0:
        return np.zeros((0, 6), dtype=np.int64)
    # (state, group, order within group, side, price, qty); groups keep the differ's
    # order inside a state: deletions, then changes, bids before asks. A side is either
    # unmoved (numpy) or moved (differ) in one state, so the two never share a group.
    parts: list[I64] = []
    first = _first_state_rows(bid_px[0], bid_qty[0], ask_px[0], ask_qty[0])
    parts.append(first)
    differ = {BID: _SideState(True), ASK: _SideState(False)}
    for side, px, qty, g_del, g_set in ((BID, bid_px, bid_qty, 1, 3), (ASK, ask_px, ask_qty, 2, 4)):
        present = qty > 0
        same = np.zeros(n, dtype=bool)
        same[1:] = ((px[1:] == px[:-1]) | ~present[1:] & ~present[:-1]).all(axis=1)
        same[1:] &= (present[1:] == present[:-1]).all(axis=1)
        # Prices unchanged: a level changes where its qty does.
        hit = np.zeros_like(present)
        hit[1:] = same[1:, None] & present[1:] & (qty[1:] != qty[:-1])
        i, k = np.nonzero(hit)
        fast = np.column_stack(
            [i, np.full_like(i, g_set), k, np.full_like(i, side), px[i, k], qty[i, k]]
        )
        parts.append(fast.astype(np.int64))
        state = differ[side]
        moved = np.flatnonzero(~same[1:]) + 1
        before = zip(px[moved - 1].tolist(), qty[moved - 1].tolist(), strict=True)
        after = zip(px[moved].tolist(), qty[moved].tolist(), strict=True)
        slow: list[tuple[int, int, int, int, int, int]] = []
        for s, (p0, q0), (p1, q1) in zip(moved.tolist(), before, after, strict=True):
            # The view is the previous state exactly, whichever way that state was diffed.
            state.view = {p: q for p, q in zip(p0, q0, strict=True) if q > 0}
            shown = {p: q for p, q in zip(p1, q1, strict=True) if q > 0}
            deleted, changed = state.update(shown, depth)
            slow.extend((s, g_del, j, side, p, 0) for j, p in enumerate(deleted))
            slow.extend((s, g_set, j, side, p, q) for j, (p, q) in enumerate(changed))
        parts.append(np.array(slow, dtype=np.int64).reshape(-1, 6))
    keyed = np.concatenate(parts)
    keyed = keyed[np.lexsort((keyed[:, 2], keyed[:, 1], keyed[:, 0]))]
    return keyed


def _first_state_rows(bp: I64, bq: I64, ap: I64, aq: I64) -> I64:
    """CLEAR then one SNAPSHOT row per present level of state 0 (group 0)."""
    rows = [(0, 0, -1, BOTH, 0, 0)]
    rows += [
        (0, 0, j, BID, int(p), int(q)) for j, (p, q) in enumerate(zip(bp, bq, strict=True)) if q > 0
    ]
    rows += [
        (0, 0, len(bp) + j, ASK, int(p), int(q))
        for j, (p, q) in enumerate(zip(ap, aq, strict=True))
        if q > 0
    ]
    return np.array(rows, dtype=np.int64)
