"""Cost of a log call: disabled (the hot-path case) and enabled, to a null sink.

Prints nanoseconds per call. For enabled calls, the caller's share (what the hot path
pays) and the writer's share (formatting and writing, on the background thread) are
measured apart.
"""

from __future__ import annotations

import io
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from falconet.observe.log import configure, flush, get_logger, shutdown


class NullSink(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


class Book:
    def __str__(self) -> str:
        return "bids=[61800.1 x 0.5] asks=[61800.2 x 0.3]"


def disabled_ns(calls: int) -> float:
    log = get_logger("book")
    book, px = Book(), Decimal("61800.2")
    start = time.perf_counter_ns()
    for _ in range(calls):
        log.debug("book %s", book, symbol="BTC/USD", px=px)
    elapsed = time.perf_counter_ns() - start
    start = time.perf_counter_ns()
    for _ in range(calls):
        pass
    return (elapsed - (time.perf_counter_ns() - start)) / calls


def enabled_ns(calls: int) -> tuple[float, float]:
    """(caller's ns per call, writer's ns per line). Chunks are short enough (a few ms)
    that the writer, which lingers 50 ms to batch, leaves each one to flush()."""
    log = get_logger("book")
    book, px = Book(), Decimal("61800.2")
    chunk = 2_000
    caller = writer = 0
    for _ in range(calls // chunk):
        start = time.perf_counter_ns()
        for _ in range(chunk):
            log.info("book %s", book, symbol="BTC/USD", px=px)
        middle = time.perf_counter_ns()
        flush()
        caller += middle - start
        writer += time.perf_counter_ns() - middle
    return caller / calls, writer / calls


def main() -> None:
    configure("info", stream=NullSink(), color=True, width=0)
    disabled = disabled_ns(2_000_000)
    console = enabled_ns(100_000)
    path = Path(tempfile.mkdtemp()) / "bench.jsonl"
    configure("info", console=False, json_path=path)
    jsonl = enabled_ns(100_000)
    shutdown()
    path.unlink()
    path.parent.rmdir()

    print(f"disabled call (debug while at info):  {disabled:7.0f} ns/call")
    print(f"enabled call, console to a null sink: {console[0]:7.0f} ns/call in the caller")
    print(f"                                      {console[1]:7.0f} ns/line in the writer")
    print(f"enabled call, JSON lines to a file:   {jsonl[0]:7.0f} ns/call in the caller")
    print(f"                                      {jsonl[1]:7.0f} ns/line in the writer")


if __name__ == "__main__":
    main()
