"""Snapshot series to deltas: applying the deltas to the previous book gives the next state
(up to the window edge), and the numpy path gives exactly the differ's rows."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.data.convert.snapshots import SnapshotDiffer, state_changes
from falconet.data.format import ASK, BID

DEPTH = 4


@st.composite
def side_state(draw: st.DrawFn, best_first_descending: bool) -> list[tuple[int, int]]:
    prices = draw(st.lists(st.integers(1, 25), unique=True, max_size=DEPTH))
    prices.sort(reverse=best_first_descending)
    return [(p, draw(st.integers(1, 5))) for p in prices]


book_state = st.tuples(side_state(True), side_state(False))
series = st.lists(book_state, min_size=2, max_size=12)


def visible(levels: list[tuple[int, int]], side: int, book: dict[int, int]) -> dict[int, int]:
    """The part of `book` the state speaks for: all of it when the side shows fewer than
    DEPTH levels, else prices from the best to the DEPTH-th level."""
    if len(levels) < DEPTH:
        return dict(book)
    edge = levels[-1][0]
    return {p: q for p, q in book.items() if (p >= edge if side == BID else p <= edge)}


def apply(book: dict[int, int], changes: list[tuple[int, int]]) -> None:
    for p, q in changes:
        if q:
            book[p] = q
        else:
            book.pop(p, None)


@settings(max_examples=400)
@given(series)
def test_deltas_turn_each_state_into_the_next(states) -> None:  # type: ignore[no-untyped-def]
    differ = SnapshotDiffer(DEPTH)
    bids0, asks0 = states[0]
    first = differ.first(bids0, asks0)
    model = {BID: dict(bids0), ASK: dict(asks0)}
    assert first == [(BID, p, q) for p, q in bids0] + [(ASK, p, q) for p, q in asks0]
    for bids, asks in states[1:]:
        before = {s: dict(b) for s, b in model.items()}
        changes = differ.diff(bids, asks)
        quantities = [q for _, _, q in changes]
        # deletions first, then the new quantities; no change is a no-op
        assert quantities == sorted(quantities, key=lambda q: q > 0)
        for side, p, q in changes:
            assert before[side].get(p, 0) != q
        for side, shown in ((BID, bids), (ASK, asks)):
            apply(model[side], [(p, q) for s, p, q in changes if s == side])
            # inside the window the book is exactly the state
            assert visible(shown, side, model[side]) == dict(shown)
            # behind the window nothing changed
            hidden_before = {
                p: q for p, q in before[side].items() if p not in visible(shown, side, before[side])
            }
            hidden_after = {p: q for p, q in model[side].items() if p not in dict(shown)}
            assert hidden_after == hidden_before
        assert differ.bids == model[BID] and differ.asks == model[ASK]


def as_arrays(states, side_index: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    px = np.zeros((len(states), DEPTH), dtype=np.int64)
    qty = np.zeros((len(states), DEPTH), dtype=np.int64)
    for i, state in enumerate(states):
        for k, (p, q) in enumerate(state[side_index]):
            px[i, k], qty[i, k] = p, q
    return px, qty


@settings(max_examples=300)
@given(series)
def test_numpy_path_gives_exactly_the_differs_rows(states) -> None:  # type: ignore[no-untyped-def]
    differ = SnapshotDiffer(DEPTH)
    expected = [(0, s, p, q) for s, p, q in differ.first(*states[0])]
    for i, (bids, asks) in enumerate(states[1:], 1):
        expected += [(i, s, p, q) for s, p, q in differ.diff(bids, asks)]
    bp, bq = as_arrays(states, 0)
    ap, aq = as_arrays(states, 1)
    got = state_changes(bp, bq, ap, aq)
    assert got[0, 3] == 0  # the CLEAR
    assert [tuple(r) for r in got[1:, [0, 3, 4, 5]].tolist()] == expected


def test_a_level_that_slides_past_the_window_edge_is_kept() -> None:
    differ = SnapshotDiffer(2)
    differ.first([(100, 1), (99, 1)], [(101, 1), (102, 1)])
    # The bids move up one tick: 99 leaves the 2-level window but may still rest.
    assert differ.diff([(101, 2), (100, 1)], [(102, 1), (103, 1)]) == [
        (ASK, 101, 0),
        (BID, 101, 2),
        (ASK, 103, 1),
    ]
    assert differ.bids == {99: 1, 100: 1, 101: 2}
    # Back down: the bid window reaches 98 and shows 99 gone; on the ask side 103 now
    # slides out of view in turn and is kept.
    assert differ.diff([(100, 1), (98, 3)], [(101, 1), (102, 1)]) == [
        (BID, 101, 0),
        (BID, 99, 0),
        (BID, 98, 3),
        (ASK, 101, 1),
    ]
    assert differ.bids == {100: 1, 98: 3}
    assert differ.asks == {101: 1, 102: 1, 103: 1}
    # A side showing fewer levels than the window is the whole side.
    assert differ.diff([(100, 1), (98, 3)], [(101, 1)]) == [(ASK, 102, 0), (ASK, 103, 0)]
