"""Top-5 futures book states and trade tape (vendor Parquet, e.g. the COMEX gold files) to
`falconet.l2/1`.

Quotes hold the top 5 levels per side after a change: the first state becomes CLEAR +
SNAPSHOT rows, later states DEPTH rows for what changed (window edge rule in
`snapshots.py`). Trade `side` names the resting side that traded: B = the bid was hit
(sell aggressor), O = the offer was lifted (buy aggressor). Trades and book changes are
merged in time order, a trade before the book change at its timestamp. The vendor gives no
receive time, so `ts_local = ts_exchange`. Locked or crossed states are kept and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from falconet.data.convert.common import (
    ConvertError,
    ConvertOptions,
    NoProgress,
    ProgressSink,
    check_sources,
    exact_units,
    exchange_order,
    source_names,
    table_from_matrix,
    without_receive_time,
)
from falconet.data.convert.snapshots import states_to_rows
from falconet.data.format import BUY, SELL, EventKind, EventTable, make_instrument, tick_of

LEVELS = 5
QUOTE_COLUMNS = [
    f"{side}_{what}_{k}"
    for k in range(LEVELS)
    for side in ("bid", "offer")
    for what in ("price", "quantity")
]
TRADE_COLUMNS = ["transact_time", "side", "price", "quantity"]
PROGRESS_EVERY = 16_384


def _read(path: Path, columns: list[str]) -> Any:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ConvertError(f"{path}: not a Parquet file ({exc})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ConvertError(f"{path}: missing columns {', '.join(missing)}")
    return table


def _times_ns(path: Path, table: Any) -> npt.NDArray[np.int64]:
    """transact_time (timezone-naive UTC) as ns since the epoch."""
    col = table.column("transact_time")
    if not pa.types.is_timestamp(col.type):
        raise ConvertError(f"{path}: transact_time is {col.type}, expected a timestamp")
    ns = col.cast(pa.timestamp("ns")).to_numpy().astype(np.int64)
    return np.asarray(ns, dtype=np.int64)


def _split(paths: list[Path]) -> tuple[Path, Path]:
    quotes = [p for p in paths if "quote" in p.name.lower()]
    trades = [p for p in paths if "trade" in p.name.lower()]
    if len(paths) != 2 or len(quotes) != 1 or len(trades) != 1:
        raise ConvertError(
            "futures-top5 needs one quotes file and one trades file "
            "(names containing 'quote' and 'trade')"
        )
    return quotes[0], trades[0]


def convert_futures_top5(
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    opts = options or ConvertOptions()
    quotes_path, trades_path = _split(check_sources(sources))
    symbol = opts.symbol or quotes_path.name.split("_")[0].upper()
    quotes = _read(quotes_path, [*QUOTE_COLUMNS, "transact_time"])
    trades = _read(trades_path, TRADE_COLUMNS)
    venue = "comex"
    if "market" in quotes.column_names and quotes.num_rows:
        venue = str(quotes.column("market")[0].as_py()).lower()
    base, quote = (symbol[:3], symbol[3:6]) if len(symbol) == 6 else (symbol, "USD")
    inst = make_instrument(
        venue, symbol, base, quote, "perp", tick=opts.tick or "0.1", lot=opts.lot or "1"
    )
    pd, sd = inst.price_decimals, inst.size_decimals
    tick = tick_of(inst)
    sink = progress or NoProgress()
    sink.start(quotes.num_rows + trades.num_rows, "rows")

    def units(path: Path, table: Any, name: str, decimals: int, step: int) -> npt.NDArray[np.int64]:
        try:
            return exact_units(table.column(name).to_numpy(), decimals, step, name)
        except ConvertError as exc:
            raise ConvertError(f"{path}: {exc}") from None

    t_ns = _times_ns(trades_path, trades)
    t_px = units(trades_path, trades, "price", pd, tick)
    t_qty = units(trades_path, trades, "quantity", sd, inst.lot)
    t_side = trades.column("side").to_numpy(zero_copy_only=False)
    aggressor = np.where(t_side == "B", SELL, np.where(t_side == "O", BUY, 0))
    zeros = np.zeros_like(t_ns)
    trade_rows = np.column_stack(
        [t_ns, t_ns, np.full_like(t_ns, EventKind.TRADE), aggressor, t_px, t_qty, zeros, zeros]
    ).astype(np.int64)
    sink.advance(trades.num_rows)

    q_ns = _times_ns(quotes_path, quotes)
    cols = {
        name: units(
            quotes_path,
            quotes,
            name,
            pd if "price" in name else sd,
            tick if "price" in name else inst.lot,
        )
        for name in QUOTE_COLUMNS
    }
    bp = np.column_stack([cols[f"bid_price_{k}"] for k in range(LEVELS)])
    bq = np.column_stack([cols[f"bid_quantity_{k}"] for k in range(LEVELS)])
    ap = np.column_stack([cols[f"offer_price_{k}"] for k in range(LEVELS)])
    aq = np.column_stack([cols[f"offer_quantity_{k}"] for k in range(LEVELS)])
    # States are diffed in time order (a vendor file out of order would otherwise give
    # deltas against the wrong predecessor).
    by_time = np.argsort(q_ns, kind="stable")
    q_ns, bp, bq, ap, aq = (a[by_time] for a in (q_ns, bp, bq, ap, aq))
    state = np.hstack([bp, bq, ap, aq])
    changed = np.ones(state.shape[0], dtype=bool)
    changed[1:] = (state[1:] != state[:-1]).any(axis=1)
    crossed = int((bp[:, 0] >= ap[:, 0]).sum())
    kept = np.flatnonzero(changed)
    book_rows = states_to_rows(q_ns[kept], q_ns[kept], bp[kept], bq[kept], ap[kept], aq[kept])
    sink.advance(quotes.num_rows)

    stats: dict[str, Any] = {
        "converter": "futures-top5",
        "quote_rows": quotes.num_rows,
        "trade_rows": trades.num_rows,
        "unchanged_quote_rows": int((~changed).sum()),
        "crossed_or_locked_quote_rows": crossed,
        "trades_with_unknown_side": int((aggressor == 0).sum()),
        "window_depth": LEVELS,
        "dropped": {},
        "gaps": [],
    }
    meta = {"source": source_names([quotes_path, trades_path]), "stats": stats}
    # Trades first: at equal times the merge keeps them ahead of the book change.
    merged = exchange_order(np.concatenate([trade_rows, book_rows]))
    stats.update(without_receive_time(merged, opts))
    return table_from_matrix(merged, inst, meta)
