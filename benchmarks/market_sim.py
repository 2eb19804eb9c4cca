"""Market simulator throughput: one hour of the default liquid market (about 2 M rows).

    python benchmarks/market_sim.py [--repeat N] [--seconds S] [--write]

The first call loads the compiled kernel from numba's cache (or compiles it, once per
machine and source version); the timed runs after it are warm.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _shared import peak_rss_mb
from falconet.data.format import write_events
from falconet.sim.market import MarketParams, generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3600.0, help="exchange time per run")
    ap.add_argument("--write", action="store_true", help="also time write_events")
    args = ap.parse_args()

    t0 = time.perf_counter()
    generate(MarketParams(duration_s=1.0))
    print(f"first call    {time.perf_counter() - t0:.2f} s (loads or compiles the kernel)")
    print(f"RSS before    {peak_rss_mb():.0f} MB")

    params = MarketParams(duration_s=args.seconds)
    times: list[float] = []
    rows, events = 0, {}
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        table = generate(params)
        times.append(time.perf_counter() - t0)
        rows, events = len(table), table.stats["events"]
        del table  # peak RSS then counts one table, not two
    times.sort()
    best, median = times[0], times[len(times) // 2]
    orders = events["limit"] + events["cancel"] + events["market"]
    print(f"simulated     {args.seconds:,.0f} s of exchange time")
    print(f"rows          {rows:,} ({orders:,} order events)")
    print(f"generate      best {best:.3f} s, median {median:.3f} s")
    print(f"throughput    {rows / best:,.0f} rows/s, {best / orders * 1e9:.0f} ns per order event")
    print(f"peak RSS      {peak_rss_mb():.0f} MB")
    if args.write:
        table = generate(params)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sim.parquet"
            t0 = time.perf_counter()
            write_events(path, table)
            took = time.perf_counter() - t0
            print(f"write_events  {took:.3f} s ({path.stat().st_size / 1e6:.1f} MB)")
        print(f"peak RSS      {peak_rss_mb():.0f} MB (with the write)")


if __name__ == "__main__":
    main()
