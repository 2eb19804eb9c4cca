"""What every converter shares: options, progress reporting, a row buffer, exact float
conversion, exchange-time ordering and the local-clock correction."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from falconet.core.errors import FalconetError
from falconet.core.fixed import format_scaled, pow10
from falconet.core.instrument import Instrument
from falconet.data.format import EventKind, EventTable

ROW_WIDTH = 8  # ts_exchange, ts_local, kind, side, price, qty, order_id, seq


class ConvertError(FalconetError):
    """A source file that cannot be converted: missing, of another format, or malformed."""


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    symbol: str | None = None
    tick: str | None = None  # decimal text, overrides the source's or the default
    lot: str | None = None
    market: str | None = None  # Binance: spot, usdm or cm (inferred when None)
    base_latency_ns: int = 0  # added to the local-clock shift
    correct_local: bool = True  # shift ts_local so that feed latency is never negative


class ProgressSink(Protocol):
    def start(self, total: int | None, unit: str) -> None: ...

    def advance(self, n: int) -> None: ...


class NoProgress:
    def start(self, total: int | None, unit: str) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


def check_sources(sources: Sequence[str | Path]) -> list[Path]:
    """The sources as paths; a missing one is an error naming it."""
    if not sources:
        raise ConvertError("no source file given")
    paths = [Path(s) for s in sources]
    for p in paths:
        if not p.is_file():
            raise ConvertError(f"{p}: no such file")
    return paths


class RowBuffer:
    """Rows appended one at a time into one flat int64 buffer (cheap per row), turned into
    columns once at the end."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = array("q")

    def __len__(self) -> int:
        return len(self._buf) // ROW_WIDTH

    def add(
        self,
        ts_exchange: int,
        ts_local: int,
        kind: int,
        side: int,
        price: int,
        qty: int,
        order_id: int = 0,
        seq: int = 0,
    ) -> None:
        self._buf.extend((ts_exchange, ts_local, kind, side, price, qty, order_id, seq))

    def matrix(self) -> npt.NDArray[np.int64]:
        """Rows as an (n, 8) int64 matrix, in append order."""
        flat = np.frombuffer(self._buf, dtype=np.int64) if len(self._buf) else np.zeros(0, np.int64)
        return flat.reshape(-1, ROW_WIDTH).copy()


def table_from_matrix(
    rows: npt.NDArray[np.int64], instrument: Instrument, meta: dict[str, Any]
) -> EventTable:
    """An EventTable from an (n, 8) matrix already in final order."""
    return EventTable(
        ts_exchange=np.ascontiguousarray(rows[:, 0]),
        ts_local=np.ascontiguousarray(rows[:, 1]),
        kind=rows[:, 2].astype(np.int8),
        side=rows[:, 3].astype(np.int8),
        price=np.ascontiguousarray(rows[:, 4]),
        qty=np.ascontiguousarray(rows[:, 5]),
        order_id=np.ascontiguousarray(rows[:, 6]),
        seq=np.ascontiguousarray(rows[:, 7]),
        instrument=instrument,
        meta=meta,
    )


def exchange_order(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Rows sorted by exchange time; at equal times trades first, otherwise source order.

    Sources that deliver trades and book changes on separate streams do not say which came
    first within a timestamp; a trade is put before the book change at its time because a
    queue model counts the traded quantity once from the trade and must not see it first
    as a depth decrease."""
    if rows.shape[0] == 0:
        return rows
    not_trade = rows[:, 2] != EventKind.TRADE
    order = np.lexsort((not_trade, rows[:, 0]))  # stable: ties keep source order
    return rows[order]


@dataclass(frozen=True, slots=True)
class LocalShift:
    shift_ns: int
    min_raw_latency_ns: int | None
    base_latency_ns: int
    enabled: bool

    def as_stats(self) -> dict[str, Any]:
        return {
            "local_time_correction_ns": self.shift_ns,
            "local_time": {
                "enabled": self.enabled,
                "min_raw_feed_latency_ns": self.min_raw_latency_ns,
                "base_latency_ns": self.base_latency_ns,
            },
        }


def correct_local_time(
    rows: npt.NDArray[np.int64],
    has_exchange_time: npt.NDArray[np.bool_],
    options: ConvertOptions,
) -> LocalShift:
    """Shift ts_local (in place) by one constant so that no row arrives before the venue
    says it happened, plus the optional base latency; rows without an exchange time of
    their own then take the corrected local time as their exchange time.

    A recorder's clock that lags the venue's shows up as negative feed latency; a
    constant shift keeps the measured latency distribution's shape."""
    lat = rows[has_exchange_time, 1] - rows[has_exchange_time, 0]
    min_lat = int(lat.min()) if lat.size else None
    shift = 0
    if options.correct_local:
        shift = max(0, -(min_lat or 0)) + options.base_latency_ns
    rows[:, 1] += shift
    missing = ~has_exchange_time
    rows[missing, 0] = rows[missing, 1]
    return LocalShift(shift, min_lat, options.base_latency_ns, options.correct_local)


def without_receive_time(rows: npt.NDArray[np.int64], options: ConvertOptions) -> dict[str, Any]:
    """For sources that record no receive time: ts_local = ts_exchange plus the optional
    base latency (in place). Returns the stats entries saying so."""
    rows[:, 1] = rows[:, 0] + options.base_latency_ns
    return {
        "local_time_correction_ns": options.base_latency_ns,
        "local_time": {"receive_time": False, "base_latency_ns": options.base_latency_ns},
    }


def exact_units(
    values: npt.NDArray[np.float64], decimals: int, step: int, what: str
) -> npt.NDArray[np.int64]:
    """Floats to integer units of 10**-decimals that are multiples of `step` units.

    A value more than 1e-9 away from a step multiple (or not a number) is an error naming
    its row: a float is accepted only when it plainly means one exact price or size."""
    step_value = step / pow10(decimals)
    steps = np.divide(values, step_value)
    np.rint(steps, out=steps)
    error = np.multiply(steps, step_value)
    error -= values
    np.abs(error, out=error)
    ok = error <= 1e-9  # False for NaN as well
    if not ok.all():
        i = int(np.argmax(~ok))
        raise ConvertError(
            f"row {i}: {what} {float(values[i])!r} is not a multiple of "
            f"{format_scaled(step, decimals)}"
        )
    if steps.size and max(-float(steps.min()), float(steps.max())) * step >= 2.0**53:
        raise ConvertError(f"{what}: values too large to convert exactly")
    units = steps.astype(np.int64)
    if step != 1:
        units *= step
    return units


def source_names(paths: Sequence[Path]) -> list[str]:
    return [p.name for p in paths]
