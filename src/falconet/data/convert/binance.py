"""Binance raw captures (`<local_ns> <json>` lines) to `falconet.l2/1`.

The REST snapshot is bridged to the diff stream with Binance's rules (`BinanceBookSync`):
diffs the snapshot already covers are dropped and counted, the snapshot becomes CLEAR +
SNAPSHOT rows and every applied diff DEPTH rows. A sequence gap is reported in the stats;
the book can only be resynchronised by a later REST snapshot, so without one the depth
stream stops at the gap (trades and bookTicker rows go on). Trades become TRADE rows (the
trade id in `seq`), bookTicker messages two BBO rows (the update id in `seq`).

Timestamps: depth rows carry the event time `E`, trades their trade time `T`, futures
bookTicker `E`. Spot bookTicker messages and the spot REST snapshot carry no exchange
time: they take the corrected local time. The recorder's clock lags the exchange's, so
`ts_local` is shifted by one constant (see `correct_local_time`).
"""

from __future__ import annotations

import gzip
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from falconet.core.book import L2Book
from falconet.core.enums import Side
from falconet.core.events import BookDelta, BookSnapshot, TopOfBook, Trade
from falconet.core.instrument import Instrument
from falconet.data.binance import BinanceBookSync, BinanceCaptureReader, binance_instrument
from falconet.data.captures import CaptureError, iter_capture_lines
from falconet.data.convert.common import (
    ConvertError,
    ConvertOptions,
    NoProgress,
    ProgressSink,
    RowBuffer,
    check_sources,
    correct_local_time,
    exchange_order,
    source_names,
    table_from_matrix,
)
from falconet.data.format import ASK, BID, BOTH, BUY, SELL, EventKind, EventTable

PEEK_LINES = 5_000
PROGRESS_EVERY = 8_192


def infer_market(path: Path) -> tuple[str, str]:
    """(market, symbol) from a capture's depth stream: `ps` in the diffs means COIN-M,
    `pu` USD-M futures, neither spot."""
    try:
        for n, (_, body) in enumerate(iter_capture_lines(path)):
            if n >= PEEK_LINES:
                break
            msg = msgspec.json.decode(body)
            stream = msg.get("stream") if isinstance(msg, dict) else None
            data = msg.get("data") if isinstance(msg, dict) else None
            if not isinstance(stream, str) or "@depth" not in stream or not isinstance(data, dict):
                continue
            symbol = stream.partition("@")[0].upper()
            if "ps" in data:
                return "cm", symbol
            return ("usdm" if "pu" in data else "spot"), symbol
    except CaptureError as exc:
        raise ConvertError(f"not a Binance capture: {exc}") from None
    except (msgspec.DecodeError, OSError, EOFError) as exc:
        raise ConvertError(f"{path}: not a Binance capture ({exc})") from None
    raise ConvertError(
        f"{path}: no depth stream in the first {PEEK_LINES} lines: pass --market and --symbol"
    )


class _Conversion:
    """The rows of one capture stream (one or more files read in order)."""

    def __init__(self, instrument: Instrument, progress: ProgressSink) -> None:
        self.instrument = instrument
        self.progress = progress
        self.rows = RowBuffer()
        self.no_exchange_time = array("q")  # row indices stamped with local time only
        self.sync = BinanceBookSync(L2Book(instrument.id), on_applied=self._on_applied)
        self.floor_local = 0  # local time of the last snapshot: replayed diffs wait for it
        self.snapshot_groups: list[list[int]] = []  # [first row, end row, first diff row]
        self.gaps: list[dict[str, Any]] = []
        self.snapshots_ignored = 0
        self.lines = 0
        self.counts = {"depth_diffs": 0, "trades": 0, "book_tickers": 0, "snapshots": 0}
        self._where = ("", 0)

    def read(self, path: Path) -> None:
        reader = BinanceCaptureReader(path, self.instrument)
        done = 0
        try:
            for ev in reader:
                if isinstance(ev, BookDelta):
                    self._where = (path.name, reader.stats.lines)
                    self.sync.on_delta(ev)
                    self._note_gaps()
                elif isinstance(ev, Trade):
                    self._trade(ev)
                elif isinstance(ev, TopOfBook):
                    self._ticker(ev)
                elif isinstance(ev, BookSnapshot):
                    self._where = (path.name, reader.stats.lines)
                    self._snapshot(ev)
                if reader.stats.lines - done >= PROGRESS_EVERY:
                    self.progress.advance(reader.stats.lines - done)
                    done = reader.stats.lines
        except (OSError, EOFError) as exc:
            raise ConvertError(f"{path}: unreadable capture ({exc})") from None
        self.progress.advance(reader.stats.lines - done)
        s = reader.stats
        self.lines += s.lines
        for key, value in (
            ("depth_diffs", s.depth_diffs),
            ("trades", s.trades),
            ("book_tickers", s.tickers),
            ("snapshots", s.snapshots),
        ):
            self.counts[key] += value

    def _on_applied(self, delta: BookDelta, book: L2Book) -> None:
        rows = self.rows
        group = self.snapshot_groups[-1] if self.snapshot_groups else None
        if group is not None and group[2] < 0 and (delta.bids or delta.asks):
            group[2] = len(rows)  # the first row of the diff that bridges the snapshot
        ts_e = delta.ts_exchange
        ts_l = max(delta.ts_local, self.floor_local)
        seq = delta.seq or 0
        depth = EventKind.DEPTH
        for price, qty in delta.bids:
            rows.add(ts_e, ts_l, depth, BID, price, qty, 0, seq)
        for price, qty in delta.asks:
            rows.add(ts_e, ts_l, depth, ASK, price, qty, 0, seq)

    def _note_gaps(self) -> None:
        stats = self.sync.stats
        while len(self.gaps) < stats.gaps:
            file, line = self._where
            self.gaps.append(
                {
                    "update_id": stats.gap_at[len(self.gaps)],
                    "last_applied_update_id": self.sync.book.seq,
                    "file": file,
                    "line": line,
                }
            )

    def _snapshot(self, snap: BookSnapshot) -> None:
        if not self.sync.book.needs_resync:
            # A live client takes a REST snapshot only to (re)synchronise; one that
            # arrives while the diffs are in sequence adds nothing.
            self.snapshots_ignored += 1
            return
        rows = self.rows
        start = len(rows)
        ts_e, ts_l, seq = snap.ts_exchange, snap.ts_local, snap.seq or 0
        rows.add(ts_e, ts_l, EventKind.CLEAR, BOTH, 0, 0, 0, seq)
        for price, qty in snap.bids:
            if qty > 0:
                rows.add(ts_e, ts_l, EventKind.SNAPSHOT, BID, price, qty, 0, seq)
        for price, qty in snap.asks:
            if qty > 0:
                rows.add(ts_e, ts_l, EventKind.SNAPSHOT, ASK, price, qty, 0, seq)
        if ts_e == ts_l:  # the reader's stand-in when the snapshot has no `E`
            self.no_exchange_time.extend(range(start, len(rows)))
        self.snapshot_groups.append([start, len(rows), -1])
        self.floor_local = ts_l
        self.sync.on_snapshot(snap)
        self._note_gaps()

    def _trade(self, t: Trade) -> None:
        side = BUY if t.aggressor is Side.BUY else SELL
        trade_id = int(t.trade_id) if t.trade_id.isdigit() else 0
        self.rows.add(
            t.ts_exchange, t.ts_local, EventKind.TRADE, side, t.price, t.size, 0, trade_id
        )

    def _ticker(self, k: TopOfBook) -> None:
        rows = self.rows
        seq = k.seq or 0
        if k.ts_exchange == k.ts_local:  # spot bookTicker: no exchange time
            self.no_exchange_time.extend((len(rows), len(rows) + 1))
        rows.add(k.ts_exchange, k.ts_local, EventKind.BBO, BID, k.bid_px, k.bid_sz, 0, seq)
        rows.add(k.ts_exchange, k.ts_local, EventKind.BBO, ASK, k.ask_px, k.ask_sz, 0, seq)

    def finish(self, options: ConvertOptions, market: str, paths: Sequence[Path]) -> EventTable:
        matrix = self.rows.matrix()
        has_exchange_time = np.ones(matrix.shape[0], dtype=bool)
        has_exchange_time[np.frombuffer(self.no_exchange_time, dtype=np.int64)] = False
        shift = correct_local_time(matrix, has_exchange_time, options)
        for start, end, first_diff in self.snapshot_groups:
            # The snapshot's state is the one just before the diff that bridges it: it
            # must not sort after that diff, whatever time the REST response carries.
            if first_diff >= 0:
                matrix[start:end, 0] = min(matrix[start, 0], matrix[first_diff, 0])
        rows = exchange_order(matrix)
        sync = self.sync.stats
        unapplied = self.counts["depth_diffs"] - sync.applied - sync.dropped_stale
        stats: dict[str, Any] = {
            "converter": "binance",
            "market": market,
            "lines": self.lines,
            "messages": dict(self.counts),
            "depth_diffs_applied": sync.applied,
            "dropped": {
                "depth_diffs_before_bridge": sync.dropped_stale,
                "depth_diffs_after_gap": unapplied if self.gaps else 0,
                "depth_diffs_without_snapshot": 0 if self.gaps else unapplied,
                "snapshots_while_in_sync": self.snapshots_ignored,
            },
            "gaps": self.gaps,
            "depth_stopped": _stop_note(self.gaps, self.sync.book.needs_resync),
            "rows_without_exchange_time": len(self.no_exchange_time),
            **shift.as_stats(),
        }
        meta = {"source": source_names(paths), "stats": stats}
        return table_from_matrix(rows, self.instrument, meta)


def _stop_note(gaps: list[dict[str, Any]], unsynced: bool) -> str | None:
    if gaps and unsynced:
        g = gaps[-1]
        return (
            f"depth rows stop at update id {g['last_applied_update_id']}: the next diff "
            f"({g['update_id']}, {g['file']} line {g['line']}) does not continue it and no "
            "later REST snapshot resynchronises the book"
        )
    if unsynced:
        return "no REST snapshot in the capture: the depth stream cannot be used"
    return None


def _count_lines(paths: Sequence[Path]) -> int | None:
    total = 0
    try:
        for path in paths:
            with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    total += chunk.count(b"\n")
    except (OSError, EOFError):
        return None  # the conversion itself reports the unreadable file
    return total


def convert_binance(
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    """Convert one stream's capture files (read in the order given) into one table."""
    opts = options or ConvertOptions()
    paths = check_sources(sources)
    market, symbol = opts.market, opts.symbol
    if market is None or symbol is None:
        found_market, found_symbol = infer_market(paths[0])
        market = market or found_market
        symbol = symbol or found_symbol
    try:
        inst = binance_instrument(market, symbol, opts.tick, opts.lot)
    except CaptureError as exc:
        raise ConvertError(f"{exc} (--tick and --lot)") from None
    sink = progress or NoProgress()
    # A progress bar with a known end is worth one quick pass counting lines (~5% extra).
    sink.start(None if isinstance(sink, NoProgress) else _count_lines(paths), "lines")
    conversion = _Conversion(inst, sink)
    for path in paths:
        conversion.read(path)
    return conversion.finish(opts, market, paths)
