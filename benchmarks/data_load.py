"""Event-format throughput: loading the 2,000,000-row synthetic stream with `read_events`
(exact float-to-integer conversion included) and a converted copy of it, and converting
the Binance USD-M capture end to end.

    python benchmarks/data_load.py [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _shared import peak_rss_mb, shared_file
from falconet.data.convert import convert
from falconet.data.format import read_events, write_events


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(best, median) wall seconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2]


def timing(best: float, median: float) -> str:
    return f"best {best:.3f} s, median {median:.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    synth = shared_file("data/synthetic/synth_l2.parquet")
    capture = shared_file("data/l2/binance/usdm_btcusdt_20240808.gz")

    rows = len(read_events(synth))
    best, median = best_of(args.repeat, lambda: read_events(synth))
    print(f"synthetic stream      {synth.name}: {rows:,} rows")
    print(f"read_events (foreign) {timing(best, median)}  ({rows / best:,.0f} rows/s)")

    with tempfile.TemporaryDirectory() as tmp:
        ours = Path(tmp) / "synth.parquet"
        table = convert("synthetic", [synth])
        t0 = time.perf_counter()
        write_events(ours, table)
        write_s = time.perf_counter() - t0
        best, median = best_of(args.repeat, lambda: read_events(ours))
        print(f"write_events          {write_s:.3f} s  ({ours.stat().st_size / 1e6:.1f} MB zstd)")
        print(f"read_events (ours)    {timing(best, median)}  ({rows / best:,.0f} rows/s)")

        out = Path(tmp) / "usdm.parquet"
        conv: list[int] = []

        def convert_capture() -> None:
            result = convert("binance", [capture])
            write_events(out, result)
            conv.append(len(result))

        best, median = best_of(max(1, args.repeat // 2), convert_capture)
        lines = int(read_events(out).stats["lines"])
        print(f"binance capture       {capture.name}: {lines:,} lines -> {conv[-1]:,} rows")
        print(
            f"convert + write       {timing(best, median)}  "
            f"({best / lines * 1e6:.1f} us/line, {conv[-1] / best:,.0f} rows/s)"
        )
    print(f"peak RSS              {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
