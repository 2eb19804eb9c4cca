"""LOBSTER message + order-book file pairs (NASDAQ, `SYMBOL_DATE_START_END_message_N` and
`..._orderbook_N`, plain or gzip CSV without a header) to `falconet.l2/1`.

`Time` is seconds after midnight New York time on the file's date (text with up to 9
decimals, parsed exactly) and becomes UTC ns. Order-book row i is the book after message
i: the first becomes CLEAR + SNAPSHOT rows, later rows DEPTH rows for the levels that
changed (window edge rule in `snapshots.py`), carrying the message's order id. Executions
(types 4 visible, 5 hidden) become TRADE rows before their message's book change, with the
aggressor opposite to `Direction` (the resting order's side); type 6 (cross) trades have no
aggressor; type 7 (halt) messages are counted. Prices keep LOBSTER's own scale (USD ×
10,000: 4 decimals) with a 0.01 tick; hidden executions between ticks (mid-point orders)
are dropped and counted unless a finer tick is asked for. LOBSTER gives no receive time:
`ts_local = ts_exchange`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]

from falconet.core.fixed import pow10
from falconet.data.convert.common import (
    ConvertError,
    ConvertOptions,
    NoProgress,
    ProgressSink,
    check_sources,
    source_names,
    table_from_matrix,
    without_receive_time,
)
from falconet.data.convert.snapshots import changes_to_rows, state_changes
from falconet.data.format import BOTH, EventKind, EventTable, make_instrument, tick_of

NAME = re.compile(
    r"^(?P<symbol>[A-Za-z0-9.]+)_(?P<date>\d{4}-\d{2}-\d{2})_\d+_\d+_"
    r"(?P<what>message|orderbook)_(?P<levels>\d+)"
)
MESSAGE_COLUMNS = ["Time", "Type", "OrderID", "Size", "Price", "Direction"]
EXCHANGE_TZ = ZoneInfo("America/New_York")
PRICE_DECIMALS = 4  # LOBSTER prices are USD x 10,000
EXECUTION_TYPES = (4, 5, 6)
HALT = 7


def _pair(paths: list[Path]) -> tuple[Path, Path, re.Match[str]]:
    """(message file, order-book file, name match); the order book may be left implicit."""
    messages = [p for p in paths if "_message_" in p.name]
    if len(messages) != 1 or len(paths) > 2:
        raise ConvertError("lobster takes one message file (and its orderbook file)")
    message = messages[0]
    found = NAME.match(message.name)
    if found is None:
        raise ConvertError(
            f"{message}: not a LOBSTER file name (SYMBOL_YYYY-MM-DD_START_END_message_N...)"
        )
    book = message.with_name(message.name.replace("_message_", "_orderbook_", 1))
    given = [p for p in paths if p != message]
    if given and given[0].name != book.name:
        raise ConvertError(f"{given[0]}: not the order book of {message.name}")
    book = given[0] if given else book
    if not book.is_file():
        raise ConvertError(f"{book}: no such file (the order book of {message.name})")
    return message, book, found


def _read_csv(path: Path, names: list[str], types: dict[str, Any]) -> Any:
    try:
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=names),
            convert_options=pcsv.ConvertOptions(column_types=types),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise ConvertError(f"{path}: not a LOBSTER CSV ({exc})") from None


def _seconds_to_ns(text: Any) -> npt.NDArray[np.int64]:
    """Decimal seconds text (up to 9 decimals) to integer ns, without floats."""
    with_dot = pc.if_else(
        pc.match_substring(text, "."), text, pc.binary_join_element_wise(text, ".", "")
    )
    parts = pc.split_pattern(with_dot, ".", max_splits=1)
    whole = pc.cast(pc.list_element(parts, 0), pa.int64())
    frac_text = pc.utf8_rpad(pc.list_element(parts, 1), 9, "0")
    if pc.any(pc.greater(pc.utf8_length(frac_text), 9)).as_py():
        raise ConvertError("Time has more than 9 decimals")
    frac = pc.cast(frac_text, pa.int64())
    ns = pc.add(pc.multiply(whole, 1_000_000_000), frac)
    return np.asarray(ns.to_numpy(), dtype=np.int64)


def _midnight_utc_ns(day: str) -> int:
    midnight = datetime.combine(date.fromisoformat(day), time(0), tzinfo=EXCHANGE_TZ)
    return int(midnight.timestamp()) * 1_000_000_000


def convert_lobster(
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    opts = options or ConvertOptions()
    message_path, book_path, name = _pair(check_sources(sources))
    levels = int(name["levels"])
    symbol = opts.symbol or name["symbol"]
    inst = make_instrument(
        "nasdaq",
        symbol,
        symbol,
        "USD",
        "equity",
        tick=opts.tick or "0.01",
        lot=opts.lot or "1",
        price_decimals=PRICE_DECIMALS,
    )
    if inst.price_decimals != PRICE_DECIMALS:
        raise ConvertError(f"tick {opts.tick} is finer than LOBSTER's 0.0001 price scale")
    sink = progress or NoProgress()
    msg = _read_csv(message_path, MESSAGE_COLUMNS, {"Time": pa.string()})
    book_names = [f"{w}{k}" for k in range(1, levels + 1) for w in ("ap", "aq", "bp", "bq")]
    book = _read_csv(book_path, book_names, {n: pa.int64() for n in book_names})
    n = msg.num_rows
    if book.num_rows != n:
        raise ConvertError(
            f"{book_path}: {book.num_rows} rows for {n} messages in {message_path.name}"
        )
    sink.start(2 * n, "rows")
    try:
        ts = _seconds_to_ns(msg.column("Time")) + _midnight_utc_ns(name["date"])
    except (pa.ArrowInvalid, ConvertError) as exc:
        raise ConvertError(f"{message_path}: bad Time column ({exc})") from None
    back = np.flatnonzero(ts[1:] < ts[:-1])
    if back.size:
        raise ConvertError(f"{message_path}:{back[0] + 2}: Time goes backwards")
    kind, oid, size, price, direction = (
        np.asarray(msg.column(c).to_numpy(), dtype=np.int64) for c in MESSAGE_COLUMNS[1:]
    )
    sink.advance(n)
    size_scale = pow10(inst.size_decimals)
    cols = {c: np.asarray(book.column(c).to_numpy(), dtype=np.int64) for c in book_names}

    def stack(what: str) -> npt.NDArray[np.int64]:
        return np.column_stack([cols[f"{what}{k}"] for k in range(1, levels + 1)])

    ap, aq, bp, bq = stack("ap"), stack("aq") * size_scale, stack("bp"), stack("bq") * size_scale
    tick = tick_of(inst)
    off_tick = ((bp % tick != 0) & (bq > 0)) | ((ap % tick != 0) & (aq > 0))
    if off_tick.any():
        row = int(np.argmax(off_tick.any(axis=1)))
        raise ConvertError(f"{book_path}:{row + 1}: a book price is not a multiple of the tick")
    changes = state_changes(bp, bq, ap, aq)
    book_rows = changes_to_rows(changes, ts, ts, oid)
    sink.advance(n)

    executions = np.isin(kind, EXECUTION_TYPES)
    # Hidden executions can print between ticks (mid-point orders); every price in the
    # format is a tick multiple, so those are left out and counted. A finer --tick (down
    # to 0.0001) keeps them.
    between_ticks = executions & (price % tick != 0)
    trades = np.flatnonzero(executions & ~between_ticks)
    aggressor = np.where(kind[trades] == 6, BOTH, -direction[trades])
    zeros = np.zeros_like(trades)
    trade_rows = np.column_stack(
        [
            ts[trades],
            ts[trades],
            np.full_like(trades, EventKind.TRADE),
            aggressor,
            price[trades],
            size[trades] * size_scale,
            oid[trades],
            zeros,
        ]
    ).astype(np.int64)
    # Message order, and within a message the trade before the book change it caused.
    key_msg = np.concatenate([trades, changes[:, 0]])
    key_book = np.concatenate([zeros, np.ones(len(book_rows), dtype=np.int64)])
    merged = np.concatenate([trade_rows, book_rows])[np.lexsort((key_book, key_msg))]

    types, counts = np.unique(kind, return_counts=True)
    stats: dict[str, Any] = {
        "converter": "lobster",
        "levels": levels,
        "trading_day": name["date"],
        "messages": n,
        "message_types": {
            str(t): int(c) for t, c in zip(types.tolist(), counts.tolist(), strict=True)
        },
        "halts": int((kind == HALT).sum()),
        "crossed_or_locked_states": int(
            ((bp[:, 0] >= ap[:, 0]) & (bq[:, 0] > 0) & (aq[:, 0] > 0)).sum()
        ),
        "window_depth": levels,
        "dropped": {"trades_between_ticks": int(between_ticks.sum())},
        "gaps": [],
    }
    meta = {"source": source_names([message_path, book_path]), "stats": stats}
    stats.update(without_receive_time(merged, opts))
    return table_from_matrix(merged, inst, meta)
