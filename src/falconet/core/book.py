"""Level-2 order book: snapshot plus incremental updates, exact integer levels.

Each side is a dict price -> size plus a sorted list of prices, so changing an existing
level is one dict write, adding or removing a level is O(log n), and the best price is
an O(1) read. Bids are kept as negated prices so index 0 is the best level on both sides.

The book checks what a venue gives it (sequence numbers, checksums, crossing) and says
what it found through `BookStatus`; resynchronising (fetching a new snapshot) is the
caller's decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from itertools import islice

from sortedcontainers import SortedList

from falconet.core.enums import BookSide
from falconet.core.events import BookDelta, BookSnapshot, Level


class BookStatus(Enum):
    APPLIED = "applied"
    STALE = "stale"  # already covered by an earlier update: ignored
    GAP = "gap"  # updates are missing: not applied, resync needed
    UNSYNCED = "unsynced"  # no snapshot yet (or resync pending): not applied
    CROSSED = "crossed"  # applied, but best bid >= best ask
    CHECKSUM_MISMATCH = "checksum_mismatch"  # applied, venue checksum disagrees: resync


ChecksumFn = Callable[["L2Book"], int]


class _Side:
    __slots__ = ("best", "keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign  # +1 asks (ascending), -1 bids (descending)
        self.levels: dict[int, int] = {}
        self.keys: SortedList[int] = SortedList()
        # Best price, refreshed once per update batch so reads are an attribute load.
        self.best: int | None = None

    def clear(self) -> None:
        self.levels.clear()
        self.keys.clear()
        self.best = None

    def _refresh_best(self) -> None:
        keys = self.keys
        self.best = self.sign * keys[0] if keys else None

    def load(self, levels: Iterable[Level]) -> None:
        self.clear()
        book = self.levels
        for price, size in levels:  # in order: a repeated price keeps its last size
            if size > 0:
                book[price] = size
            else:
                book.pop(price, None)
        sign = self.sign
        self.keys.update(sign * p for p in book)
        self._refresh_best()

    def update(self, levels: Iterable[Level]) -> None:
        book = self.levels
        keys = self.keys
        sign = self.sign
        for price, size in levels:
            if size > 0:
                if price not in book:
                    keys.add(sign * price)
                book[price] = size
            elif price in book:
                del book[price]
                keys.remove(sign * price)
        self._refresh_best()

    def top(self, n: int) -> list[Level]:
        sign = self.sign
        book = self.levels
        return [(sign * k, book[sign * k]) for k in islice(self.keys, n)]

    def truncate(self, depth: int) -> None:
        keys = self.keys
        while len(keys) > depth:
            del self.levels[self.sign * keys.pop()]
        self._refresh_best()

    def volume(self, n: int) -> int:
        sign = self.sign
        book = self.levels
        return sum(book[sign * k] for k in islice(self.keys, n))

    def volume_between(self, lo: int, hi: int) -> int:
        """Total size of levels with lo <= price <= hi."""
        sign = self.sign
        a, b = (lo, hi) if sign > 0 else (-hi, -lo)
        book = self.levels
        return sum(book[sign * k] for k in self.keys.irange(a, b))


class L2Book:
    """One instrument's price-level book."""

    __slots__ = (
        "_asks",
        "_bids",
        "_bridging",
        "checksum_fn",
        "depth_limit",
        "instrument_id",
        "needs_resync",
        "seq",
        "ts_exchange",
        "ts_local",
        "updates",
    )

    def __init__(
        self,
        instrument_id: str = "",
        *,
        checksum_fn: ChecksumFn | None = None,
        depth_limit: int | None = None,
    ) -> None:
        self.instrument_id = instrument_id
        self.checksum_fn = checksum_fn
        # Venues that stream a fixed depth (Kraken) stop sending levels that fall out of
        # it; the book drops them itself after each update.
        self.depth_limit = depth_limit
        self._bids = _Side(-1)
        self._asks = _Side(1)
        self.seq: int | None = None
        self.ts_exchange = 0
        self.ts_local = 0
        self.updates = 0
        self.needs_resync = True
        self._bridging = False

    # --- writing --------------------------------------------------------------------

    def clear(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self.seq = None
        self.needs_resync = True

    def apply_snapshot(
        self,
        bids: Iterable[Level],
        asks: Iterable[Level],
        *,
        seq: int | None = None,
        ts_exchange: int = 0,
        ts_local: int = 0,
        checksum: int | None = None,
    ) -> BookStatus:
        self._bids.load(bids)
        self._asks.load(asks)
        if self.depth_limit is not None:
            self._bids.truncate(self.depth_limit)
            self._asks.truncate(self.depth_limit)
        self.seq = seq
        self._bridging = seq is not None
        self.needs_resync = False
        return self._finish(ts_exchange, ts_local, checksum)

    def apply_delta(
        self,
        bids: Iterable[Level],
        asks: Iterable[Level],
        *,
        seq: int | None = None,
        first_seq: int | None = None,
        prev_seq: int | None = None,
        checksum: int | None = None,
        ts_exchange: int = 0,
        ts_local: int = 0,
    ) -> BookStatus:
        if self.needs_resync:
            return BookStatus.UNSYNCED
        last = self.seq
        if seq is not None and last is not None:
            # futures (a `pu` given): the diff ending at the snapshot's id is the first to
            # process (U <= lastUpdateId <= u); spot starts after it
            bridging_futures = self._bridging and prev_seq is not None
            if seq < last or (seq == last and not bridging_futures):
                return BookStatus.STALE
            if self._bridging:
                # First update after a snapshot: it must start at or before the update
                # right after the snapshot (U <= lastUpdateId + 1), or continue it exactly
                # (futures ids are not contiguous: U may exceed it while pu == lastUpdateId)
                continues = prev_seq is not None and prev_seq == last
                if first_seq is not None and first_seq > last + 1 and not continues:
                    return self._gap()
            elif prev_seq is not None:
                if prev_seq != last:
                    return self._gap()
            elif first_seq is not None and first_seq > last + 1:
                return self._gap()
        self._bridging = False
        self._bids.update(bids)
        self._asks.update(asks)
        if self.depth_limit is not None:
            self._bids.truncate(self.depth_limit)
            self._asks.truncate(self.depth_limit)
        if seq is not None:
            self.seq = seq
        return self._finish(ts_exchange, ts_local, checksum)

    def apply(self, event: BookSnapshot | BookDelta) -> BookStatus:
        if isinstance(event, BookSnapshot):
            return self.apply_snapshot(
                event.bids,
                event.asks,
                seq=event.seq,
                ts_exchange=event.ts_exchange,
                ts_local=event.ts_local,
            )
        return self.apply_delta(
            event.bids,
            event.asks,
            seq=event.seq,
            first_seq=event.first_seq,
            prev_seq=event.prev_seq,
            checksum=event.checksum,
            ts_exchange=event.ts_exchange,
            ts_local=event.ts_local,
        )

    def _gap(self) -> BookStatus:
        self.needs_resync = True
        return BookStatus.GAP

    def _finish(self, ts_exchange: int, ts_local: int, checksum: int | None) -> BookStatus:
        self.ts_exchange = ts_exchange
        self.ts_local = ts_local
        self.updates += 1
        fn = self.checksum_fn
        if checksum is not None and fn is not None and fn(self) != checksum:
            self.needs_resync = True
            return BookStatus.CHECKSUM_MISMATCH
        if self.is_crossed:
            return BookStatus.CROSSED
        return BookStatus.APPLIED

    # --- reading --------------------------------------------------------------------

    @property
    def best_bid(self) -> int | None:
        return self._bids.best

    @property
    def best_ask(self) -> int | None:
        return self._asks.best

    def best_bid_level(self) -> Level | None:
        px = self.best_bid
        return None if px is None else (px, self._bids.levels[px])

    def best_ask_level(self) -> Level | None:
        px = self.best_ask
        return None if px is None else (px, self._asks.levels[px])

    @property
    def is_crossed(self) -> bool:
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def mid2(self) -> int | None:
        """Twice the mid price, in price units (exact)."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else bid + ask

    def spread(self) -> int | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask - bid

    def size_at(self, side: BookSide, price: int) -> int:
        return (self._bids if side is BookSide.BID else self._asks).levels.get(price, 0)

    def levels(self, side: BookSide, n: int) -> list[Level]:
        """Top `n` levels of one side, best first."""
        return (self._bids if side is BookSide.BID else self._asks).top(n)

    def depth(self, side: BookSide) -> int:
        """Number of price levels on one side."""
        return len((self._bids if side is BookSide.BID else self._asks).levels)

    def volume(self, side: BookSide, n: int) -> int:
        """Total size of the top `n` levels of one side."""
        return (self._bids if side is BookSide.BID else self._asks).volume(n)

    def volume_between(self, side: BookSide, lo: int, hi: int) -> int:
        """Total size resting on one side at prices in [lo, hi]."""
        return (self._bids if side is BookSide.BID else self._asks).volume_between(lo, hi)

    def volume_within(self, side: BookSide, band: int) -> int:
        """Size on one side within `band` price units of that side's best price."""
        s = self._bids if side is BookSide.BID else self._asks
        best = s.best
        if best is None:
            return 0
        lo, hi = (best - band, best) if side is BookSide.BID else (best, best + band)
        return s.volume_between(lo, hi)

    def imbalance(self, n: int) -> float | None:
        """(Vb - Va) / (Vb + Va) over the top `n` levels: +1 all bids, -1 all asks."""
        vb = self._bids.volume(n)
        va = self._asks.volume(n)
        total = vb + va
        return None if total == 0 else (vb - va) / total

    def __repr__(self) -> str:
        return (
            f"L2Book({self.instrument_id!r}, bid={self.best_bid_level()}, "
            f"ask={self.best_ask_level()}, levels={self.depth(BookSide.BID)}/"
            f"{self.depth(BookSide.ASK)}, seq={self.seq})"
        )
