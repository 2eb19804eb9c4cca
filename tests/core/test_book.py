"""L2 book: agrees with a plain dict model on any update sequence; sequencing, crossing,
checksums and depth truncation behave as a venue client needs."""

from __future__ import annotations

import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.core.book import BookStatus, L2Book
from falconet.core.enums import BookSide

level = st.tuples(st.integers(1, 200), st.integers(0, 50))
side_updates = st.lists(level, max_size=12)


class Model:
    """The obvious, slow book: two dicts, sorted on every read."""

    def __init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def apply(self, side: dict[int, int], levels: list[tuple[int, int]]) -> None:
        for p, q in levels:
            if q > 0:
                side[p] = q
            else:
                side.pop(p, None)

    def top(self, side: BookSide, n: int) -> list[tuple[int, int]]:
        if side is BookSide.BID:
            return sorted(self.bids.items(), reverse=True)[:n]
        return sorted(self.asks.items())[:n]


@settings(max_examples=300)
@given(side_updates, side_updates, st.lists(st.tuples(side_updates, side_updates), max_size=30))
def test_book_matches_a_dict_model(snap_bids, snap_asks, deltas) -> None:  # type: ignore[no-untyped-def]
    book = L2Book("X")
    model = Model()
    book.apply_snapshot(snap_bids, snap_asks)
    model.apply(model.bids, snap_bids)
    model.apply(model.asks, snap_asks)
    for bids, asks in deltas:
        book.apply_delta(bids, asks)
        model.apply(model.bids, bids)
        model.apply(model.asks, asks)
        for side in BookSide:
            assert book.levels(side, 5) == model.top(side, 5)
            assert book.depth(side) == len(model.bids if side is BookSide.BID else model.asks)
            assert book.volume(side, 3) == sum(q for _, q in model.top(side, 3))
        bb = max(model.bids) if model.bids else None
        ba = min(model.asks) if model.asks else None
        assert (book.best_bid, book.best_ask) == (bb, ba)
        assert book.is_crossed == (bb is not None and ba is not None and bb >= ba)
        vb = sum(q for _, q in model.top(BookSide.BID, 4))
        va = sum(q for _, q in model.top(BookSide.ASK, 4))
        expected = None if vb + va == 0 else (vb - va) / (vb + va)
        assert book.imbalance(4) == expected
        assert book.volume_between(BookSide.BID, 50, 120) == sum(
            q for p, q in model.bids.items() if 50 <= p <= 120
        )
        assert book.volume_between(BookSide.ASK, 50, 120) == sum(
            q for p, q in model.asks.items() if 50 <= p <= 120
        )


def test_reads_on_an_empty_book() -> None:
    book = L2Book("X")
    assert book.best_bid is None and book.best_ask is None
    assert book.mid2() is None and book.spread() is None and book.imbalance(5) is None
    assert book.levels(BookSide.BID, 5) == []
    assert book.volume_within(BookSide.ASK, 10) == 0


def test_delta_before_any_snapshot_is_not_applied() -> None:
    book = L2Book("X")
    assert book.apply_delta([(100, 1)], []) is BookStatus.UNSYNCED
    assert book.best_bid is None


def test_prev_seq_chain_detects_a_gap_and_holds_until_resync() -> None:
    book = L2Book("X")
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    assert book.apply_delta([(98, 2)], [], seq=105, first_seq=95, prev_seq=90) is BookStatus.APPLIED
    assert (
        book.apply_delta([(97, 2)], [], seq=110, first_seq=106, prev_seq=105) is BookStatus.APPLIED
    )
    assert book.apply_delta([(96, 2)], [], seq=120, first_seq=115, prev_seq=112) is BookStatus.GAP
    assert book.needs_resync
    assert book.size_at(BookSide.BID, 96) == 0  # the gapped update was not applied
    assert book.apply_delta([(95, 2)], [], seq=130, prev_seq=120) is BookStatus.UNSYNCED
    book.apply_snapshot([(99, 3)], [(101, 3)], seq=140)
    assert not book.needs_resync
    assert book.levels(BookSide.BID, 5) == [(99, 3)]


def test_first_seq_chain_spot_rules() -> None:
    book = L2Book("X")
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    assert book.apply_delta([], [], seq=100, first_seq=95) is BookStatus.STALE  # covered
    assert book.apply_delta([], [], seq=103, first_seq=102) is BookStatus.GAP  # 101 missing
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    assert book.apply_delta([], [], seq=103, first_seq=99) is BookStatus.APPLIED  # bridges
    assert book.apply_delta([], [], seq=104, first_seq=104) is BookStatus.APPLIED
    assert book.apply_delta([], [], seq=110, first_seq=106) is BookStatus.GAP


def test_futures_bridge_accepts_the_pu_continuation_and_the_diff_ending_at_the_snapshot() -> None:
    """USD-M / COIN-M ids are not contiguous: after a snapshot at L the first diff may start
    past L + 1 while its pu == L; it continues the book exactly. The diff with u == L is
    the first to process (U <= L <= u); one with u < L is stale."""
    book = L2Book("X")
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    assert book.apply_delta([], [], seq=99, first_seq=90, prev_seq=89) is BookStatus.STALE
    assert book.apply_delta([(98, 2)], [], seq=100, first_seq=96, prev_seq=95) is (
        BookStatus.APPLIED
    )
    assert book.apply_delta([], [], seq=110, first_seq=105, prev_seq=100) is BookStatus.APPLIED
    assert book.levels(BookSide.BID, 5) == [(99, 1), (98, 2)]
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)  # a fresh bridge
    assert book.apply_delta([], [], seq=112, first_seq=108, prev_seq=100) is BookStatus.APPLIED
    assert book.apply_delta([], [], seq=120, first_seq=115, prev_seq=111) is BookStatus.GAP
    book.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    # neither bridging (U > L + 1) nor continuing (pu != L): a gap
    assert book.apply_delta([], [], seq=112, first_seq=108, prev_seq=104) is BookStatus.GAP
    spot = L2Book("Y")
    spot.apply_snapshot([(99, 1)], [(101, 1)], seq=100)
    assert spot.apply_delta([], [], seq=100, first_seq=96) is BookStatus.STALE  # spot: u == L


def test_crossed_book_is_reported_but_applied() -> None:
    book = L2Book("X")
    book.apply_snapshot([(99, 1)], [(101, 1)])
    assert book.apply_delta([(101, 5)], []) is BookStatus.CROSSED
    assert book.best_bid == 101 and book.is_crossed
    assert book.apply_delta([(101, 0)], []) is BookStatus.APPLIED


def _crc(book: L2Book) -> int:
    text = "".join(f"{p}{q}" for p, q in book.levels(BookSide.ASK, 10)) + "".join(
        f"{p}{q}" for p, q in book.levels(BookSide.BID, 10)
    )
    return zlib.crc32(text.encode())


def _book_with(bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> L2Book:
    book = L2Book("reference")
    book.apply_snapshot(bids, asks)
    return book


def test_checksum_hook_flags_a_mismatch_for_resync() -> None:
    book = L2Book("X", checksum_fn=_crc)
    good = _crc(_book_with([(99, 1), (98, 4)], [(101, 1)]))
    snapshot_crc = _crc(_book_with([(99, 1)], [(101, 1)]))
    assert book.apply_snapshot([(99, 1)], [(101, 1)], checksum=snapshot_crc) is BookStatus.APPLIED
    assert book.apply_delta([(98, 4)], [], checksum=good) is BookStatus.APPLIED
    assert book.apply_delta([(97, 4)], [], checksum=good) is BookStatus.CHECKSUM_MISMATCH
    assert book.needs_resync


def test_depth_limit_drops_levels_that_leave_the_subscribed_depth() -> None:
    book = L2Book("X", depth_limit=3)
    book.apply_snapshot([(99, 1), (98, 1), (97, 1)], [(101, 1), (102, 1), (103, 1)])
    book.apply_delta([(100, 2)], [])
    assert book.levels(BookSide.BID, 10) == [(100, 2), (99, 1), (98, 1)]
    book.apply_delta([(100, 0)], [])
    # Kraken sends no re-insert for 97: it is gone until the venue sends it again
    assert book.levels(BookSide.BID, 10) == [(99, 1), (98, 1)]


def test_volume_within_band_of_best() -> None:
    book = L2Book("X")
    book.apply_snapshot([(100, 1), (99, 2), (95, 4)], [(101, 1), (103, 2), (110, 4)])
    assert book.volume_within(BookSide.BID, 1) == 3
    assert book.volume_within(BookSide.ASK, 2) == 3
    assert book.mid2() == 201 and book.spread() == 1
