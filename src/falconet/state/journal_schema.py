"""The journal's SQLite schema and how its connections are opened.

Prices, sizes and fees are exact decimal text (never REAL), with the instrument's
decimals beside them so the scaled integers can be rebuilt. Times are ns since the epoch.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from falconet.core.errors import FalconetError
from falconet.state.paths import ensure_dir

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # the WAL file is cut back to this when it rewinds
SYNCHRONOUS_MODES = ("NORMAL", "FULL", "EXTRA")

SCHEMA = """
CREATE TABLE orders (
    venue           TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    venue_order_id  TEXT,
    instrument      TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    strategy        TEXT    NOT NULL,
    intent          TEXT    NOT NULL,  -- decoded from the client id; '' for foreign orders
    level           INTEGER NOT NULL,
    side            TEXT    NOT NULL,  -- buy | sell
    order_type      TEXT    NOT NULL,
    time_in_force   TEXT    NOT NULL,
    price           TEXT,              -- NULL for market orders
    size            TEXT    NOT NULL,
    filled          TEXT    NOT NULL,
    price_decimals  INTEGER NOT NULL,
    size_decimals   INTEGER NOT NULL,
    status          TEXT    NOT NULL,  -- core.orders.OrderStatus values
    reason          TEXT    NOT NULL,
    created_ns      INTEGER NOT NULL,
    updated_ns      INTEGER NOT NULL,
    PRIMARY KEY (venue, client_id)
);
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE fills (
    id              INTEGER PRIMARY KEY,
    venue           TEXT    NOT NULL,
    order_ref       TEXT    NOT NULL,  -- the client id, else the venue order id
    trade_id        TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    venue_order_id  TEXT,
    instrument      TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    strategy        TEXT    NOT NULL,
    side            TEXT    NOT NULL,
    price           TEXT    NOT NULL,
    size            TEXT    NOT NULL,
    price_decimals  INTEGER NOT NULL,
    size_decimals   INTEGER NOT NULL,
    fee             TEXT    NOT NULL,  -- > 0 paid, < 0 rebate
    fee_currency    TEXT    NOT NULL,  -- '' means the quote currency
    liquidity       TEXT    NOT NULL,  -- maker | taker
    ts_exchange     INTEGER NOT NULL,
    ts_local        INTEGER NOT NULL,
    recorded_ns     INTEGER NOT NULL,
    UNIQUE (venue, order_ref, trade_id)
);
CREATE INDEX fills_by_symbol_time ON fills (symbol, ts_exchange);

CREATE TABLE strategy_events (
    id              INTEGER PRIMARY KEY,
    ts_ns           INTEGER NOT NULL,
    strategy        TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    venue           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    data            TEXT    NOT NULL   -- JSON object
);
CREATE INDEX strategy_events_by_kind ON strategy_events (strategy, kind, ts_ns);

CREATE TABLE watermarks (
    key             TEXT    PRIMARY KEY,  -- "{strategy}:{symbol}:{venue}"
    last_trade_id   TEXT    NOT NULL,
    last_order_id   TEXT    NOT NULL,
    last_fill_ns    INTEGER NOT NULL,
    updated_ns      INTEGER NOT NULL
);
"""

INSERT_FILL = (
    "INSERT INTO fills (venue, order_ref, trade_id, client_id, venue_order_id, instrument, "
    "symbol, strategy, side, price, size, price_decimals, size_decimals, fee, fee_currency, "
    "liquidity, ts_exchange, ts_local, recorded_ns) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
# A watermark only moves forward in time; replayed older fills leave it alone.
UPSERT_WATERMARK = (
    "INSERT INTO watermarks (key, last_trade_id, last_order_id, last_fill_ns, updated_ns) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
    "last_trade_id = excluded.last_trade_id, last_order_id = excluded.last_order_id, "
    "last_fill_ns = excluded.last_fill_ns, updated_ns = excluded.updated_ns "
    "WHERE excluded.last_fill_ns >= watermarks.last_fill_ns"
)
SET_WATERMARK = (
    "INSERT OR REPLACE INTO watermarks "
    "(key, last_trade_id, last_order_id, last_fill_ns, updated_ns) VALUES (?, ?, ?, ?, ?)"
)
UPSERT_ORDER = (
    "INSERT INTO orders (venue, client_id, venue_order_id, instrument, symbol, strategy, "
    "intent, level, side, order_type, time_in_force, price, size, filled, price_decimals, "
    "size_decimals, status, reason, created_ns, updated_ns) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (venue, client_id) DO UPDATE SET "
    "venue_order_id = excluded.venue_order_id, price = excluded.price, "
    "size = excluded.size, filled = excluded.filled, status = excluded.status, "
    "reason = excluded.reason, updated_ns = excluded.updated_ns"
)
INSERT_EVENT = (
    "INSERT INTO strategy_events (ts_ns, strategy, symbol, venue, kind, data) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


class JournalError(FalconetError):
    """The journal cannot be opened or written; the message names the file."""


def open_connection(
    path: Path, *, readonly: bool = False, synchronous: str = "NORMAL"
) -> sqlite3.Connection:
    """A connection in WAL mode with the schema checked (and created when writable)."""
    if synchronous.upper() not in SYNCHRONOUS_MODES:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
    try:
        if readonly:
            if not path.is_file():
                raise JournalError(f"{path}: journal not found")
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            ensure_dir(path.parent)
            conn = sqlite3.connect(os.fspath(path), isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise JournalError(f"{path}: cannot open journal: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"{path}: cannot switch the journal to WAL mode ({mode})")
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            # Checkpoints (which fsync) run on the journal's writer thread, not in commits
            # made on the event loop's thread.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        _check_schema(conn, path, create=not readonly)
    except sqlite3.Error as exc:
        conn.close()
        raise JournalError(f"{path}: not a usable journal: {exc}") from exc
    except JournalError:
        conn.close()
        raise
    return conn


def _check_schema(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path}: journal schema version {version} is newer than this falconet "
            f"({SCHEMA_VERSION})"
        )
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise JournalError(f"{path}: not a falconet journal (it holds other tables)")
    if not create:
        raise JournalError(f"{path}: empty journal")
    try:
        conn.executescript(
            f"BEGIN IMMEDIATE; {SCHEMA}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
