"""The book rebuilt from real Binance captures: bridging, gap-free sequencing, and agreement
with every bookTicker the exchange published alongside the diffs."""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.core.events import BookDelta, BookSnapshot, TopOfBook
from falconet.data.binance import BinanceBookSync, BinanceCaptureReader, binance_instrument

# file, market, symbol, diffs the snapshot already covered (published with the data)
CAPTURES = [
    ("usdm_btcusdt_20240808.gz", "usdm", "BTCUSDT", 4),
    ("usdm_btcusdt_20240718.gz", "usdm", "BTCUSDT", 5),
    ("spot_btcusdt_20240808.gz", "spot", "BTCUSDT", 2),
    ("cm_btcusd_perp_20240808.gz", "cm", "BTCUSD_PERP", 23),
]
TOP = 40  # levels kept per state for the consistency check


@dataclass
class State:
    first: int  # U of the diff that produced it
    last: int  # u
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    touched_bids: set[int]
    touched_asks: set[int]


@functools.cache
def replay(
    path: Path, market: str, symbol: str
) -> tuple[BinanceBookSync, list[State], list[TopOfBook]]:
    inst = binance_instrument(market, symbol)
    states: list[State] = []
    tickers: list[TopOfBook] = []

    def record(delta: BookDelta, book: L2Book) -> None:
        states.append(
            State(
                first=delta.first_seq or 0,
                last=delta.seq or 0,
                bids=book.levels(BookSide.BID, TOP),
                asks=book.levels(BookSide.ASK, TOP),
                touched_bids={p for p, _ in delta.bids},
                touched_asks={p for p, _ in delta.asks},
            )
        )

    sync = BinanceBookSync(L2Book(inst.id), on_applied=record)
    for ev in BinanceCaptureReader(path, inst):
        if isinstance(ev, BookSnapshot):
            sync.on_snapshot(ev)
        elif isinstance(ev, BookDelta):
            sync.on_delta(ev)
        elif isinstance(ev, TopOfBook):
            tickers.append(ev)
    return sync, states, tickers


@pytest.mark.parametrize(("name", "market", "symbol", "dropped"), CAPTURES)
def test_capture_bridges_the_snapshot_without_gaps(
    shared_data: Path, name: str, market: str, symbol: str, dropped: int
) -> None:
    sync, states, _ = replay(shared_data / "l2/binance" / name, market, symbol)
    assert sync.stats.gaps == 0
    assert sync.stats.dropped_stale == dropped
    assert sync.stats.crossed == 0
    assert not sync.book.needs_resync
    assert len(states) == sync.stats.applied > 1000
    for s in states:  # both sides populated after every diff
        assert s.bids and s.asks and s.bids[0][0] < s.asks[0][0]


@pytest.mark.parametrize(("name", "market", "symbol", "dropped"), CAPTURES)
def test_book_agrees_with_every_book_ticker(
    shared_data: Path, name: str, market: str, symbol: str, dropped: int
) -> None:
    """A bookTicker whose update id falls between two diffs shows a book state the diffs
    also produce: best prices and sizes must match exactly. One whose id falls inside a
    diff's range shows an intermediate state: it must still be consistent with it (no
    level the diff leaves untouched can be better than the ticker's, and an untouched
    best level keeps its size)."""
    _, states, tickers = replay(shared_data / "l2/binance" / name, market, symbol)
    lasts = [s.last for s in states]
    exact = consistent = 0
    checkable = [t for t in tickers if t.seq is not None and lasts[0] <= t.seq]
    # After the file's last diff the next updates are in the next file: not checkable.
    checkable = [t for t in checkable if t.seq is not None and t.seq <= lasts[-1]]
    for t in checkable:
        assert t.seq is not None
        k = bisect.bisect_right(lasts, t.seq) - 1
        state = states[k]
        nxt = states[k + 1] if k + 1 < len(states) else None
        if nxt is None or nxt.first > t.seq:
            assert state.bids[0] == (t.bid_px, t.bid_sz), t
            assert state.asks[0] == (t.ask_px, t.ask_sz), t
            exact += 1
            continue
        for p, q in state.bids:
            if p > t.bid_px:
                assert p in nxt.touched_bids, (t, p)
            elif p == t.bid_px and p not in nxt.touched_bids:
                assert q == t.bid_sz, t
        for p, q in state.asks:
            if p < t.ask_px:
                assert p in nxt.touched_asks, (t, p)
            elif p == t.ask_px and p not in nxt.touched_asks:
                assert q == t.ask_sz, t
        # an untouched best level must already rest in the book (within the levels kept)
        if t.bid_px not in nxt.touched_bids and t.bid_px >= state.bids[-1][0]:
            assert (t.bid_px, t.bid_sz) in state.bids, t
        if t.ask_px not in nxt.touched_asks and t.ask_px <= state.asks[-1][0]:
            assert (t.ask_px, t.ask_sz) in state.asks, t
        consistent += 1
    assert exact > 150
    assert exact + consistent == len(checkable) > 0.99 * len(tickers)
