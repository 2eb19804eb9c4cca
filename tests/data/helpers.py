"""Rebuilding books from converted rows, and checks every converted table must pass."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.data.format import ASK, BID, EventKind, EventTable

Level = tuple[int, int]


class Rebuilt:
    """An L2Book driven by format rows: CLEAR, SNAPSHOT and DEPTH change it."""

    def __init__(self) -> None:
        self.book = L2Book()
        self.book.apply_snapshot([], [])  # in sync, empty: deltas apply without sequencing

    def apply(self, kind: int, side: int, price: int, qty: int) -> None:
        book = self.book
        if kind == EventKind.CLEAR:
            bids = [] if side in (0, BID) else book.levels(BookSide.BID, 10**9)
            asks = [] if side in (0, ASK) else book.levels(BookSide.ASK, 10**9)
            book.apply_snapshot(bids, asks)
        elif kind in (EventKind.SNAPSHOT, EventKind.DEPTH):
            if side == BID:
                book.apply_delta([(price, qty)], [])
            elif side == ASK:
                book.apply_delta([], [(price, qty)])

    def apply_batch(self, levels: list[tuple[int, ...]]) -> None:
        """Book levels (side, price, qty) of one message, in order."""
        if levels:
            bids = [(p, q) for s, p, q in levels if s == BID]
            asks = [(p, q) for s, p, q in levels if s == ASK]
            self.book.apply_delta(bids, asks)

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        return self.book.levels(BookSide.BID, n), self.book.levels(BookSide.ASK, n)

    def all_levels(self) -> tuple[list[Level], list[Level]]:
        return self.top(10**9)


def rows(table: EventTable, order: np.ndarray | None = None) -> Iterator[tuple[int, ...]]:
    """(ts_exchange, ts_local, kind, side, price, qty) per row, in file or given order."""
    cols = [table.ts_exchange, table.ts_local, table.kind, table.side, table.price, table.qty]
    if order is not None:
        cols = [c[order] for c in cols]
    return zip(*(c.tolist() for c in cols), strict=True)


def rebuild(table: EventTable, order: np.ndarray | None = None) -> Rebuilt:
    """The book after every row, in file order or the given order. Consecutive book rows
    of one message go to the book as one update (the same levels, in the same order)."""
    book = Rebuilt()
    batch: list[tuple[int, ...]] = []
    key = None
    for ts_e, ts_l, kind, side, price, qty in rows(table, order):
        if kind in (EventKind.DEPTH, EventKind.SNAPSHOT) and key == (ts_e, ts_l, kind):
            batch.append((side, price, qty))
            continue
        book.apply_batch(batch)
        batch, key = [], None
        if kind in (EventKind.DEPTH, EventKind.SNAPSHOT):
            batch, key = [(side, price, qty)], (ts_e, ts_l, kind)
        else:
            book.apply(kind, side, price, qty)
    book.apply_batch(batch)
    return book


def states_at(table: EventTable, times: list[int], depth: int) -> Iterator[tuple[list, list]]:
    """The rebuilt top `depth` levels after every row with ts_exchange <= t, for each t of
    the ascending `times`."""
    book = Rebuilt()
    it = rows(table)
    pending: tuple[int, ...] | None = next(it, None)
    for t in times:
        while pending is not None and pending[0] <= t:
            book.apply(*pending[2:])
            pending = next(it, None)
        yield book.top(depth)


def trades_after_their_depth(table: EventTable) -> int:
    """TRADE rows that come after the depth change they caused, at the same exchange time.

    A trade's own change is a DEPTH row of the level it hit (a buy hits the ask side) or,
    where the source has order ids, the DEPTH row carrying the executed order's id (hidden
    executions have none). Several executions of one aggressive order may alternate
    trade, depth, trade, depth at one level: each trade still precedes its own change."""
    cols = (table.ts_exchange, table.kind, table.side, table.price, table.order_id)
    ts, kind, side, price, oid = (c.tolist() for c in cols)
    by_order = bool(table.order_id.any())
    bad = 0
    start = 0
    n = len(ts)
    while start < n:
        end = start
        while end < n and ts[end] == ts[start]:
            end += 1
        own: dict[tuple[int, int], list[int]] = {}
        for i in range(start, end):
            if kind[i] == EventKind.DEPTH:
                key = (oid[i], 0) if by_order else (side[i], price[i])
                own.setdefault(key, []).append(i)
        for i in range(start, end):
            if kind[i] != EventKind.TRADE or (by_order and oid[i] == 0):
                continue
            hits = own.get((oid[i], 0) if by_order else (-side[i], price[i]), [])
            if hits and hits[-1] < i:
                bad += 1
        start = end
    return bad


def check_contract(table: EventTable) -> None:
    """What every converted table promises (beyond what write_events validates)."""
    assert (np.diff(table.ts_exchange) >= 0).all()
    assert (table.ts_local >= table.ts_exchange).all()
    assert trades_after_their_depth(table) == 0
    assert sum(table.counts().values()) == len(table)
