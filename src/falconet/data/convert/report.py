"""What an event table holds, in words: the facts `falconet data convert` prints after a
conversion and `falconet data info` prints for a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from falconet.core.fixed import format_scaled
from falconet.data.format import EventKind, EventTable, instrument_json, local_order


@dataclass(frozen=True, slots=True)
class Facts:
    instrument: str
    source: list[str]
    rows: int
    per_kind: dict[str, int]
    start_ns: int | None
    end_ns: int | None
    distinct_timestamps: int
    price_low: str | None
    price_high: str | None
    latency_p50_ns: int | None
    latency_p99_ns: int | None
    local_reordered: int  # rows whose local-view position differs from file order
    stats: dict[str, Any]
    foreign: dict[str, str]


def describe(table: EventTable) -> Facts:
    inst = table.instrument
    doc = instrument_json(inst)
    n = len(table)
    tse = table.ts_exchange
    priced = table.price[table.kind != EventKind.CLEAR]
    latency = table.ts_local - tse
    order = local_order(table)
    reordered = 0 if order is None else int((order != np.arange(n)).sum())
    return Facts(
        instrument=(
            f"{inst.symbol}@{doc['venue']} ({doc['kind']}, {doc['base']}/{doc['quote']}): "
            f"tick {doc['tick']}, lot {doc['lot']}; integer units of "
            f"{format_scaled(1, inst.price_decimals)} (price) and "
            f"{format_scaled(1, inst.size_decimals)} (size)"
        ),
        source=list(table.meta.get("source", [])),
        rows=n,
        per_kind=table.counts(),
        start_ns=int(tse[0]) if n else None,
        end_ns=int(tse[-1]) if n else None,
        distinct_timestamps=int(np.count_nonzero(np.diff(tse))) + 1 if n else 0,
        price_low=format_scaled(int(priced.min()), inst.price_decimals) if priced.size else None,
        price_high=format_scaled(int(priced.max()), inst.price_decimals) if priced.size else None,
        latency_p50_ns=int(np.percentile(latency, 50)) if n else None,
        latency_p99_ns=int(np.percentile(latency, 99)) if n else None,
        local_reordered=reordered,
        stats=table.stats,
        foreign=dict(table.meta.get("foreign", {})),
    )


def utc(ns: int) -> str:
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{ns % 1_000_000_000:09d}"[:-3]  # to the microsecond


def duration(ns: int) -> str:
    seconds = ns / 1e9
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def millis(ns: int | None) -> str:
    return "n/a" if ns is None else f"{ns / 1e6:.3f} ms"


def kinds_text(per_kind: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in per_kind.items() if v) or "no rows"


def span_text(f: Facts) -> str:
    if f.start_ns is None or f.end_ns is None:
        return "empty"
    return f"{utc(f.start_ns)} → {utc(f.end_ns)} UTC ({duration(f.end_ns - f.start_ns)})"


def gaps_text(stats: dict[str, Any]) -> str:
    gaps = stats.get("gaps", [])
    if not gaps:
        return "none"
    parts = [
        f"at update id {g.get('update_id')} after {g.get('last_applied_update_id')} "
        f"({g.get('file')} line {g.get('line')})"
        for g in gaps
    ]
    stop = stats.get("depth_stopped")
    return "; ".join(parts) + (f"; {stop}" if stop else "")


def dropped_text(stats: dict[str, Any]) -> str:
    dropped = {k: v for k, v in stats.get("dropped", {}).items() if v}
    return ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in dropped.items()) or "nothing"


def correction_text(f: Facts) -> str:
    shift = f.stats.get("local_time_correction_ns")
    local = f.stats.get("local_time", {})
    base = local.get("base_latency_ns") or 0
    if local.get("receive_time") is False:
        note = f" + base latency {millis(base)}" if base else ""
        return f"no receive time in the source: ts_local = ts_exchange{note}"
    if f.latency_p99_ns == 0 and f.latency_p50_ns == 0:
        return "ts_local = ts_exchange"
    if shift:
        note = f" (incl. base latency {millis(base)})" if base else ""
        return f"ts_local shifted by +{format_scaled(int(shift), 9)} s{note}"
    if local.get("enabled") is False:
        return "as recorded (correction turned off)"
    return "as recorded"


def latency_text(f: Facts) -> str:
    return f"p50 {millis(f.latency_p50_ns)}, p99 {millis(f.latency_p99_ns)} (over rows)"


def paragraph(f: Facts, out: str) -> str:
    """One paragraph after a conversion."""
    return (
        f"Wrote {out}: {f.rows:,} rows for {f.instrument}. Rows: {kinds_text(f.per_kind)}. "
        f"Exchange time {span_text(f)}. Gaps: {gaps_text(f.stats)}. "
        f"Dropped: {dropped_text(f.stats)}. Local time: {correction_text(f)}; feed latency "
        f"{latency_text(f)}."
    )


def info_lines(f: Facts) -> list[tuple[str, str]]:
    """(label, text) pairs for `falconet data info`."""
    lines = [
        ("instrument", f.instrument),
        ("source", ", ".join(f.source) or "n/a"),
        ("span", span_text(f)),
        ("rows", f"{f.rows:,}: {kinds_text(f.per_kind)}"),
        ("timestamps", f"{f.distinct_timestamps:,} distinct exchange times"),
        ("prices", f"{f.price_low} – {f.price_high}" if f.price_low else "n/a"),
        ("feed latency", latency_text(f)),
        ("local time", correction_text(f)),
        (
            "local view",
            f"{f.local_reordered:,} rows replay in another order by ts_local"
            if f.local_reordered
            else "same order as the file",
        ),
        ("gaps", gaps_text(f.stats)),
        ("dropped", dropped_text(f.stats)),
    ]
    skip = {"rows", "gaps", "dropped", "depth_stopped", "local_time_correction_ns", "local_time"}
    for key, value in f.stats.items():
        if key not in skip:
            lines.append((key.replace("_", " "), _plain(value)))
    for key, value in f.foreign.items():
        lines.append((f"file {key}", value))
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
