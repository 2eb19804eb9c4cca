"""The metrics registry: histogram percentiles within the stated error of numpy's,
label identity, collectors read at snapshot time, and a JSON-able snapshot."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.observe.metrics import (
    BUCKETS,
    QUANTILES,
    Counter,
    Histogram,
    MetricsRegistry,
    Sample,
    bucket_of,
    bucket_range,
    counters_from,
    sample,
)

REL_ERROR = 1 / 128  # what the module promises: half a bucket of 1/64 of the value


def exact(values: list[int], q: float) -> int:
    """The order statistic of rank ⌈q·n⌉ (numpy's `inverted_cdf`)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: rng.lognormal(11, 2, 200_000),  # latencies: µs to tens of ms, long tail
        lambda rng: rng.uniform(0, 5_000, 50_000),  # the exact buckets and the first octaves
        lambda rng: rng.exponential(2e6, 100_000),
    ],
    ids=["lognormal", "uniform", "exponential"],
)
def test_percentiles_agree_with_numpy_within_the_stated_error(draw) -> None:  # type: ignore[no-untyped-def]
    data = draw(np.random.default_rng(7)).astype(np.int64)
    h = Histogram("x_ns")
    for v in data.tolist():
        h.record(v)
    for name, q in QUANTILES:
        want = float(np.percentile(data, q * 100, method="inverted_cdf"))
        got = h.summary()[name]
        assert isinstance(got, int)
        assert abs(got - want) <= want * REL_ERROR, (name, got, want)
    assert h.summary()["max"] == int(data.max()) and h.summary()["min"] == int(data.min())
    assert h.count == len(data) and h.sum == int(data.sum())


def test_values_below_128_are_exact_and_the_extremes_are_never_overshot() -> None:
    h = Histogram("x_ns")
    for v in (3, 3, 5, 127):
        h.record(v)
    assert h.quantiles([0.5, 0.75, 1.0]) == [3, 5, 127]
    h.record(1_000_003)  # alone in its bucket: the max itself, not the bucket's midpoint
    assert h.quantile(1.0) == 1_000_003


def test_negative_and_huge_values_are_recorded_without_raising() -> None:
    h = Histogram("x_ns")
    h.record(-50)  # a clock step: counted as 0
    h.record(1 << 70)
    assert h.count == 2 and h.quantile(0.5) == 0 and h.summary()["max"] == 1 << 70


def test_an_empty_histogram_reports_no_percentiles() -> None:
    summary = Histogram("x_ns").summary()
    assert summary["count"] == 0
    assert all(summary[k] is None for k in ("min", "max", "mean", "p50", "p99", "p999"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=(1 << 63) - 1), min_size=1, max_size=300))
def test_every_percentile_is_within_bounds_of_the_exact_one(values: list[int]) -> None:
    h = Histogram("x_ns")
    for v in values:
        h.record(v)
    for _, q in QUANTILES:
        got, want = h.quantile(q), exact(values, q)
        assert got is not None and min(values) <= got <= max(values)
        assert abs(got - want) <= want * REL_ERROR
    assert h.count == len(values) and h.sum == sum(values)


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_buckets_tile_the_range_and_stay_within_one_64th(value: int) -> None:
    index = bucket_of(value)
    low, high = bucket_range(index)
    assert 0 <= index < BUCKETS and low <= value <= high
    assert high - low + 1 <= max(1, low // 64)
    if index + 1 < BUCKETS:
        assert bucket_range(index + 1)[0] == high + 1


def test_a_name_and_its_labels_identify_one_series_whatever_the_label_order() -> None:
    metrics = MetricsRegistry()
    a = metrics.counter("falconet_oms_orders_sent_total", venue="paper", entry="Grid:X")
    assert metrics.counter("falconet_oms_orders_sent_total", entry="Grid:X", venue="paper") is a
    b = metrics.counter("falconet_oms_orders_sent_total", venue="hyperliquid", entry="Grid:X")
    a.value += 2
    b.inc()
    [family] = metrics.snapshot().values()
    assert family == {
        "type": "counter",
        "samples": [
            {"labels": {"entry": "Grid:X", "venue": "hyperliquid"}, "value": 1},
            {"labels": {"entry": "Grid:X", "venue": "paper"}, "value": 2},
        ],
    }


def test_a_label_may_be_called_name() -> None:
    c = MetricsRegistry().counter("falconet_x_total", name="n")
    assert c.labels == (("name", "n"),)


@pytest.mark.parametrize(
    ("name", "labels"),
    [("falconet-oms", {}), ("1x", {}), ("ok_total", {"bad-label": "x"}), ("ok", {"__x": "y"})],
)
def test_names_and_labels_follow_prometheus_rules(name: str, labels: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid metric"):
        MetricsRegistry().counter(name, **labels)


def test_one_name_is_one_type_and_a_series_is_registered_once() -> None:
    metrics = MetricsRegistry()
    metrics.counter("falconet_x_total")
    with pytest.raises(ValueError, match="is a counter"):
        metrics.gauge("falconet_x_total")
    mine = Counter("falconet_y_total", venue="paper")
    metrics.add(mine)
    metrics.add(mine)  # the same handle again: nothing happens
    assert metrics.counter("falconet_y_total", venue="paper") is mine
    with pytest.raises(ValueError, match="already registered"):
        metrics.add(Counter("falconet_y_total", venue="paper"))


def test_the_snapshot_is_json_and_names_every_histogram_figure() -> None:
    metrics = MetricsRegistry()
    metrics.gauge("falconet_supervisor_halted", entry="a").set(1)
    h = metrics.histogram("falconet_runner_dispatch_ns", entry="a")
    for v in range(1, 1001):
        h.record(v * 1000)
    snap = json.loads(json.dumps(metrics.snapshot()))
    assert list(snap) == ["falconet_runner_dispatch_ns", "falconet_supervisor_halted"]
    assert snap["falconet_supervisor_halted"]["samples"][0]["value"] == 1
    row = snap["falconet_runner_dispatch_ns"]["samples"][0]
    assert snap["falconet_runner_dispatch_ns"]["type"] == "histogram"
    assert set(row) == {"labels", "count", "sum", "min", "max", "mean"} | {n for n, _ in QUANTILES}
    assert row["count"] == 1000 and row["min"] == 1000 and row["max"] == 1_000_000
    assert abs(row["p50"] - 500_000) <= 500_000 * REL_ERROR


def test_collectors_are_read_at_each_snapshot_and_a_broken_one_costs_only_itself() -> None:
    metrics = MetricsRegistry()
    depth = [3]
    metrics.gauge_fn("falconet_queue_depth", lambda: depth[0], venue="paper")
    metrics.collector(lambda: [sample("falconet_frames_total", 9, venue="paper")])

    def broken() -> list[Sample]:
        raise RuntimeError("gone")

    metrics.collector(broken)
    assert metrics.snapshot()["falconet_queue_depth"]["samples"][0]["value"] == 3
    depth[0] = 5
    snap = metrics.snapshot()
    assert snap["falconet_queue_depth"] == {
        "type": "gauge",
        "samples": [{"labels": {"venue": "paper"}, "value": 5}],
    }
    assert snap["falconet_frames_total"]["samples"][0]["value"] == 9
    assert metrics.collector_errors == 2


@dataclass
class Stats:
    sent: int = 4
    fills: int = 2
    note: str = "skipped"
    flag: bool = True  # not a count


def test_stats_records_become_counters_with_prometheus_names() -> None:
    from_record = counters_from(Stats(), "falconet_oms", {"sent": "orders_sent"}, venue="paper")
    assert [(s.name, s.value, s.labels) for s in from_record] == [
        ("falconet_oms_orders_sent_total", 4, (("venue", "paper"),)),
        ("falconet_oms_fills_total", 2, (("venue", "paper"),)),
    ]
    from_dict = counters_from({"frames": 7, "reconnects": 1}, "falconet_venue", venue="hl")
    assert [s.name for s in from_dict] == [
        "falconet_venue_frames_total",
        "falconet_venue_reconnects_total",
    ]
    assert counters_from(None, "falconet_venue") == []
