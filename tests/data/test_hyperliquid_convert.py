"""Hyperliquid snapshots converted to deltas: rebuilding the book from the rows reproduces
every original snapshot's 20 visible levels exactly; trades keep their side and id."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import lz4.frame
import pytest

from falconet.core.fixed import parse_scaled
from falconet.data.convert import ConvertError, ConvertOptions, convert
from falconet.data.format import BUY, SELL, EventKind, read_events, write_events

from .conftest import converted
from .helpers import check_contract, states_at

ARCHIVE = "l2/hyperliquid/20240101_12_l2Book_BTC.lz4"
WS = "l2/hyperliquid/ws_btc_20250126.gz"


def snapshots(path: Path) -> list[tuple[int, list, list]]:
    """(exchange ms, bids, asks) of every l2Book message, levels as (1e-1 USD, 1e-5 BTC)."""
    if path.suffix == ".lz4":
        lines = [json.loads(x)["raw"] for x in lz4.frame.decompress(path.read_bytes()).splitlines()]
    else:
        text = gzip.decompress(path.read_bytes())
        lines = [json.loads(x.split(b" ", 1)[1]) for x in text.splitlines()]
    out = []
    for msg in lines:
        if msg["channel"] != "l2Book":
            continue
        data = msg["data"]
        side = [
            [(parse_scaled(v["px"], 1), parse_scaled(v["sz"], 5)) for v in lv]
            for lv in data["levels"]
        ]
        out.append((data["time"], side[0], side[1]))
    return out


@pytest.mark.parametrize("name", [ARCHIVE, WS])
def test_rebuilt_book_reproduces_every_snapshot(shared_data: Path, name: str) -> None:
    table = converted("hyperliquid", (shared_data / name,))
    check_contract(table)
    states = snapshots(shared_data / name)
    times = [t * 1_000_000 for t, _, _ in states]
    checked = 0
    for (t, bids, asks), (got_bids, got_asks) in zip(
        states, states_at(table, times, 20), strict=True
    ):
        assert (got_bids, got_asks) == (bids, asks), t
        checked += 1
    assert checked == len(states) == table.stats["book_snapshots"]


def test_archive_rows_and_instrument(shared_data: Path) -> None:
    table = converted("hyperliquid", (shared_data / ARCHIVE,))
    assert table.counts() == {"DEPTH": 26_327, "TRADE": 0, "CLEAR": 1, "SNAPSHOT": 40, "BBO": 0}
    assert table.stats["book_snapshots"] == 5_587
    assert table.stats["unchanged_snapshots"] == 536  # identical consecutive snapshots
    inst = table.instrument
    assert (inst.symbol, str(inst.venue), str(inst.kind)) == ("BTC", "hyperliquid", "perp")
    assert (inst.price_decimals, inst.size_decimals) == (1, 5)
    # the archive's collector time is the receive time: 12:00:01.138942031 for the first
    assert table.ts_local[0] == 1_704_110_401_138_942_031
    assert table.ts_exchange[0] == 1_704_110_399_915_000_000
    assert table.stats["local_time_correction_ns"] == 0


def test_websocket_trades(shared_data: Path, tmp_path: Path) -> None:
    table = converted("hyperliquid", (shared_data / WS,))
    stats = table.stats
    assert stats["trades"] == 64
    assert stats["dropped"]["trades_before_first_book"] == 30  # replayed on subscribing
    trades = table.kind == EventKind.TRADE
    assert int(trades.sum()) == 34
    raw = [
        t
        for line in gzip.decompress((shared_data / WS).read_bytes()).splitlines()
        for msg in [json.loads(line.split(b" ", 1)[1])]
        if msg["channel"] == "trades"
        for t in msg["data"]
    ]
    first_book_ms = snapshots(shared_data / WS)[0][0]
    kept = {t["tid"]: t for t in raw if t["time"] >= first_book_ms}
    assert sorted(kept) == sorted(table.seq[trades].tolist())
    for tid, side, price, qty in zip(table.seq[trades].tolist(), table.side[trades].tolist(),
                                     table.price[trades].tolist(), table.qty[trades].tolist(),
                                     strict=True):  # fmt: skip
        t = kept[tid]
        assert side == (BUY if t["side"] == "B" else SELL)
        assert Decimal(price) / 10 == Decimal(t["px"]) and Decimal(qty) / 10**5 == Decimal(t["sz"])
    write_events(tmp_path / "hl.parquet", table)
    assert read_events(tmp_path / "hl.parquet").counts() == table.counts()


def test_archive_and_capture_of_other_data_are_refused(shared_data: Path) -> None:
    with pytest.raises(ConvertError, match="malformed Hyperliquid message"):
        convert("hyperliquid", [shared_data / "l2/binance/usdm_btcusdt_20240808.gz"])
    with pytest.raises(ConvertError, match="unknown Hyperliquid coin 'SOL'"):
        convert("hyperliquid", [shared_data / WS], ConvertOptions(symbol="SOL"))
