"""The canonical market-data event format, `falconet.l2/1`: one Parquet file per instrument.

Every row is one event with exact integer prices and sizes (see `docs/data-format.md`):

    ts_exchange int64 ns   when the venue says it happened (rows are in this order)
    ts_local    int64 ns   when the recorder received it (>= ts_exchange)
    kind        int8       1 DEPTH, 2 TRADE, 3 CLEAR, 4 SNAPSHOT, 5 BBO
    side        int8       +1 bid / buy aggressor, -1 ask / sell aggressor, 0 both or unknown
    price       int64      units of 10**-price_decimals
    qty         int64      units of 10**-size_decimals (book kinds: absolute new quantity)
    order_id    int64      L3 order id where the source has one, else 0
    seq         int64      venue update id / trade id where the source has one, else 0

`read_events` also reads the engine-neutral synthetic stream (float prices, string codes),
converting it exactly; `write_events` refuses a table that breaks the ordering contract.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from falconet.core.enums import InstrumentKind, Venue
from falconet.core.errors import FalconetError
from falconet.core.fixed import format_scaled
from falconet.core.instrument import Instrument
from falconet.core.precision import TickRule

FORMAT_VERSION = "falconet.l2/1"
KEY_FORMAT = b"falconet.format"
KEY_INSTRUMENT = b"falconet.instrument"
KEY_SOURCE = b"falconet.source"
KEY_STATS = b"falconet.stats"

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]


class EventKind(IntEnum):
    DEPTH = 1  # absolute new level quantity; 0 deletes the level
    TRADE = 2
    CLEAR = 3  # wipes the side given by `side` (0 = both)
    SNAPSHOT = 4  # one level of a full restatement, always after a CLEAR
    BBO = 5  # top of book, one row per side


BID = BUY = 1
ASK = SELL = -1
BOTH = 0

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("ts_exchange", np.int64),
    ("ts_local", np.int64),
    ("kind", np.int8),
    ("side", np.int8),
    ("price", np.int64),
    ("qty", np.int64),
    ("order_id", np.int64),
    ("seq", np.int64),
)
SCHEMA = pa.schema([(name, pa.from_numpy_dtype(np.dtype(dt))) for name, dt in COLUMNS])


class EventFormatError(FalconetError):
    """An event file or table that breaks the format: wrong columns, types or order."""


@dataclass(frozen=True, slots=True, eq=False)
class EventTable:
    """One instrument's events as numpy columns, in exchange-time order."""

    ts_exchange: I64
    ts_local: I64
    kind: I8
    side: I8
    price: I64
    qty: I64
    order_id: I64
    seq: I64
    instrument: Instrument
    # "source": source file names, "stats": conversion facts (gaps, drops, corrections);
    # for a foreign file, "foreign": its own metadata.
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ts_exchange.shape[0])

    def column(self, name: str) -> npt.NDArray[Any]:
        value: npt.NDArray[Any] = getattr(self, name)
        return value

    def counts(self) -> dict[str, int]:
        """Rows per kind, by name (every kind listed, zero included)."""
        found = np.bincount(self.kind.astype(np.intp), minlength=len(EventKind) + 1)
        return {k.name: int(found[k]) for k in EventKind}

    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.meta.get("stats", {})
        return stats

    def take(self, index: npt.NDArray[np.intp]) -> EventTable:
        """The rows at `index`, in that order (same instrument and metadata)."""
        cols = {name: self.column(name)[index] for name, _ in COLUMNS}
        return EventTable(**cols, instrument=self.instrument, meta=self.meta)


def local_order(table: EventTable) -> npt.NDArray[np.intp] | None:
    """Row order of the local (strategy) view: the stable argsort of `ts_local`, or None
    when the rows are already in local-time order. Ties keep exchange order, so a CLEAR
    stays before its SNAPSHOT rows and a trade before the depth row it caused."""
    ts = table.ts_local
    if ts.shape[0] < 2 or bool(np.all(ts[1:] >= ts[:-1])):
        return None
    return np.argsort(ts, kind="stable")


# --- instrument metadata ---------------------------------------------------------------


def tick_of(inst: Instrument) -> int:
    """Tick in price units. Venues without a tick rule (significant figures, tiers) use
    one unit of the price scale in the file format."""
    rule = inst.price_rule
    return rule.tick if isinstance(rule, TickRule) else 1


def instrument_json(inst: Instrument) -> dict[str, Any]:
    return {
        "venue": str(inst.venue),
        "symbol": inst.symbol,
        "base": inst.base,
        "quote": inst.quote,
        "kind": str(inst.kind),
        "price_decimals": inst.price_decimals,
        "size_decimals": inst.size_decimals,
        "tick": format_scaled(tick_of(inst), inst.price_decimals),
        "lot": format_scaled(inst.lot, inst.size_decimals),
    }


def venue_named(name: str) -> Venue:
    """The core venue for a name. Data-only exchanges without a member of their own (COMEX,
    NASDAQ) keep their name: the instrument id then reads `AMZN@nasdaq`, as the data says."""
    try:
        return Venue(name)
    except ValueError:
        return name  # type: ignore[return-value]


def make_instrument(
    venue: str,
    symbol: str,
    base: str,
    quote: str,
    kind: str,
    *,
    tick: str,
    lot: str,
    price_decimals: int | None = None,
    size_decimals: int | None = None,
) -> Instrument:
    """An instrument from the decimal increments the file format records."""
    try:
        inst_kind = InstrumentKind(kind)
    except ValueError:
        raise EventFormatError(f"unknown instrument kind {kind!r}") from None
    return Instrument.with_increments(
        venue_named(venue),
        symbol,
        base,
        quote,
        inst_kind,
        tick=tick,
        lot=lot,
        price_decimals=price_decimals,
        size_decimals=size_decimals,
    )


def _instrument_from_json(doc: dict[str, Any]) -> Instrument:
    try:
        names = ("venue", "symbol", "base", "quote", "kind")
        return make_instrument(
            *(str(doc[k]) for k in names),
            tick=doc["tick"],
            lot=doc["lot"],
            price_decimals=int(doc["price_decimals"]),
            size_decimals=int(doc["size_decimals"]),
        )
    except KeyError as exc:
        raise EventFormatError(f"instrument metadata lacks {exc}") from None


# --- validation and writing ------------------------------------------------------------


def _refuse(bad: npt.NDArray[np.bool_], message: Callable[[int], str]) -> None:
    """Raise naming the first row where `bad` holds."""
    if bad.any():
        i = int(np.argmax(bad))
        raise EventFormatError(f"row {i}: {message(i)}")


def validate_events(table: EventTable, *, allow_negative_latency: bool = False) -> None:
    """Raise EventFormatError naming the first row that breaks the format contract."""
    n = len(table)
    for name, dtype in COLUMNS:
        col = table.column(name)
        if col.dtype != np.dtype(dtype) or col.ndim != 1 or col.shape[0] != n:
            raise EventFormatError(
                f"column {name}: expected {n} values of {np.dtype(dtype)}, "
                f"got {col.shape} {col.dtype}"
            )
    if n == 0:
        return
    kind, side, price, qty = table.kind, table.side, table.price, table.qty
    tse, tsl, inst = table.ts_exchange, table.ts_local, table.instrument
    _refuse((kind < EventKind.DEPTH) | (kind > EventKind.BBO), lambda i: f"unknown kind {kind[i]}")
    _refuse((side < -1) | (side > 1), lambda i: f"side must be -1, 0 or +1, not {side[i]}")
    _refuse(qty < 0, lambda i: f"negative qty {qty[i]}")
    _refuse(
        np.concatenate([[False], tse[1:] < tse[:-1]]),
        lambda i: (
            f"ts_exchange {tse[i]} is before the previous row's {tse[i - 1]} "
            "(rows must be in exchange-time order)"
        ),
    )
    if not allow_negative_latency:
        _refuse(
            tsl < tse,
            lambda i: (
                f"ts_local {tsl[i]} is before ts_exchange {tse[i]} (correct the local clock first)"
            ),
        )
    tick = tick_of(inst)
    _refuse(
        price % tick != 0,
        lambda i: (
            f"price {inst.price_str(int(price[i]))} is not a multiple of the tick "
            f"{inst.price_str(tick)}"
        ),
    )
    # Every SNAPSHOT row follows a CLEAR or SNAPSHOT row with the same timestamps.
    snap = np.flatnonzero(kind == EventKind.SNAPSHOT)
    prev = np.maximum(snap - 1, 0)
    ok = (snap > 0) & ((kind[prev] == EventKind.SNAPSHOT) | (kind[prev] == EventKind.CLEAR))
    ok &= (tse[prev] == tse[snap]) & (tsl[prev] == tsl[snap])
    if not ok.all():
        raise EventFormatError(
            f"row {snap[np.argmax(~ok)]}: a SNAPSHOT row must follow a CLEAR (or SNAPSHOT) "
            "row with the same timestamps"
        )


def write_events(
    path: str | Path, table: EventTable, *, allow_negative_latency: bool = False
) -> None:
    """Validate `table` and write it as one zstd Parquet file (replaced atomically).

    `falconet.stats` is the table's `meta["stats"]` with `rows` (per kind) filled in from
    the data itself."""
    validate_events(table, allow_negative_latency=allow_negative_latency)
    stats = {**table.stats, "rows": table.counts()}
    metadata = {
        KEY_FORMAT: FORMAT_VERSION.encode(),
        KEY_INSTRUMENT: json.dumps(instrument_json(table.instrument)).encode(),
        KEY_SOURCE: json.dumps(table.meta.get("source", [])).encode(),
        KEY_STATS: json.dumps(stats).encode(),
    }
    arrays = [pa.array(table.column(name)) for name, _ in COLUMNS]
    out = pa.Table.from_arrays(arrays, schema=SCHEMA.with_metadata(metadata))
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    pq.write_table(out, tmp, compression="zstd")
    os.replace(tmp, target)


# --- reading ---------------------------------------------------------------------------


def _open(path: Path) -> Any:
    if not path.is_file():
        raise EventFormatError(f"{path}: no such file")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise EventFormatError(f"{path}: not a Parquet file ({exc})") from None


def read_events(
    path: str | Path,
    *,
    tick: str | None = None,
    lot: str | None = None,
    symbol: str | None = None,
) -> EventTable:
    """Read a `falconet.l2/1` file, or the synthetic L2 stream (converted exactly).

    For the synthetic stream `tick`/`lot` default to its `tick_size`/`lot_size` metadata;
    for our files they must agree with the file when given. `symbol` renames the
    instrument. The columns are read-only (copy one to change it)."""
    table = _read(Path(path), tick=tick, lot=lot, symbol=symbol)
    for name, _ in COLUMNS:  # views of the file's buffers where possible: never writable
        table.column(name).flags.writeable = False
    return table


def _read(p: Path, *, tick: str | None, lot: str | None, symbol: str | None) -> EventTable:
    pf = _open(p)
    meta = pf.schema_arrow.metadata or {}
    if KEY_FORMAT not in meta:
        names = set(pf.schema_arrow.names)
        if {"ts_exchange_ns", "ts_local_ns", "kind", "side", "price", "qty"} <= names:
            # The foreign-schema reader lives with its converter; imported here on demand
            # because the converters themselves import this module.
            from falconet.data.convert.synthetic import read_synthetic_stream  # noqa: PLC0415

            return read_synthetic_stream(p, pf, tick=tick, lot=lot, symbol=symbol)
        raise EventFormatError(
            f"{p}: not a falconet event file (no {KEY_FORMAT.decode()} metadata) nor the "
            f"synthetic L2 stream; columns: {', '.join(pf.schema_arrow.names)}"
        )
    version = meta[KEY_FORMAT].decode()
    if version != FORMAT_VERSION:
        raise EventFormatError(f"{p}: format {version!r} is not {FORMAT_VERSION!r}")
    inst = _instrument_from_json(json.loads(meta[KEY_INSTRUMENT]))
    _check_increments(p, inst, tick, lot)
    if symbol is not None and symbol != inst.symbol:
        doc = instrument_json(inst)
        inst = _instrument_from_json({**doc, "symbol": symbol})
    data = pf.read(columns=[name for name, _ in COLUMNS], use_threads=True)
    cols: dict[str, Any] = {}
    for name, dtype in COLUMNS:
        col = data.column(name)
        if col.null_count:
            raise EventFormatError(f"{p}: column {name} has missing values")
        cols[name] = col.to_numpy().astype(dtype, copy=False)
    doc_meta = {
        "format": version,
        "source": json.loads(meta.get(KEY_SOURCE, b"[]")),
        "stats": json.loads(meta.get(KEY_STATS, b"{}")),
    }
    return EventTable(**cols, instrument=inst, meta=doc_meta)


def _check_increments(path: Path, inst: Instrument, tick: str | None, lot: str | None) -> None:
    doc = instrument_json(inst)
    for name, given in (("tick", tick), ("lot", lot)):
        if given is not None and not _same_decimal(given, doc[name]):
            raise EventFormatError(f"{path}: {name} {given} disagrees with the file's {doc[name]}")


def _same_decimal(a: str, b: str) -> bool:
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False
