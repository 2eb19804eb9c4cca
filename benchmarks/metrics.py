"""Cost of reporting a metric on the hot path, and of reading them all.

Prints nanoseconds per counter increment (the attribute add the engine uses, and the
`inc()` method), per histogram record (latency-like values, µs to ms), and the time of a
registry snapshot the size of a busy engine's.

    python benchmarks/metrics.py [--n N]
"""

from __future__ import annotations

import argparse
import random
import time

from falconet.observe.metrics import MetricsRegistry


def empty_loop_ns(n: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(n):
        pass
    return time.perf_counter_ns() - start


def counter_add_ns(n: int) -> float:
    c = MetricsRegistry().counter("falconet_bench_total", venue="paper")
    start = time.perf_counter_ns()
    for _ in range(n):
        c.value += 1
    return (time.perf_counter_ns() - start - empty_loop_ns(n)) / n


def counter_inc_ns(n: int) -> float:
    c = MetricsRegistry().counter("falconet_bench_total", venue="paper")
    inc = c.inc
    start = time.perf_counter_ns()
    for _ in range(n):
        inc()
    return (time.perf_counter_ns() - start - empty_loop_ns(n)) / n


def histogram_record_ns(n: int) -> float:
    h = MetricsRegistry().histogram("falconet_bench_ns", entry="Grid:BTC/USD:paper")
    rng = random.Random(1)
    values = [int(rng.lognormvariate(11, 1.5)) for _ in range(4096)]  # ~60 µs median
    record = h.record
    rounds = max(1, n // len(values))
    start = time.perf_counter_ns()
    for _ in range(rounds):
        for v in values:
            record(v)
    elapsed = time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    for _ in range(rounds):
        for _v in values:
            pass
    return (elapsed - (time.perf_counter_ns() - start)) / (rounds * len(values))


def snapshot_ms(entries: int) -> float:
    """A registry like an engine's with `entries` runners: 2 histograms and 5 counters
    each, plus per-venue counters."""
    metrics = MetricsRegistry()
    rng = random.Random(2)
    for e in range(entries):
        for name in ("dispatch_ns", "book_latency_ns"):
            h = metrics.histogram(f"falconet_runner_{name}", entry=f"e{e}")
            for _ in range(10_000):
                h.record(int(rng.lognormvariate(11, 1.5)))
        for name in ("events", "book_calls", "fills", "fills_quarantined", "replay_skipped"):
            metrics.counter(f"falconet_runner_{name}_total", entry=f"e{e}").inc(e)
    for name in ("orders_sent", "fills", "send_failures"):
        metrics.counter(f"falconet_oms_{name}_total", venue="hyperliquid").inc()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter_ns()
        metrics.snapshot()
        best = min(best, time.perf_counter_ns() - start)
    return best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000, help="operations per figure")
    args = parser.parse_args()
    add = counter_add_ns(args.n)
    inc = counter_inc_ns(args.n)
    record = histogram_record_ns(args.n)
    snap = snapshot_ms(10)
    print(f"counter increment, c.value += 1:  {add:7.1f} ns/op")
    print(f"counter increment, c.inc():       {inc:7.1f} ns/op")
    print(f"histogram record (µs–ms values):  {record:7.1f} ns/op")
    print(f"snapshot, 10 entries (20 histograms, 53 counters): {snap:7.2f} ms")


if __name__ == "__main__":
    main()
