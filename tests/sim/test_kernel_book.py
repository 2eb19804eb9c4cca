"""The kernel's dense books agree with a reference book on any stream, in both views:
the core L2 book, plus the simulator's rule that a level crossing the other side removes
the stale levels it crosses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.backtest.runner import run_backtest
from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.sim import layout as L
from tests.sim.helpers import MS, Script, book, config, market

row = st.tuples(
    st.sampled_from([1, -1]), st.integers(9990, 10010), st.integers(0, 9)
)  # side, price, qty


@settings(max_examples=60, deadline=None)
@given(st.lists(row, min_size=1, max_size=60))
def test_local_top_of_book_matches_l2book_after_every_step(updates) -> None:  # type: ignore[no-untyped-def]
    rows = book(0, bids=[(9995, 3)], asks=[(10005, 3)])
    rows += [(10.0 * (i + 1), 1, side, price, qty) for i, (side, price, qty) in enumerate(updates)]
    s = Script(step_ms=10)
    run = run_backtest([market(rows)], [s], config())
    ref = L2Book("ref")
    ref.apply_snapshot([(9995, 3)], [(10005, 3)])
    # Script records (now, best bid, best ask, position) at each 10 ms step; the row
    # stamped 10*(i+1) ms reaches the local view 1 ms later, so step k sees rows < k*10.
    seen = {ts: (bid, ask) for ts, bid, ask, _ in s.seen}
    t0 = run.results[0].asset.data.start_ts
    for i, (side, price, qty) in enumerate(updates):
        lvl = [(price, qty)]
        ref.apply_delta(lvl if side > 0 else [], lvl if side < 0 else [])
        if qty > 0 and ref.is_crossed:  # drop the opposite levels the new one crosses
            other = BookSide.ASK if side > 0 else BookSide.BID
            stale = [
                (p, 0)
                for p, _ in ref.levels(other, 1000)
                if (p <= price if side > 0 else p >= price)
            ]
            ref.apply_delta(stale if side < 0 else [], stale if side > 0 else [])
        step_ts = t0 + 10 * (i + 2) * MS
        if step_ts in seen:
            assert seen[step_ts] == (ref.best_bid, ref.best_ask), (i, updates[: i + 1])
    asset = run.results[0].asset
    for view_bid, view_ask in ((L.B_XBID, L.B_XASK), (L.B_LBID, L.B_LASK)):
        for side, levels in ((BookSide.BID, view_bid), (BookSide.ASK, view_ask)):
            expected = {p: q for p, q in ref.levels(side, 1000)}
            row_ = asset.B[levels]
            got = {int(i + asset.S[L.S_BASE]): int(q) for i, q in enumerate(row_) if q > 0}
            assert got == expected
