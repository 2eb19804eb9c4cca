"""Journal: exact decimals, duplicate fills across restarts, watermarks, orders, events."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from falconet.core.enums import Side, Venue
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.orders import Order, OrderStatus
from falconet.state import Journal, JournalError, JournalReader
from falconet.state.journal_queries import count_strategy_events

from .helpers import HYPE, HYPE_ID, PRICE_DECIMALS, SIZE_DECIMALS, fill

GRID_KEY = "Grid:HYPE/USDC:hyperliquid"


def record(journal: Journal, *fills_: object, strategy: str = "Grid") -> list[bool]:
    return [
        journal.record_fill(
            f,  # type: ignore[arg-type]
            venue=Venue.HYPERLIQUID,
            strategy=strategy,
            symbol=HYPE,
            price_decimals=PRICE_DECIMALS,
            size_decimals=SIZE_DECIMALS,
        )
        for f in fills_
    ]


def test_fill_is_stored_as_exact_decimal_text(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        assert record(journal, fill("t1", fee="0.0001443", fee_currency="USDC")) == [True]
        rows = journal.fills()
    assert len(rows) == 1
    row = rows[0]
    assert (row.price, row.size, row.fee) == (
        Decimal("41.23"),
        Decimal("0.35"),
        Decimal("0.0001443"),
    )
    assert (row.venue, row.symbol, row.strategy, row.side) == (
        "hyperliquid",
        HYPE,
        "Grid",
        Side.BUY,
    )
    raw = (
        sqlite3.connect(path)
        .execute(
            "SELECT price, size, price_decimals, size_decimals, fee, order_ref, instrument "
            "FROM fills"
        )
        .fetchone()
    )
    assert raw == (
        "41.23",
        "0.35",
        4,
        2,
        "0.0001443",
        "0xfa010101000000000000000000000001",
        HYPE_ID,
    )


def test_duplicate_fills_are_rejected_also_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        assert record(journal, fill("t1"), fill("t2"), fill("t1")) == [True, True, False]
        assert journal.duplicate_fills == 1
    with Journal(path) as journal:
        # Same trade id on another order, or the same fill replayed after a restart.
        other_order = fill("t1", client_id="0xfa010101000000000000000000000002")
        assert record(journal, fill("t2"), fill("t1"), other_order) == [False, False, True]
        assert len(journal.fills()) == 3
        assert journal.has_fill("hyperliquid", "0xfa010101000000000000000000000001", "t1")
        assert not journal.has_fill("hyperliquid", "0xfa010101000000000000000000000001", "t9")


def test_fill_without_client_id_is_keyed_by_venue_order_id(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        foreign = fill("t7", client_id="", venue_order_id="98765")
        assert record(journal, foreign, foreign) == [True, False]
        assert journal.has_fill(Venue.HYPERLIQUID, "98765", "t7")


def test_watermark_advances_with_fills_and_never_goes_back(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    base = 1_780_000_000_000_000_000
    with Journal(path) as journal:
        assert journal.watermark(GRID_KEY) is None
        record(journal, fill("t1", ts=base, venue_order_id="100"))
        record(journal, fill("t3", ts=base + 30, venue_order_id="300"))
        record(journal, fill("t2", ts=base + 20, venue_order_id="200"))  # late, older
        mark = journal.watermark(GRID_KEY)
        assert mark is not None
        assert (mark.last_trade_id, mark.last_order_id, mark.last_fill_ns) == (
            "t3",
            "300",
            base + 30,
        )
        record(journal, fill("t3", ts=base + 99, venue_order_id="300"))  # duplicate: no move
        mark = journal.watermark(GRID_KEY)
        assert mark is not None and mark.last_fill_ns == base + 30
        journal.set_watermark("MM:ETH/USDC:lighter", trade_id="", order_id="77", ts_ns=5)
    with Journal(path) as journal:
        mark = journal.watermark(GRID_KEY)
        assert mark is not None and mark.last_trade_id == "t3"
        bootstrap = journal.watermark("MM:ETH/USDC:lighter")
        assert bootstrap is not None and (bootstrap.last_order_id, bootstrap.last_fill_ns) == (
            "77",
            5,
        )


def make_order(seq: int, *, price: int = 410000, quantity: int = 35) -> Order:
    tag = OrderTag(StrategyCode.GRID, Intent.GRID_SELL, seq=seq, level=3)
    return Order(
        client_id=tag.encode(IdFormat.HEX128),
        instrument_id=HYPE_ID,
        side=Side.SELL,
        quantity=quantity,
        price=price,
        ts_created=1_000 + seq,
    )


def test_orders_as_last_recorded(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    ctx = {
        "venue": "hyperliquid",
        "strategy": "Grid",
        "symbol": HYPE,
        "price_decimals": PRICE_DECIMALS,
        "size_decimals": SIZE_DECIMALS,
    }
    with Journal(path) as journal:
        resting, canceled, partial = make_order(1), make_order(2), make_order(3, price=420000)
        for order in (resting, canceled, partial):
            journal.record_order(order, **ctx)  # type: ignore[arg-type]
        resting.status = OrderStatus.OPEN
        resting.venue_order_id = "555"
        canceled.status = OrderStatus.CANCELED
        partial.status = OrderStatus.PARTIALLY_FILLED
        partial.filled = 10
        for order in (resting, canceled, partial):
            order.ts_updated = 9_999
            journal.record_order(order, **ctx)  # type: ignore[arg-type]
        open_orders = journal.open_orders()
    assert [o.client_id for o in open_orders] == [resting.client_id, partial.client_id]
    first, second = open_orders
    assert (first.status, first.venue_order_id, first.price, first.size) == (
        OrderStatus.OPEN,
        "555",
        Decimal("41"),
        Decimal("0.35"),
    )
    assert (first.intent, first.level, first.strategy, first.side) == (
        "grid_sell",
        3,
        "Grid",
        Side.SELL,
    )
    assert (first.created_ns, first.updated_ns) == (1_001, 9_999)
    assert (second.status, second.filled, second.price) == (
        OrderStatus.PARTIALLY_FILLED,
        Decimal("0.1"),
        Decimal("42"),
    )
    with JournalReader(path) as reader:
        assert [o.client_id for o in reader.open_orders(strategy="Grid")] == [
            resting.client_id,
            partial.client_id,
        ]
        assert reader.open_orders(venue="kraken") == []


def test_strategy_events_are_json(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        journal.record_event(
            "accumulation_sell",
            {"retained": Decimal("0.01"), "profit": Decimal("0.4127")},
            strategy="Grid",
            symbol=HYPE,
            venue=Venue.HYPERLIQUID,
            ts_ns=42,
        )
        journal.record_event("restart", {}, strategy="Grid")
        journal.flush()
    conn = sqlite3.connect(path)
    assert count_strategy_events(conn) == 2
    assert count_strategy_events(conn, "restart") == 1
    row = conn.execute(
        "SELECT ts_ns, strategy, symbol, venue, kind, data FROM strategy_events "
        "WHERE kind = 'accumulation_sell'"
    ).fetchone()
    assert row == (
        42,
        "Grid",
        HYPE,
        "hyperliquid",
        "accumulation_sell",
        '{"retained":"0.01","profit":"0.4127"}',
    )


def test_journal_uses_wal_and_the_chosen_sync_mode(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path):
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    with pytest.raises(ValueError, match="synchronous"):
        Journal(path, synchronous="OFF")


def test_closed_journal_refuses_writes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.close()
    journal.close()  # idempotent
    with pytest.raises(JournalError, match="closed"):
        record(journal, fill("t1"))
    with pytest.raises(JournalError, match="closed"):
        journal.record_event("x", {}, strategy="Grid")


def test_files_that_are_not_journals_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(JournalError, match=r"garbage\.sqlite3"):
        Journal(garbage)
    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)")
    with pytest.raises(JournalError, match="not a falconet journal"):
        Journal(foreign)
    with pytest.raises(JournalError, match="journal not found"):
        JournalReader(tmp_path / "missing.sqlite3")
    newer = tmp_path / "newer.sqlite3"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer"):
        JournalReader(newer)


def test_reader_does_not_modify_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        record(journal, fill("t1"), fill("t2", side=Side.SELL, price=420000))
    before = path.read_bytes()
    with JournalReader(path) as reader:
        assert [f.trade_id for f in reader.fills()] == ["t1", "t2"]
        (pnl,) = reader.realized_pnl()
        assert pnl.realized == Decimal("0.2695")  # (42 - 41.23) * 0.35
    assert path.read_bytes() == before
