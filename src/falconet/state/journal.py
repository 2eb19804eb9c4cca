"""The trade journal: orders, fills, strategy events and fill watermarks in SQLite.

    journal = Journal(journal_path())
    if journal.record_fill(fill, venue="hyperliquid", strategy="Grid", symbol="HYPE/USDC",
                           price_decimals=4, size_decimals=2):
        ...  # a new fill, now on disk: count it
    journal.record_order(order, venue=..., strategy=..., symbol=..., ...)   # queued
    journal.record_event("accumulation_sell", {...}, strategy="Grid", symbol="HYPE/USDC")

Durability. The database is in WAL mode with `synchronous=NORMAL`: a commit is a write
into the WAL file, not an fsync, so it survives the process being killed (the data is in
the operating system's cache) but the last commits before a power cut or kernel crash
can be lost, all together (the database stays consistent). `synchronous=FULL` would fsync
each commit, about ten times slower; the venue is the source of truth, and a fill lost
with the power is fetched again at start-up reconciliation (its watermark was lost in the
same transaction), so NORMAL is the default and FULL an option.

Fills are written synchronously on the caller's thread: `record_fill` returns after the
commit, so its answer (new or duplicate) is exact, also across restarts, and a True answer
means the fill survives a SIGKILL. It costs tens of microseconds. Orders and strategy
events go through a queue to a writer thread, which commits them in batches; `flush()`
waits until everything queued so far is committed. The writer thread also checkpoints
the WAL (copies it into the database, with the fsyncs) on a connection of its own, so
`record_fill` does not wait for a disk flush; only when writes never pause long enough
for the WAL to rewind (over 16 MB of it) does it wait for one short catch-up copy.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from falconet.core.events import Fill
from falconet.core.fixed import format_scaled
from falconet.core.orders import Order
from falconet.observe.log import get_logger
from falconet.state.journal_queries import (
    FillRow,
    OrderRow,
    Watermark,
    select_fills,
    select_open_orders,
    select_pnl,
    select_watermark,
)
from falconet.state.journal_schema import (
    INSERT_EVENT,
    INSERT_FILL,
    SET_WATERMARK,
    UPSERT_ORDER,
    UPSERT_WATERMARK,
    JournalError,
    open_connection,
)
from falconet.state.keys import state_key
from falconet.state.pnl import AssetPnl

log = get_logger("journal")

DEFAULT_CHECKPOINT_S = 1.0
MAX_BATCH = 64  # queued writes per transaction: bounds how long a fill waits for the lock
CATCH_UP_FRAMES = 4000  # WAL pages (16 MB at 4 KiB) worth holding writers back to rewind

_Write = tuple[str, tuple[Any, ...]]


class _FlushMarker:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


_STOP = object()


def _name(value: str | Enum) -> str:
    return str(value.value) if isinstance(value, Enum) else value


class Journal:
    """The engine's journal (one per process). Thread-safe."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "NORMAL",
        checkpoint_every_s: float = DEFAULT_CHECKPOINT_S,
    ) -> None:
        self.path = Path(path)
        self.synchronous = synchronous.upper()
        self.checkpoint_every_s = checkpoint_every_s
        self.fills_recorded = 0
        self.duplicate_fills = 0
        self.write_errors = 0
        self._conn = open_connection(self.path, synchronous=self.synchronous)
        self._lock = threading.Lock()  # one user of the connection at a time
        self._queue: queue.SimpleQueue[_Write | _FlushMarker | object] = queue.SimpleQueue()
        self._closed = False
        self._writer = threading.Thread(target=self._run, name="falconet-journal", daemon=True)
        self._writer.start()

    # --- fills: synchronous, exact ------------------------------------------------------

    def record_fill(
        self,
        fill: Fill,
        *,
        venue: str | Enum,
        strategy: str,
        symbol: str,
        price_decimals: int,
        size_decimals: int,
    ) -> bool:
        """Record one fill; False if this (venue, order, trade id) was recorded before.

        Returns after the commit: True means the fill is on disk. The watermark of
        `"{strategy}:{symbol}:{venue}"` advances in the same transaction."""
        venue_name = _name(venue)
        order_ref = fill.client_id or fill.venue_order_id or ""
        row = (
            venue_name,
            order_ref,
            fill.trade_id,
            fill.client_id,
            fill.venue_order_id,
            fill.instrument_id,
            symbol,
            strategy,
            fill.side.value,
            format_scaled(fill.price, price_decimals),
            format_scaled(fill.size, size_decimals),
            price_decimals,
            size_decimals,
            format(fill.fee, "f"),
            fill.fee_currency,
            fill.liquidity.value,
            fill.ts_exchange,
            fill.ts_local,
            time.time_ns(),
        )
        mark = (
            state_key(strategy, symbol, venue_name),
            fill.trade_id,
            fill.venue_order_id or "",
            fill.ts_exchange,
            time.time_ns(),
        )
        with self._lock:
            self._check_open()
            try:
                self._conn.execute("BEGIN")
                new = self._conn.execute(INSERT_FILL, row).rowcount == 1
                if new:
                    self._conn.execute(UPSERT_WATERMARK, mark)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise JournalError(f"{self.path}: cannot record fill: {exc}") from exc
            if new:
                self.fills_recorded += 1
            else:
                self.duplicate_fills += 1
        return new

    def has_fill(self, venue: str | Enum, order_ref: str, trade_id: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM fills WHERE venue = ? AND order_ref = ? AND trade_id = ?",
                (_name(venue), order_ref, trade_id),
            ).fetchone()
        return row is not None

    def set_watermark(self, key: str, *, trade_id: str, order_id: str, ts_ns: int) -> None:
        """Set a watermark outright (the start-up bootstrap); synchronous."""
        with self._lock:
            self._check_open()
            self._conn.execute(SET_WATERMARK, (key, trade_id, order_id, ts_ns, time.time_ns()))

    def watermark(self, key: str) -> Watermark | None:
        with self._lock:
            return select_watermark(self._conn, key)

    # --- orders and events: queued ------------------------------------------------------

    def record_order(
        self,
        order: Order,
        *,
        venue: str | Enum,
        strategy: str,
        symbol: str,
        price_decimals: int,
        size_decimals: int,
    ) -> None:
        """Queue the order as it is now (insert, or update its last known state)."""
        tag = order.tag
        price = None if order.price is None else format_scaled(order.price, price_decimals)
        row = (
            _name(venue),
            order.client_id,
            order.venue_order_id,
            order.instrument_id,
            symbol,
            strategy,
            tag.intent.name.lower() if tag else "",
            tag.level if tag else 0,
            order.side.value,
            order.order_type.value,
            order.time_in_force.value,
            price,
            format_scaled(order.quantity, size_decimals),
            format_scaled(order.filled, size_decimals),
            price_decimals,
            size_decimals,
            order.status.value,
            order.reject_reason,
            order.ts_created,
            order.ts_updated or order.ts_created,
        )
        self._enqueue((UPSERT_ORDER, row))

    def record_event(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        strategy: str,
        symbol: str = "",
        venue: str | Enum = "",
        ts_ns: int | None = None,
    ) -> None:
        """Queue a free-form strategy event (`data` as JSON; Decimals become strings)."""
        text = msgspec.json.encode(data).decode()
        ts = time.time_ns() if ts_ns is None else ts_ns
        self._enqueue((INSERT_EVENT, (ts, strategy, symbol, _name(venue), kind, text)))

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything queued so far is committed; raises JournalError if a
        write failed since the last flush."""
        marker = _FlushMarker()
        self._enqueue(marker)
        if not marker.done.wait(timeout):
            raise JournalError(f"{self.path}: journal writes did not finish in {timeout} s")
        if marker.error is not None:
            raise JournalError(f"{self.path}: journal write failed: {marker.error}")

    # --- queries (flush first, so they see every queued write) --------------------------

    def fills(
        self, *, symbol: str | None = None, venue: str | None = None, since_ns: int | None = None
    ) -> list[FillRow]:
        with self._lock:
            return select_fills(self._conn, symbol=symbol, venue=venue, since_ns=since_ns)

    def realized_pnl(
        self, *, symbol: str | None = None, since_ns: int | None = None
    ) -> list[AssetPnl]:
        with self._lock:
            return select_pnl(self._conn, symbol=symbol, since_ns=since_ns)

    def open_orders(
        self, *, venue: str | None = None, strategy: str | None = None
    ) -> list[OrderRow]:
        self.flush()
        with self._lock:
            return select_open_orders(self._conn, venue=venue, strategy=strategy)

    # --- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Commit what is queued, checkpoint the WAL into the database and close."""
        if self._closed:
            return
        self._queue.put(_STOP)
        self._writer.join()
        with self._lock:
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise JournalError(f"{self.path}: journal is closed")

    def _enqueue(self, item: _Write | _FlushMarker) -> None:
        if self._closed or not self._writer.is_alive():
            raise JournalError(f"{self.path}: journal is closed")
        self._queue.put(item)

    def _run(self) -> None:
        checkpointer: sqlite3.Connection | None = None
        next_checkpoint = time.monotonic() + self.checkpoint_every_s
        pending_error: BaseException | None = None
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self.checkpoint_every_s)
            except queue.Empty:
                first = None
            writes: list[_Write] = []
            markers: list[_FlushMarker] = []
            item = first
            while item is not None:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, _FlushMarker):
                    markers.append(item)
                elif isinstance(item, tuple):
                    writes.append(item)
                if stopping or len(writes) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if writes:
                error = self._commit(writes)
                pending_error = error or pending_error
            for marker in markers:
                marker.error, pending_error = pending_error, None
                marker.done.set()
            if time.monotonic() >= next_checkpoint or stopping:
                checkpointer = self._checkpoint(checkpointer)
                next_checkpoint = time.monotonic() + self.checkpoint_every_s
        if checkpointer is not None:
            checkpointer.close()

    def _commit(self, writes: list[_Write]) -> BaseException | None:
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                for sql, params in writes:
                    self._conn.execute(sql, params)
                self._conn.execute("COMMIT")
                return None
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self.write_errors += 1
                log.error(
                    "journal write failed", path=self.path, writes=len(writes), error=str(exc)
                )
                return exc

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        # On a connection of its own and without the lock: the copying and its fsyncs
        # never hold up record_fill, and PASSIVE never blocks writers.
        try:
            if conn is None:
                conn = sqlite3.connect(os.fspath(self.path), isolation_level=None)
                conn.execute("PRAGMA busy_timeout = 1000")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            # The count is of the WAL since it last rewound. A commit rewinds it only if
            # everything was copied when its transaction began; writes that keep
            # arriving during the copy prevent that and the file keeps growing.
            wal_frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0][1]
            if wal_frames >= CATCH_UP_FRAMES:
                # Copy the remainder (what arrived during the first pass) with our
                # writers held back, so the next commit rewinds the WAL.
                with self._lock:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            log.warning("journal checkpoint failed", path=self.path, error=str(exc))
        return conn
