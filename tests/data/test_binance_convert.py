"""Binance captures converted: the snapshot bridge, every trade, the final book equal to
the one BinanceBookSync builds from the raw capture, the local-clock shift, and a gap
injected into a capture reported and stopping the depth stream."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np
import pytest

from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.core.events import BookDelta, BookSnapshot, TopOfBook, Trade
from falconet.data.binance import BinanceBookSync, BinanceCaptureReader, binance_instrument
from falconet.data.captures import CaptureError
from falconet.data.convert import ConvertError, convert
from falconet.data.convert.binance import infer_market
from falconet.data.convert.common import ConvertOptions
from falconet.data.format import EventKind, local_order, read_events, write_events

from .conftest import BINANCE_WINDOWS, converted
from .helpers import check_contract, rebuild

# window, market, symbol, diffs dropped before the bridge (data README), trades, tickers
WINDOWS = [
    ("usdm_0718", "usdm", "BTCUSDT", 5, 10_701, 52_260),
    ("usdm_0808", "usdm", "BTCUSDT", 4, 21_313, 66_089),
    ("spot_0808", "spot", "BTCUSDT", 2, 19_904, 73_174),
    ("cm_0808", "cm", "BTCUSD_PERP", 23, 5_235, 48_355),
]


def files(shared: Path, window: str) -> tuple[Path, ...]:
    return tuple(shared / "l2/binance" / f for f in BINANCE_WINDOWS[window])


@functools.cache
def raw(paths: tuple[Path, ...], market: str, symbol: str) -> tuple[L2Book, list[Trade], int]:
    """The book BinanceBookSync builds from the raw files, every trade, the ticker count."""
    inst = binance_instrument(market, symbol)
    sync = BinanceBookSync(L2Book(inst.id))
    trades: list[Trade] = []
    tickers = 0
    for path in paths:
        for ev in BinanceCaptureReader(path, inst):
            if isinstance(ev, BookSnapshot):
                sync.on_snapshot(ev)
            elif isinstance(ev, BookDelta):
                sync.on_delta(ev)
            elif isinstance(ev, Trade):
                trades.append(ev)
            elif isinstance(ev, TopOfBook):
                tickers += 1
    return sync.book, trades, tickers


@pytest.mark.parametrize(
    ("window", "market", "symbol", "dropped", "n_trades", "n_tickers"), WINDOWS
)
def test_window_converts_completely(
    shared_data: Path, window: str, market: str, symbol: str, dropped: int, n_trades: int,
    n_tickers: int,
) -> None:  # fmt: skip
    paths = files(shared_data, window)
    table = converted("binance", paths)
    stats = table.stats
    assert stats["market"] == market and table.instrument.symbol == symbol
    assert stats["dropped"]["depth_diffs_before_bridge"] == dropped
    assert stats["dropped"]["depth_diffs_after_gap"] == 0
    assert stats["dropped"]["depth_diffs_without_snapshot"] == 0
    assert stats["gaps"] == [] and stats["depth_stopped"] is None
    assert stats["depth_diffs_applied"] == stats["messages"]["depth_diffs"] - dropped
    counts = table.counts()
    assert counts["CLEAR"] == 1 and counts["SNAPSHOT"] == 2000  # REST snapshot: 1000 a side
    assert counts["TRADE"] == n_trades and counts["BBO"] == 2 * n_tickers
    check_contract(table)

    book, trades, tickers = raw(paths, market, symbol)
    assert tickers == n_tickers
    # every trade of the capture, with its id, price, size and aggressor
    is_trade = table.kind == EventKind.TRADE
    got = sorted(
        zip(
            table.seq[is_trade].tolist(),
            table.price[is_trade].tolist(),
            table.qty[is_trade].tolist(),
            table.side[is_trade].tolist(),
            strict=True,
        )
    )
    want = sorted((int(t.trade_id), t.price, t.size, t.aggressor.sign if t.aggressor else 0)
                  for t in trades)  # fmt: skip
    assert got == want
    # the final book, rebuilt from the file's rows, is the one the raw capture gives
    bids, asks = rebuild(table).all_levels()
    assert bids == book.levels(BookSide.BID, 10**9)
    assert asks == book.levels(BookSide.ASK, 10**9)
    # and so is the local view's, replayed in ts_local order
    order = local_order(table)
    assert order is not None
    assert rebuild(table, order).all_levels() == (bids, asks)


@pytest.mark.parametrize("window", ["usdm_0808", "spot_0808"])
def test_local_clock_is_shifted_so_no_row_arrives_before_it_happens(
    shared_data: Path, window: str
) -> None:
    table = converted("binance", files(shared_data, window))
    shift = table.stats["local_time_correction_ns"]
    # the collector's clock lagged the exchange by about 1.27 s
    assert 1_270_000_000 < shift < 1_280_000_000
    assert shift == -table.stats["local_time"]["min_raw_feed_latency_ns"]
    latency = table.ts_local - table.ts_exchange
    assert latency.min() == 0
    if window == "spot_0808":  # spot bookTicker and REST snapshot carry no exchange time
        assert table.stats["rows_without_exchange_time"] == 2 * 73_174 + 2001


def test_base_latency_adds_to_the_shift_and_the_correction_can_be_turned_off(
    shared_data: Path, tmp_path: Path
) -> None:
    paths = files(shared_data, "usdm_0808")
    plain = converted("binance", paths)
    based = converted("binance", paths, base_latency_ns=2_000_000)
    off = converted("binance", paths, correct_local=False)
    shift = plain.stats["local_time_correction_ns"]
    assert based.stats["local_time_correction_ns"] == shift + 2_000_000
    assert (based.ts_local - based.ts_exchange).min() == 2_000_000
    assert off.stats["local_time_correction_ns"] == 0
    assert np.array_equal(off.ts_local + shift, plain.ts_local)
    write_events(tmp_path / "raw.parquet", off, allow_negative_latency=True)
    assert read_events(tmp_path / "raw.parquet").stats["local_time"]["enabled"] is False


def test_market_and_symbol_are_inferred_from_the_streams(shared_data: Path) -> None:
    for window, market, symbol, *_ in WINDOWS:
        assert infer_market(files(shared_data, window)[0]) == (market, symbol)


def without_line(src: Path, dst: Path, predicate_skip: int) -> tuple[int, int]:
    """Copy a capture leaving out the `predicate_skip`-th depth diff after the snapshot;
    returns the dropped diff's (U, u)."""
    import json

    seen_snapshot = False
    depth_after = 0
    dropped = (0, 0)
    with gzip.open(src, "rb") as fin, gzip.open(dst, "wb") as fout:
        for line in fin:
            body = json.loads(line.split(b" ", 1)[1])
            if "lastUpdateId" in body:
                seen_snapshot = True
            elif seen_snapshot and "@depth" in body["stream"]:
                depth_after += 1
                if depth_after == predicate_skip:
                    dropped = (body["data"]["U"], body["data"]["u"])
                    continue
            fout.write(line)
    return dropped


def test_injected_gap_is_reported_and_stops_the_depth_stream(
    shared_data: Path, tmp_path: Path
) -> None:
    src = files(shared_data, "usdm_0808")[0]
    gapped = tmp_path / "usdm_gap.gz"
    first, last = without_line(src, gapped, 3000)
    table = convert("binance", [gapped])
    stats = table.stats
    assert len(stats["gaps"]) == 1
    gap = stats["gaps"][0]
    assert gap["last_applied_update_id"] < first
    assert gap["update_id"] > last and gap["file"] == "usdm_gap.gz"
    assert "depth rows stop at update id" in stats["depth_stopped"]
    full = converted("binance", files(shared_data, "usdm_0808"))
    applied = stats["depth_diffs_applied"]
    assert (
        stats["dropped"]["depth_diffs_after_gap"] == full.stats["depth_diffs_applied"] - applied - 1
    )
    depth = table.kind == EventKind.DEPTH
    assert table.seq[depth].max() == gap["last_applied_update_id"]
    # trades and tickers go on after the gap
    assert table.counts()["TRADE"] == 21_313 and table.counts()["BBO"] == 2 * 66_089
    check_contract(table)


def test_errors_name_the_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gz"
    with gzip.open(files(shared_data, "usdm_0808")[0], "rb") as fin:
        head = [next(fin) for _ in range(20)]
    head[9] = head[9][:40] + b"\n"
    with gzip.open(bad, "wb") as fout:
        fout.writelines(head)
    with pytest.raises(CaptureError, match=r"bad.gz: line 10"):
        convert("binance", [bad], ConvertOptions(market="usdm", symbol="BTCUSDT"))
    with pytest.raises(ConvertError, match="no such file"):
        convert("binance", [tmp_path / "missing.gz"])
    hl = shared_data / "l2/hyperliquid/ws_btc_20250126.gz"
    with pytest.raises(ConvertError, match="no depth stream"):
        convert("binance", [hl])
    with pytest.raises(CaptureError, match="line 1: neither a stream message"):
        convert("binance", [hl], ConvertOptions(market="usdm", symbol="BTCUSDT"))
    with pytest.raises(ConvertError, match="unknown Binance instrument"):
        convert("binance", [hl], ConvertOptions(market="usdm", symbol="ETHUSDT"))


def test_a_usdm_capture_whose_first_diff_continues_by_pu_has_no_gap(tmp_path: Path) -> None:
    """The shape the published windows do not have: the first diff after the snapshot
    (lastUpdateId 1000) starts at U = 1005 with pu = 1000. It continues the book, so the
    capture converts without a gap and every later diff is applied."""
    import gzip
    import json

    def diff(first: int, u: int, pu: int, bid: str) -> dict[str, object]:
        return {"stream": "btcusdt@depth@100ms", "data": {
            "e": "depthUpdate", "E": 1_700_000_000_000 + u, "T": 1_700_000_000_000 + u,
            "s": "BTCUSDT", "U": first, "u": u, "pu": pu,
            "b": [[bid, "1.000"]], "a": [["60010.00", "2.000"]]}}  # fmt: skip

    lines = [
        diff(990, 995, 989, "59990.00"),  # before the snapshot and covered by it: dropped
        {"lastUpdateId": 1000, "E": 1_700_000_000_000, "T": 1_700_000_000_000,
         "bids": [["60000.00", "1.000"]], "asks": [["60010.00", "1.000"]]},
        diff(1005, 1010, 1000, "60001.00"),
        diff(1013, 1020, 1010, "60002.00"),
        diff(1021, 1030, 1020, "60003.00"),
    ]  # fmt: skip
    path = tmp_path / "usdm_btcusdt_gapless.gz"
    with gzip.open(path, "wt") as fh:
        for i, line in enumerate(lines):
            fh.write(f"{1_700_000_000_000_000_000 + i * 1_000_000} {json.dumps(line)}\n")
    table = converted("binance", (path,))
    stats = table.stats
    assert stats["gaps"] == [] and stats["depth_stopped"] is None
    assert stats["depth_diffs_applied"] == 3
    book, _, _ = raw((path,), "usdm", "BTCUSDT")
    inst = binance_instrument("usdm", "BTCUSDT")
    assert book.best_bid == inst.price("60003.00")
