"""What the engine knows of each instrument's market and of each venue account, updated
from venue events as they arrive (before any runner sees them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from falconet.core.book import BookStatus, L2Book
from falconet.core.events import (
    BalanceUpdate,
    BookDelta,
    BookSnapshot,
    PositionUpdate,
    TopOfBook,
    Trade,
)
from falconet.core.instrument import Instrument
from falconet.observe.log import get_logger

log = get_logger("market")


@dataclass
class MarketState:
    instrument: Instrument
    book: L2Book = field(init=False)
    last_trade: Trade | None = None
    updates: int = 0
    gaps: int = 0

    def __post_init__(self) -> None:
        self.book = L2Book(self.instrument.id)

    def top(self) -> tuple[int | None, int, int | None, int]:
        """(best bid, its size, best ask, its size)."""
        b = self.book.best_bid_level()
        a = self.book.best_ask_level()
        return (
            b[0] if b else None,
            b[1] if b else 0,
            a[0] if a else None,
            a[1] if a else 0,
        )

    def apply(self, event: BookSnapshot | BookDelta | TopOfBook | Trade) -> bool:
        """Apply a market event; True if the top of book may have changed."""
        if isinstance(event, Trade):
            self.last_trade = event
            return False
        self.updates += 1
        if isinstance(event, TopOfBook):
            # a top-of-book-only feed: the book is the top level
            self.book.apply_snapshot(
                [(event.bid_px, event.bid_sz)],
                [(event.ask_px, event.ask_sz)],
                ts_exchange=event.ts_exchange,
                ts_local=event.ts_local,
            )
            return True
        status = self.book.apply(event)
        if status in (BookStatus.GAP, BookStatus.CHECKSUM_MISMATCH):
            self.gaps += 1
            log.warning("book out of sync", instrument=self.instrument.id, status=status.value)
        return status is not BookStatus.STALE


@dataclass
class Account:
    """One venue account: balances by asset, positions by instrument."""

    balances: dict[str, BalanceUpdate] = field(default_factory=dict)
    positions: dict[str, PositionUpdate] = field(default_factory=dict)

    def apply(self, event: BalanceUpdate | PositionUpdate) -> None:
        if isinstance(event, BalanceUpdate):
            self.balances[event.asset] = event
        else:
            self.positions[event.instrument_id] = event

    def balance(self, asset: str) -> tuple[Decimal | None, Decimal | None]:
        """(total, free), None when the venue never reported the asset."""
        b = self.balances.get(asset)
        return (None, None) if b is None else (b.total, b.free)
