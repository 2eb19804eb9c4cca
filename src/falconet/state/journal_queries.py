"""Reading the journal: fills, realized PnL, open orders, watermarks.

These functions take a connection, so the engine's `Journal` and the read-only
`falconet journal` command share them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from falconet.core.enums import Side
from falconet.core.orders import OrderStatus
from falconet.state.journal_schema import open_connection
from falconet.state.pnl import AssetPnl, PnlFill, realized_pnl

OPEN_STATUSES = tuple(s.value for s in OrderStatus if s.is_open)


@dataclass(frozen=True, slots=True)
class FillRow:
    ts_ns: int  # ts_exchange
    venue: str
    symbol: str
    strategy: str
    side: Side
    price: Decimal
    size: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    trade_id: str
    client_id: str
    venue_order_id: str | None
    instrument: str

    def for_pnl(self) -> PnlFill:
        return PnlFill(
            venue=self.venue,
            symbol=self.symbol,
            side=self.side,
            price=self.price,
            size=self.size,
            fee=self.fee,
            fee_currency=self.fee_currency,
            ts_ns=self.ts_ns,
        )


@dataclass(frozen=True, slots=True)
class OrderRow:
    venue: str
    client_id: str
    venue_order_id: str | None
    instrument: str
    symbol: str
    strategy: str
    intent: str
    level: int
    side: Side
    order_type: str
    time_in_force: str
    price: Decimal | None
    size: Decimal
    filled: Decimal
    status: OrderStatus
    reason: str
    created_ns: int
    updated_ns: int


@dataclass(frozen=True, slots=True)
class Watermark:
    key: str
    last_trade_id: str
    last_order_id: str
    last_fill_ns: int
    updated_ns: int


_FILL_COLUMNS = (
    "ts_exchange, venue, symbol, strategy, side, price, size, fee, fee_currency, "
    "liquidity, trade_id, client_id, venue_order_id, instrument"
)


def select_fills(
    conn: sqlite3.Connection,
    *,
    symbol: str | None = None,
    venue: str | None = None,
    since_ns: int | None = None,
) -> list[FillRow]:
    """Fills in time order (ties in the order they were recorded)."""
    where, params = _filters(symbol=symbol, venue=venue, since_ns=since_ns)
    rows = conn.execute(
        f"SELECT {_FILL_COLUMNS} FROM fills{where} ORDER BY ts_exchange, id", params
    ).fetchall()
    return [
        FillRow(
            ts_ns=r[0],
            venue=r[1],
            symbol=r[2],
            strategy=r[3],
            side=Side(r[4]),
            price=Decimal(r[5]),
            size=Decimal(r[6]),
            fee=Decimal(r[7]),
            fee_currency=r[8],
            liquidity=r[9],
            trade_id=r[10],
            client_id=r[11],
            venue_order_id=r[12],
            instrument=r[13],
        )
        for r in rows
    ]


def select_pnl(
    conn: sqlite3.Connection, *, symbol: str | None = None, since_ns: int | None = None
) -> list[AssetPnl]:
    """Realized PnL per (venue, symbol); positions come from the whole history, the
    realized figures from fills at or after `since_ns`."""
    fills = select_fills(conn, symbol=symbol)
    return realized_pnl((f.for_pnl() for f in fills), since_ns=since_ns)


def select_open_orders(
    conn: sqlite3.Connection, *, venue: str | None = None, strategy: str | None = None
) -> list[OrderRow]:
    """Orders whose last recorded status is not terminal, oldest first."""
    where, params = _filters(venue=venue, strategy=strategy)
    marks = ", ".join("?" for _ in OPEN_STATUSES)
    where = f"{where} AND status IN ({marks})" if where else f" WHERE status IN ({marks})"
    rows = conn.execute(
        "SELECT venue, client_id, venue_order_id, instrument, symbol, strategy, intent, "
        "level, side, order_type, time_in_force, price, size, filled, status, reason, "
        f"created_ns, updated_ns FROM orders{where} ORDER BY created_ns, client_id",
        (*params, *OPEN_STATUSES),
    ).fetchall()
    return [
        OrderRow(
            venue=r[0],
            client_id=r[1],
            venue_order_id=r[2],
            instrument=r[3],
            symbol=r[4],
            strategy=r[5],
            intent=r[6],
            level=r[7],
            side=Side(r[8]),
            order_type=r[9],
            time_in_force=r[10],
            price=None if r[11] is None else Decimal(r[11]),
            size=Decimal(r[12]),
            filled=Decimal(r[13]),
            status=OrderStatus(r[14]),
            reason=r[15],
            created_ns=r[16],
            updated_ns=r[17],
        )
        for r in rows
    ]


def select_watermark(conn: sqlite3.Connection, key: str) -> Watermark | None:
    row = conn.execute(
        "SELECT key, last_trade_id, last_order_id, last_fill_ns, updated_ns "
        "FROM watermarks WHERE key = ?",
        (key,),
    ).fetchone()
    return None if row is None else Watermark(*row)


def count_strategy_events(conn: sqlite3.Connection, kind: str | None = None) -> int:
    if kind is None:
        return int(conn.execute("SELECT count(*) FROM strategy_events").fetchone()[0])
    sql = "SELECT count(*) FROM strategy_events WHERE kind = ?"
    return int(conn.execute(sql, (kind,)).fetchone()[0])


def _filters(**values: str | int | None) -> tuple[str, tuple[str | int, ...]]:
    clauses: list[str] = []
    params: list[str | int] = []
    for name, value in values.items():
        if value is None:
            continue
        if name == "since_ns":
            clauses.append("ts_exchange >= ?")
        else:
            clauses.append(f"{name} = ?")
        params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


class JournalReader:
    """A read-only view of a journal file (for the CLI and tools); never writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn = open_connection(self.path, readonly=True)

    def fills(
        self, *, symbol: str | None = None, venue: str | None = None, since_ns: int | None = None
    ) -> list[FillRow]:
        return select_fills(self._conn, symbol=symbol, venue=venue, since_ns=since_ns)

    def realized_pnl(
        self, *, symbol: str | None = None, since_ns: int | None = None
    ) -> list[AssetPnl]:
        return select_pnl(self._conn, symbol=symbol, since_ns=since_ns)

    def open_orders(
        self, *, venue: str | None = None, strategy: str | None = None
    ) -> list[OrderRow]:
        return select_open_orders(self._conn, venue=venue, strategy=strategy)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
