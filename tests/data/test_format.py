"""The event format itself: round trip, the ordering contract write_events enforces, the
local view, and reading the foreign synthetic stream exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from falconet.core.errors import FalconetError
from falconet.data.convert.synthetic import content_hash, convert_synthetic
from falconet.data.format import (
    ASK,
    BID,
    BOTH,
    BUY,
    FORMAT_VERSION,
    EventFormatError,
    EventKind,
    EventTable,
    local_order,
    make_instrument,
    read_events,
    write_events,
)

SYNTH_SHA256 = "01883617dcd4c650020657cfb5db59c10a786d8e7171eb3cfeef9b9d13ee2953"
K = EventKind


def small_table(**overrides: np.ndarray) -> EventTable:
    """CLEAR + 2 SNAPSHOT rows, a trade and the depth change it caused, a BBO pair."""
    inst = make_instrument("binance", "BTCUSDT", "BTC", "USDT", "perp", tick="0.5", lot="0.001")
    cols = {
        "ts_exchange": np.array([10, 10, 10, 20, 20, 30, 30], dtype=np.int64),
        "ts_local": np.array([15, 15, 15, 22, 21, 31, 31], dtype=np.int64),
        "kind": np.array(
            [K.CLEAR, K.SNAPSHOT, K.SNAPSHOT, K.TRADE, K.DEPTH, K.BBO, K.BBO], np.int8
        ),
        "side": np.array([BOTH, BID, ASK, BUY, ASK, BID, ASK], dtype=np.int8),
        "price": np.array([0, 600_000, 600_010, 600_010, 600_010, 600_000, 600_020], np.int64),
        "qty": np.array([0, 1500, 2000, 500, 1500, 1500, 700], dtype=np.int64),
        "order_id": np.zeros(7, dtype=np.int64),
        "seq": np.array([7, 7, 7, 99, 8, 8, 8], dtype=np.int64),
    }
    cols.update(overrides)
    return EventTable(**cols, instrument=inst, meta={"source": ["x.gz"], "stats": {"a": 1}})


def test_round_trip_keeps_columns_instrument_and_metadata(tmp_path: Path) -> None:
    table = small_table()
    path = tmp_path / "t.parquet"
    write_events(path, table)
    back = read_events(path)
    for name in ("ts_exchange", "ts_local", "kind", "side", "price", "qty", "order_id", "seq"):
        assert np.array_equal(back.column(name), table.column(name)), name
        assert back.column(name).dtype == table.column(name).dtype
    assert back.instrument == table.instrument
    assert back.meta["source"] == ["x.gz"]
    assert back.stats["a"] == 1
    assert back.stats["rows"] == {"DEPTH": 1, "TRADE": 1, "CLEAR": 1, "SNAPSHOT": 2, "BBO": 2}
    meta = pq.read_schema(path).metadata
    assert meta[b"falconet.format"].decode() == FORMAT_VERSION
    doc = json.loads(meta[b"falconet.instrument"])
    assert doc == {
        "venue": "binance",
        "symbol": "BTCUSDT",
        "base": "BTC",
        "quote": "USDT",
        "kind": "perp",
        "price_decimals": 1,
        "size_decimals": 3,
        "tick": "0.5",
        "lot": "0.001",
    }
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_symbol_can_be_renamed_and_increments_must_agree(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write_events(path, small_table())
    assert read_events(path, symbol="XBT").instrument.symbol == "XBT"
    assert read_events(path, tick="0.50", lot="0.001").instrument.lot == 1
    with pytest.raises(EventFormatError, match=re.escape("tick 0.1 disagrees with the file's 0.5")):
        read_events(path, tick="0.1")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"ts_exchange": np.array([10, 10, 10, 20, 19, 30, 30])}, "row 4: ts_exchange 19"),
        ({"ts_local": np.array([15, 15, 15, 22, 19, 31, 31])}, "row 4: ts_local 19 is before"),
        ({"kind": np.array([3, 4, 4, 2, 9, 5, 5], dtype=np.int8)}, "row 4: unknown kind 9"),
        ({"side": np.array([0, 1, -1, 2, -1, 1, -1], dtype=np.int8)}, "row 3: side"),
        ({"qty": np.array([0, 1500, 2000, 500, -1, 1500, 700])}, "row 4: negative qty"),
        (
            {"price": np.array([0, 600_000, 600_010, 600_013, 600_010, 600_000, 600_020])},
            "row 3: price 60001.3 is not a multiple of the tick 0.5",
        ),
        ({"kind": np.array([1, 4, 4, 2, 1, 5, 5], dtype=np.int8)}, "row 1: a SNAPSHOT row"),
        ({"price": np.zeros(7, dtype=np.int32)}, "column price: expected 7 values of int64"),
    ],
)
def test_write_refuses_a_broken_table(tmp_path: Path, override: dict, message: str) -> None:
    fixed = {k: v.astype(np.int64) if v.dtype == np.int64 else v for k, v in override.items()}
    with pytest.raises(EventFormatError, match=re.escape(message)):
        write_events(tmp_path / "bad.parquet", small_table(**fixed))
    assert not list(tmp_path.iterdir())


def test_negative_latency_is_written_only_when_asked(tmp_path: Path) -> None:
    table = small_table(ts_local=np.array([5, 5, 5, 22, 21, 31, 31], dtype=np.int64))
    with pytest.raises(EventFormatError):
        write_events(tmp_path / "t.parquet", table)
    write_events(tmp_path / "t.parquet", table, allow_negative_latency=True)
    assert read_events(tmp_path / "t.parquet").ts_local[0] == 5


def test_local_order_is_none_in_order_and_a_stable_argsort_otherwise() -> None:
    assert local_order(small_table(ts_local=np.array([15, 15, 15, 21, 22, 31, 31]))) is None
    order = local_order(small_table())
    assert order is not None
    # The depth row (local 21) replays before the trade (local 22); ties keep file order.
    assert order.tolist() == [0, 1, 2, 4, 3, 5, 6]


def test_read_errors_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(EventFormatError, match="no such file"):
        read_events(tmp_path / "missing.parquet")
    text = tmp_path / "text.parquet"
    text.write_text("hello")
    with pytest.raises(EventFormatError, match="not a Parquet file"):
        read_events(text)
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), other)
    with pytest.raises(EventFormatError, match=r"not a falconet event file.*columns: a"):
        read_events(other)


def synthetic_like(path: Path, prices: list[float], kinds: list[str] | None = None) -> Path:
    n = len(prices)
    table = pa.table(
        {
            "ts_exchange_ns": np.arange(n, dtype=np.int64),
            "ts_local_ns": np.arange(n, dtype=np.int64) + 5,
            "kind": kinds or ["book"] * n,
            "side": ["bid"] * n,
            "price": prices,
            "qty": [1.0] * n,
        }
    ).replace_schema_metadata({"tick_size": "0.01", "lot_size": "1.0"})
    pq.write_table(table, path)
    return path


def test_foreign_floats_convert_exactly_or_fail_naming_the_row(tmp_path: Path) -> None:
    path = synthetic_like(tmp_path / "s.parquet", [98.31, 100.27, 0.07, 99.995])
    with pytest.raises(
        FalconetError, match=re.escape("row 3: price 99.995 is not a multiple of 0.01")
    ):
        read_events(path)
    ok = read_events(synthetic_like(tmp_path / "ok.parquet", [98.31, 100.27, 0.07]))
    assert ok.price.tolist() == [9831, 10027, 7]
    assert read_events(tmp_path / "ok.parquet", tick="0.001").price.tolist() == [98310, 100270, 70]
    bad = synthetic_like(tmp_path / "k.parquet", [1.0, 1.0], ["book", "quote"])
    with pytest.raises(EventFormatError, match="row 1: unknown kind 'quote'"):
        read_events(bad)


def test_synthetic_stream_reads_exactly(shared_data: Path) -> None:
    table = read_events(shared_data / "synthetic/synth_l2.parquet")
    assert len(table) == 2_000_000
    assert table.counts() == {
        "DEPTH": 1_820_888, "TRADE": 178_620, "CLEAR": 12, "SNAPSHOT": 480, "BBO": 0
    }  # fmt: skip
    assert str(table.instrument.venue) == "sim" and table.instrument.lot == 1
    assert len(np.unique(table.ts_exchange)) == 716_667
    assert int(table.price[table.kind != K.CLEAR].min()) == 9831
    assert int(table.price.max()) == 10027
    assert local_order(table) is None  # both clocks already agree on the order
    assert content_hash(table) == SYNTH_SHA256


def test_synthetic_conversion_round_trip_keeps_the_content_hash(
    shared_data: Path, tmp_path: Path
) -> None:
    table = convert_synthetic([shared_data / "synthetic/synth_l2.parquet"])
    assert table.stats["content_sha256_verified"] is True
    write_events(tmp_path / "synth.parquet", table)
    back = read_events(tmp_path / "synth.parquet")
    assert content_hash(back) == SYNTH_SHA256
    assert back.stats["generator"]["seed"] == "20240601"
