"""Hyperliquid L2 data to `falconet.l2/1`: the S3 archive (`*.lz4`: LZ4 frame of JSON lines
with the collector's ISO time) and websocket captures (`<local_ns> <json>` lines with
`l2Book` and `trades` messages), read in the order given.

Hyperliquid publishes full top-20 snapshots, never deltas: the first becomes CLEAR +
SNAPSHOT rows and each later one DEPTH rows for the levels that changed (window edge rule
in `snapshots.py`). Trade side "B" is a buy aggressor, "A" a sell aggressor; the trade id
goes to `seq`. The first `trades` message after subscribing replays older trades: trades
from before the first book are dropped and counted. The archive's only receive time is the
collector's `time` field, used as `ts_local`.
"""

from __future__ import annotations

import calendar
import gzip
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import lz4.frame  # type: ignore[import-untyped]
import msgspec
import numpy as np

from falconet.core.errors import PrecisionError
from falconet.core.fixed import format_scaled, parse_scaled
from falconet.core.instrument import Instrument
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
from falconet.data.convert.snapshots import SnapshotDiffer, emit_state
from falconet.data.format import BUY, SELL, EventKind, EventTable, make_instrument

BOOK_DEPTH = 20
PERP_MAX_DECIMALS = 6
NS_PER_MS = 1_000_000
# szDecimals of the perps in the published samples; other coins need --lot.
SZ_DECIMALS = {"BTC": 5, "ETH": 4}


class _Level(msgspec.Struct):
    px: str
    sz: str
    n: int = 0


class _Book(msgspec.Struct):
    coin: str
    time: int
    levels: tuple[list[_Level], list[_Level]]


class _Trade(msgspec.Struct):
    coin: str
    side: str
    px: str
    sz: str
    time: int
    tid: int = 0


class _Message(msgspec.Struct):
    channel: str
    data: msgspec.Raw


class _ArchiveLine(msgspec.Struct):
    time: str
    raw: _Message


_message = msgspec.json.Decoder(_Message)
_archive_line = msgspec.json.Decoder(_ArchiveLine)
_book = msgspec.json.Decoder(_Book)
_trades = msgspec.json.Decoder(list[_Trade])


def _iso_ns(text: str) -> int:
    """Nanoseconds since the epoch from the archive's UTC ISO time with up to 9 decimals."""
    whole, _, frac = text.partition(".")
    seconds = calendar.timegm(datetime.fromisoformat(whole).timetuple())
    return seconds * 1_000_000_000 + int(frac.ljust(9, "0")[:9] or 0)


def _messages(path: Path) -> Iterator[tuple[int, int, _Message]]:
    """(line number, local ns, message) from an archive or a websocket capture."""
    if path.suffix == ".lz4":
        with lz4.frame.open(path, "rb") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    doc = _archive_line.decode(line)
                    yield lineno, _iso_ns(doc.time), doc.raw
        return
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            head, sep, body = line.strip().partition(b" ")
            if not head:
                continue
            if not sep or not head.isdigit():
                raise ConvertError(f"{path}:{lineno}: expected '<timestamp_ns> <message>'")
            yield lineno, int(head), _message.decode(body)


def hyperliquid_instrument(coin: str, options: ConvertOptions) -> Instrument:
    """A perp's file-format instrument: lot 10**-szDecimals and the price scale's unit
    (10**-(6 - szDecimals)) as tick; Hyperliquid's significant-figure rule only removes
    prices from that scale."""
    sz = SZ_DECIMALS.get(coin)
    if sz is None and (options.lot is None or options.tick is None):
        raise ConvertError(f"unknown Hyperliquid coin {coin!r}: pass --tick and --lot")
    lot = options.lot or format_scaled(1, sz or 0)
    tick = options.tick or format_scaled(1, PERP_MAX_DECIMALS - (sz or 0))
    return make_instrument("hyperliquid", coin, coin, "USDC", "perp", tick=tick, lot=lot)


class _Collected:
    """Decoded books and trades of all files, before the instrument is known."""

    def __init__(self) -> None:
        self.books: list[tuple[int, _Book, str]] = []  # (local ns, book, "file:line")
        self.trades: list[tuple[int, _Trade, str]] = []
        self.messages = 0
        self.other_channels = 0

    def read(self, path: Path, progress: ProgressSink) -> None:
        where = f"{path}:0"
        try:
            for lineno, local_ns, msg in _messages(path):
                where = f"{path}:{lineno}"
                self.messages += 1
                if msg.channel == "l2Book":
                    self.books.append((local_ns, _book.decode(msg.data), where))
                elif msg.channel == "trades":
                    self.trades.extend((local_ns, t, where) for t in _trades.decode(msg.data))
                else:
                    self.other_channels += 1
                if self.messages % 1024 == 0:
                    progress.advance(1024)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            raise ConvertError(f"{where}: malformed Hyperliquid message ({exc})") from None
        except (OSError, EOFError, RuntimeError) as exc:
            raise ConvertError(f"{path}: unreadable ({exc})") from None
        progress.advance(self.messages % 1024)


def _levels(raw: list[_Level], pd: int, sd: int) -> list[tuple[int, int]]:
    return [(parse_scaled(lv.px, pd), parse_scaled(lv.sz, sd)) for lv in raw]


def convert_hyperliquid(
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    """Convert archive files and/or websocket captures of one coin into one table."""
    opts = options or ConvertOptions()
    paths = check_sources(sources)
    sink = progress or NoProgress()
    sink.start(None, "messages")
    got = _Collected()
    for path in paths:
        got.read(path, sink)
    if not got.books:
        raise ConvertError(f"{paths[0]}: no l2Book message: not Hyperliquid L2 data")
    coin = opts.symbol or got.books[0][1].coin
    inst = hyperliquid_instrument(coin, opts)
    pd, sd = inst.price_decimals, inst.size_decimals
    books = sorted((b for b in got.books if b[1].coin == coin), key=lambda b: b[1].time)
    trades = [t for t in got.trades if t[1].coin == coin]
    rows = RowBuffer()
    differ = SnapshotDiffer(BOOK_DEPTH)
    unchanged = crossed = 0
    for local_ns, book, where in books:
        try:
            bids, asks = _levels(book.levels[0], pd, sd), _levels(book.levels[1], pd, sd)
        except PrecisionError as exc:
            raise ConvertError(f"{where}: {exc} (tick/lot of {inst.id}: --tick, --lot)") from None
        if bids and asks and bids[0][0] >= asks[0][0]:
            crossed += 1
        if emit_state(differ, rows, book.time * NS_PER_MS, local_ns, bids, asks) == 0:
            unchanged += 1
    first_book_ms = books[0][1].time if books else 0
    early = 0
    for local_ns, t, where in trades:
        if t.time < first_book_ms:
            early += 1
            continue
        side = BUY if t.side == "B" else SELL if t.side == "A" else 0
        try:
            price, qty = parse_scaled(t.px, pd), parse_scaled(t.sz, sd)
        except PrecisionError as exc:
            raise ConvertError(f"{where}: {exc} (tick/lot of {inst.id}: --tick, --lot)") from None
        rows.add(t.time * NS_PER_MS, local_ns, EventKind.TRADE, side, price, qty, 0, t.tid)
    matrix = rows.matrix()
    shift = correct_local_time(matrix, np.ones(matrix.shape[0], dtype=bool), opts)
    stats: dict[str, Any] = {
        "converter": "hyperliquid",
        "messages": got.messages,
        "book_snapshots": len(books),
        "unchanged_snapshots": unchanged,
        "crossed_snapshots": crossed,
        "trades": len(trades),
        "window_depth": BOOK_DEPTH,
        "dropped": {
            "trades_before_first_book": early,
            "other_coins": len(got.books) - len(books) + len(got.trades) - len(trades),
            "other_channels": got.other_channels,
        },
        "gaps": [],
        **shift.as_stats(),
    }
    meta = {"source": source_names(paths), "stats": stats}
    return table_from_matrix(exchange_order(matrix), inst, meta)
