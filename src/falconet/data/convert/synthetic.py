"""The engine-neutral synthetic L2 stream (`synth_l2.parquet`): reading it exactly, and
converting it to `falconet.l2/1`.

Its schema: `ts_exchange_ns`, `ts_local_ns`, `kind` (book | trade | snapshot | clear),
`side` (bid | ask | buy | sell | both), float `price` and `qty`, metadata `tick_size` and
`lot_size`. Floats become exact integers on the tick/lot grid or the read fails naming the
row. The stream's documented content hash proves the conversion exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from falconet.core.errors import FalconetError
from falconet.data.convert.common import (
    ConvertError,
    ConvertOptions,
    NoProgress,
    ProgressSink,
    check_sources,
    exact_units,
)
from falconet.data.format import (
    ASK,
    BID,
    BOTH,
    EventFormatError,
    EventKind,
    EventTable,
    make_instrument,
    read_events,
    tick_of,
)

KINDS = {"book": EventKind.DEPTH, "trade": EventKind.TRADE, "snapshot": EventKind.SNAPSHOT}
KINDS["clear"] = EventKind.CLEAR
SIDES = {"bid": BID, "buy": BID, "ask": ASK, "sell": ASK, "both": BOTH}
# The stream's own kind codes, used by its content hash.
HASH_KIND_CODES = {EventKind.DEPTH: 0, EventKind.TRADE: 1, EventKind.SNAPSHOT: 2}
HASH_KIND_CODES[EventKind.CLEAR] = 3
DEFAULT_SYMBOL = "SYNTH"


def _codes(path: Path, column: Any, mapping: dict[str, int], what: str) -> npt.NDArray[np.int8]:
    """String column to int8 codes through its dictionary: one lookup per distinct value."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return np.zeros(0, dtype=np.int8)
    names = column.chunk(0).dictionary.to_pylist()
    indices = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False) for c in column.chunks]
    ).astype(np.intp)
    unknown = [n for n in names if n not in mapping]
    if unknown:
        row = int(np.argmax(indices == names.index(unknown[0])))
        raise EventFormatError(f"{path}: row {row}: unknown {what} {unknown[0]!r}")
    lookup = np.array([mapping[n] for n in names], dtype=np.int8)
    return lookup[indices]


def read_synthetic_stream(
    path: Path, pf: Any, *, tick: str | None, lot: str | None, symbol: str | None
) -> EventTable:
    """The synthetic stream as an EventTable (called by `read_events`)."""
    foreign = {k.decode(): v.decode() for k, v in (pf.schema_arrow.metadata or {}).items()}
    tick = tick or foreign.get("tick_size")
    lot = lot or foreign.get("lot_size")
    if tick is None or lot is None:
        raise EventFormatError(f"{path}: no tick_size/lot_size metadata: pass tick and lot")
    inst = make_instrument(
        "sim", symbol or DEFAULT_SYMBOL, symbol or DEFAULT_SYMBOL, "USD", "perp", tick=tick, lot=lot
    )
    # One column at a time, so the Arrow copy of a column is released before the next is
    # read: peak memory stays near the size of the result. Dictionary decoding of the
    # string columns is several times faster than decoding them as text.
    reader = pq.ParquetFile(path, read_dictionary=["kind", "side"])

    def column(name: str) -> Any:
        col = reader.read(columns=[name], use_threads=True).column(name)
        if col.null_count:
            raise EventFormatError(f"{path}: missing values in {name}")
        return col

    kind = _codes(path, column("kind"), dict(KINDS), "kind")
    side = _codes(path, column("side"), SIDES, "side")
    try:
        price = exact_units(_floats(column("price")), inst.price_decimals, tick_of(inst), "price")
        qty = exact_units(_floats(column("qty")), inst.size_decimals, inst.lot, "qty")
    except ConvertError as exc:
        raise EventFormatError(f"{path}: {exc}") from None
    rows = len(kind)
    table = EventTable(
        ts_exchange=_ints(column("ts_exchange_ns")),
        ts_local=_ints(column("ts_local_ns")),
        kind=kind,
        side=side,
        price=price,
        qty=qty,
        # untouched zero pages cost no memory until written
        order_id=np.zeros(rows, dtype=np.int64),
        seq=np.zeros(rows, dtype=np.int64),
        instrument=inst,
        meta={"format": "synthetic", "source": [path.name], "stats": {}, "foreign": foreign},
    )
    pa.default_memory_pool().release_unused()
    return table


def _floats(col: Any) -> npt.NDArray[np.float64]:
    return np.asarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64)


def _ints(col: Any) -> npt.NDArray[np.int64]:
    return np.asarray(col.cast(pa.int64()).to_numpy(), dtype=np.int64)


def content_hash(table: EventTable) -> str:
    """The stream's documented sha256: six little-endian int64 columns (exchange ts, local
    ts, its kind code, side code, price in ticks, qty in lots), concatenated."""
    lookup = np.zeros(len(EventKind) + 1, dtype=np.int64)
    for kind, code in HASH_KIND_CODES.items():
        lookup[kind] = code
    columns = (
        table.ts_exchange,
        table.ts_local,
        lookup[table.kind],
        table.side.astype(np.int64),
        table.price // tick_of(table.instrument),
        table.qty // table.instrument.lot,
    )
    digest = hashlib.sha256()
    for col in columns:
        digest.update(np.ascontiguousarray(col, dtype="<i8").tobytes())
    return digest.hexdigest()


def convert_synthetic(
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    """Read the stream exactly, check its content hash, keep its foreign metadata."""
    opts = options or ConvertOptions()
    paths = check_sources(sources)
    if len(paths) != 1:
        raise ConvertError("synthetic takes one file")
    if opts.base_latency_ns or not opts.correct_local or opts.market:
        raise ConvertError(
            "synthetic: the stream is copied exactly; only --symbol, --tick and --lot apply"
        )
    sink = progress or NoProgress()
    sink.start(1, "files")
    try:
        table = read_events(paths[0], tick=opts.tick, lot=opts.lot, symbol=opts.symbol)
    except FalconetError as exc:
        raise ConvertError(str(exc)) from None
    if table.meta.get("format") != "synthetic":
        raise ConvertError(f"{paths[0]}: not the synthetic L2 stream")
    foreign = table.meta["foreign"]
    expected = foreign.get("content_sha256")
    digest = content_hash(table)
    if expected is not None and digest != expected:
        raise ConvertError(f"{paths[0]}: content hash {digest} differs from its metadata's")
    sink.advance(1)
    stats = {
        "converter": "synthetic",
        "content_sha256": digest,
        "content_sha256_verified": expected is not None,
        "generator": {k: v for k, v in foreign.items() if k != "content_sha256"},
        "dropped": {},
        "gaps": [],
        "local_time_correction_ns": 0,
    }
    meta = {"source": [paths[0].name], "stats": stats}
    return EventTable(
        **{n: table.column(n) for n in _COLUMN_NAMES}, instrument=table.instrument, meta=meta
    )


_COLUMN_NAMES = ("ts_exchange", "ts_local", "kind", "side", "price", "qty", "order_id", "seq")
