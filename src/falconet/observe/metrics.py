"""One metrics registry for the whole process: counters, gauges and latency histograms,
named and labelled the Prometheus way so that an exporter is a thin layer over
`MetricsRegistry.snapshot()`.

    metrics = MetricsRegistry()
    sent = metrics.counter("falconet_oms_orders_sent_total", venue="hyperliquid")
    sent.value += 1                      # the hot path: one attribute add
    lat = metrics.histogram("falconet_runner_dispatch_ns", entry="Grid:BTC/USD:paper")
    lat.record(1_250)                    # O(1), ns
    metrics.collector(lambda: counters_from(oms.stats, "falconet_oms", venue="paper"))
    metrics.snapshot()                   # plain JSON-able dict, read by the dashboard

Handles are created once, where a component is built, and kept; the registry is only
consulted again at snapshot time. Existing stats records are exposed through collectors
(functions read at snapshot time), so their increment sites stay as they are.

Histograms are log-linear (HDR-style): values below 128 ns have a bucket each, every
power of two above is cut into 64 equal buckets. A percentile is the midpoint of the
bucket holding it, within 1/128 (0.79 %) of the exact order statistic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar, Literal, TypedDict

from falconet.observe.log import get_logger

log = get_logger("metrics")

Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs: a series' identity
Number = int | float

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")

SUB_BITS = 7  # 2**7 exact buckets below 128, then 2**6 per power of two: width ≤ 1/64
MAX_SHIFT = 64 - SUB_BITS  # every value below 2**64 ns (585 years) has its own bucket
BUCKETS = (MAX_SHIFT << (SUB_BITS - 1)) + (1 << SUB_BITS)
_NO_MIN = 1 << 64
QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999))


def _labels(labels: Mapping[str, object]) -> Labels:
    for key in labels:
        if not _LABEL.match(key) or key.startswith("__"):
            raise ValueError(f"invalid metric label name {key!r}")
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid metric name {name!r}")
    return name


class Counter:
    """Only goes up. `c.value += 1` (or `c.inc()`) is the whole cost of counting."""

    __slots__ = ("labels", "name", "value")
    kind: ClassVar[Kind] = "counter"

    def __init__(self, name: str, /, **labels: object) -> None:
        self.name = _check_name(name)
        self.labels = _labels(labels)
        self.value: Number = 0

    def inc(self, n: Number = 1) -> None:
        self.value += n


class Gauge:
    """A value that goes up and down (open orders, a halted flag)."""

    __slots__ = ("labels", "name", "value")
    kind: ClassVar[Kind] = "gauge"

    def __init__(self, name: str, /, **labels: object) -> None:
        self.name = _check_name(name)
        self.labels = _labels(labels)
        self.value: Number = 0

    def set(self, value: Number) -> None:
        self.value = value

    def inc(self, n: Number = 1) -> None:
        self.value += n

    def dec(self, n: Number = 1) -> None:
        self.value -= n


def bucket_of(ns: int) -> int:
    """The bucket index of a value ≥ 0 (the same arithmetic as `Histogram.record`)."""
    shift = ns.bit_length() - SUB_BITS
    if shift <= 0:
        return ns
    if shift > MAX_SHIFT:
        return BUCKETS - 1
    return (shift << (SUB_BITS - 1)) + (ns >> shift)


def bucket_range(index: int) -> tuple[int, int]:
    """(lowest, highest) value of a bucket, both included."""
    if index < 1 << SUB_BITS:
        return index, index
    shift = (index >> (SUB_BITS - 1)) - 1
    low = (index - (shift << (SUB_BITS - 1))) << shift
    return low, low + (1 << shift) - 1


class Histogram:
    """Latencies in ns. `record` is O(1): one bucket increment, a sum and a max; count,
    min and percentiles are worked out at snapshot time, off the hot path."""

    __slots__ = ("counts", "labels", "max", "min", "name", "sum")
    kind: ClassVar[Kind] = "histogram"

    def __init__(self, name: str, /, **labels: object) -> None:
        self.name = _check_name(name)
        self.labels = _labels(labels)
        self.counts = [0] * BUCKETS
        self.sum = 0
        self.max = 0
        self.min = _NO_MIN  # above any value, so `record` needs one comparison

    # `if` rather than min()/max() below: a builtin call costs more than the compare
    def record(self, ns: int) -> None:
        if ns < 0:  # noqa: PLR1730 - a stepped wall clock, not a latency
            ns = 0
        shift = ns.bit_length() - SUB_BITS
        if shift <= 0:
            self.counts[ns] += 1
        elif shift <= MAX_SHIFT:
            self.counts[(shift << (SUB_BITS - 1)) + (ns >> shift)] += 1
        else:  # beyond 2**64 ns: counted in the last bucket rather than raising
            self.counts[-1] += 1
        self.sum += ns
        if ns > self.max:  # noqa: PLR1730
            self.max = ns
        if ns < self.min:  # noqa: PLR1730
            self.min = ns

    @property
    def count(self) -> int:
        return sum(self.counts)

    def quantile(self, q: float) -> int | None:
        """The value at or below which a fraction `q` of the samples lie (the order
        statistic of rank ⌈q·n⌉, as numpy's `inverted_cdf`), within 1/128; None if empty."""
        return self.quantiles((q,))[0]

    def quantiles(self, qs: Iterable[float]) -> list[int | None]:
        """Several quantiles in one pass over the buckets."""
        count = self.count
        wanted = sorted((max(1, math.ceil(q * count)), i) for i, q in enumerate(qs))
        out: list[int | None] = [None] * len(wanted)
        if not count:
            return out
        seen, pos = 0, 0
        for index, n in enumerate(self.counts):
            if not n:
                continue
            seen += n
            while pos < len(wanted) and wanted[pos][0] <= seen:
                out[wanted[pos][1]] = self._estimate(index)
                pos += 1
            if pos == len(wanted):
                break
        return out

    def _estimate(self, index: int) -> int:
        low, high = bucket_range(index)
        # the exact extremes beat a midpoint when they fall in the same bucket
        return min(max((low + high + 1) // 2, self.min), self.max)

    def nonzero_buckets(self) -> Iterator[tuple[int, int]]:
        """(highest value of the bucket, samples in it), ascending: what an exporter turns
        into cumulative `le` buckets."""
        for index, n in enumerate(self.counts):
            if n:
                yield bucket_range(index)[1], n

    def summary(self) -> dict[str, int | float | None]:
        count = self.count
        out: dict[str, int | float | None] = {
            "count": count,
            "sum": self.sum,
            "min": self.min if count else None,
            "max": self.max if count else None,
            "mean": self.sum / count if count else None,
        }
        values = self.quantiles(q for _, q in QUANTILES)
        out.update((label, v) for (label, _), v in zip(QUANTILES, values, strict=True))
        return out


Metric = Counter | Gauge | Histogram


class Family(TypedDict):
    """One metric name in a snapshot: its type and one row per label set."""

    type: Kind
    samples: list[dict[str, Any]]  # {"labels": {...}, "value": v} or a histogram's figures


@dataclass(frozen=True, slots=True)
class Sample:
    """One value a collector reports at snapshot time."""

    name: str
    value: Number
    labels: Labels = ()
    kind: Literal["counter", "gauge"] = "counter"


Collector = Callable[[], Iterable[Sample]]


def sample(
    name: str, value: Number, kind: Literal["counter", "gauge"] = "counter", **labels: object
) -> Sample:
    return Sample(_check_name(name), value, _labels(labels), kind)


def counters_from(
    stats: object, prefix: str, renames: Mapping[str, str] | None = None, **labels: object
) -> list[Sample]:
    """Counter samples `<prefix>_<field>_total` from a stats record (a dataclass, a dict
    of counts or a plain object); `renames` maps a field to another middle part;
    non-numbers are skipped."""
    if is_dataclass(stats) and not isinstance(stats, type):
        items: Iterable[tuple[str, object]] = [
            (f.name, getattr(stats, f.name)) for f in fields(stats)
        ]
    elif isinstance(stats, Mapping):
        items = stats.items()
    elif hasattr(stats, "__dict__"):
        items = vars(stats).items()
    else:
        return []
    renames = renames or {}
    key = _labels(labels)
    return [
        Sample(_check_name(f"{prefix}_{renames.get(str(k), str(k))}_total"), v, key)
        for k, v in items
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]


class MetricsRegistry:
    """Every metric of the process by (name, labels); `snapshot()` reads them all."""

    def __init__(self) -> None:
        self._metrics: dict[tuple[str, Labels], Metric] = {}
        self._kinds: dict[str, Kind] = {}
        self._collectors: list[Collector] = []
        self.collector_errors = 0

    def counter(self, name: str, /, **labels: object) -> Counter:
        found = self._get_or_add(Counter(name, **labels))
        assert isinstance(found, Counter)
        return found

    def gauge(self, name: str, /, **labels: object) -> Gauge:
        found = self._get_or_add(Gauge(name, **labels))
        assert isinstance(found, Gauge)
        return found

    def histogram(self, name: str, /, **labels: object) -> Histogram:
        found = self._get_or_add(Histogram(name, **labels))
        assert isinstance(found, Histogram)
        return found

    def add(self, *metrics: Metric) -> None:
        """Register handles a component created before it knew the registry. Adding the
        same handle twice is a no-op; another handle under its name and labels is not."""
        for metric in metrics:
            if self._get_or_add(metric) is not metric:
                raise ValueError(f"metric {metric.name}{dict(metric.labels)} already registered")

    def gauge_fn(self, name: str, fn: Callable[[], Number], /, **labels: object) -> None:
        """A gauge whose value is `fn()` at snapshot time."""
        key = _labels(labels)
        _check_name(name)
        self.collector(lambda: [Sample(name, fn(), key, "gauge")])

    def collector(self, fn: Collector) -> None:
        """`fn()` is called at each snapshot; the samples it returns are reported like
        the registry's own (a stats record exposed without touching its increments)."""
        self._collectors.append(fn)

    def _get_or_add(self, metric: Metric) -> Metric:
        kind = self._kinds.setdefault(metric.name, metric.kind)
        if kind != metric.kind:
            raise ValueError(f"metric {metric.name} is a {kind}, not a {metric.kind}")
        return self._metrics.setdefault((metric.name, metric.labels), metric)

    def get(self, name: str, /, **labels: object) -> Metric | None:
        return self._metrics.get((name, _labels(labels)))

    # --- reading ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Family]:
        """{name: {"type": kind, "samples": [{"labels": {...}, "value": v} or the
        histogram's count/sum/min/max/mean/p50/p90/p99/p999]}}, names sorted."""
        families: dict[str, tuple[Kind, list[dict[str, Any]]]] = {}
        for metric in self._metrics.values():
            row: dict[str, Any] = {"labels": dict(metric.labels)}
            if isinstance(metric, Histogram):
                row.update(metric.summary())
            else:
                row["value"] = metric.value
            families.setdefault(metric.name, (metric.kind, []))[1].append(row)
        for s in self._collected():
            kind, rows = families.setdefault(s.name, (s.kind, []))
            if kind != s.kind:
                self.collector_errors += 1
                log.warning("collector sample of the wrong type", metric=s.name, kind=s.kind)
                continue
            rows.append({"labels": dict(s.labels), "value": s.value})
        return {
            name: Family(type=kind, samples=sorted(rows, key=_label_order))
            for name, (kind, rows) in sorted(families.items())
        }

    def _collected(self) -> Iterator[Sample]:
        for fn in self._collectors:
            try:
                samples = list(fn())
            except Exception as exc:  # a broken collector must not cost the others
                self.collector_errors += 1
                log.warning("metrics collector failed", error=f"{type(exc).__name__}: {exc}")
                continue
            yield from samples


def _label_order(row: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(row["labels"].items())
