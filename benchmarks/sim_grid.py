"""Simulator throughput on the 2 M-row synthetic stream: pure replay and the reference
grid market maker, warm (kernel compiled, data in memory), plus one cold process.

    python benchmarks/sim_grid.py [--repeat N] [--no-cold]

Prints wall time (best and median of N), events/s (rows of the stream per second of
wall time) and peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _shared import peak_rss_mb, shared_file
from falconet.backtest.runner import run_backtest
from falconet.data.format import read_events
from falconet.sim.data import SimData
from falconet.sim.models import FeeModel, LatencyModel, SimConfig
from falconet.strategies import make_strategy
from falconet.strategies.api import Strategy

COLD = """
import time
t0 = time.perf_counter()
from falconet.backtest.runner import run_backtest
from falconet.data.format import read_events
from falconet.sim.models import FeeModel, LatencyModel, SimConfig
from falconet.strategies import make_strategy
t1 = time.perf_counter()
table = read_events({path!r})
t2 = time.perf_counter()
cfg = SimConfig(latency=LatencyModel.constant(10, 10), fees=FeeModel(-0.00005, 0.0005))
run = run_backtest([table], [make_strategy("hbt-grid", (), table.instrument)], cfg)
t3 = time.perf_counter()
# VmHWM, not ru_maxrss: the latter keeps the parent's size across fork + exec
rss = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")) / 1024
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{t3 - t2:.3f}} {{rss:.0f}}")
"""


class Idle(Strategy):
    """Wakes for nothing: the loop replays both views of the market and stops."""

    name = "idle"


def timed(runs: int, fn) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def report(label: str, rows: int, walls: list[float]) -> None:
    best, med = min(walls), statistics.median(walls)
    print(
        f"{label:<28} best {best:.3f} s  median {med:.3f} s  "
        f"{rows / best / 1e6:.2f} M events/s (median {rows / med / 1e6:.2f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-cold", action="store_true")
    args = ap.parse_args()
    path = shared_file("data/synthetic/synth_l2.parquet")
    t = time.perf_counter()
    table = read_events(path)
    load = time.perf_counter() - t
    data = SimData.from_table(table)
    rows = data.rows
    cfg = SimConfig(latency=LatencyModel.constant(10, 10), fees=FeeModel(-0.00005, 0.0005))
    print(f"stream             {path} ({rows:,} rows), load {load:.3f} s")
    t = time.perf_counter()
    run_backtest([data], [Idle()], cfg)  # compiles the kernel on a fresh machine
    print(f"first run          {time.perf_counter() - t:.2f} s (kernel compile or cache load)")
    report("pure replay", rows, timed(args.repeat, lambda: run_backtest([data], [Idle()], cfg)))
    result = []

    def grid() -> None:
        result[:] = [run_backtest([data], [make_strategy("hbt-grid", (), data.instrument)], cfg)]

    report("grid contract (hbt-grid)", rows, timed(args.repeat, grid))
    r = result[-1].results[0]
    c, f = r.asset.counters(), r.final_state()
    print(
        f"grid result        {r.steps:,} steps, {c['submits']:,} submits, {c['cancels']:,} "
        f"cancels, {c['fills']:,} fills, position {f['position']:g}, equity {f['equity']:.6f}"
    )
    print(f"peak RSS (warm)    {peak_rss_mb():.0f} MB")
    if not args.no_cold:
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD.format(path=str(path))],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - t
        imp, ld, run, rss = out.stdout.split()
        print(
            f"cold process       {wall:.2f} s wall (imports {imp} s, load {ld} s, "
            f"run {run} s), peak RSS {rss} MB"
        )


if __name__ == "__main__":
    main()
