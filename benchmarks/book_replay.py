"""L2 book throughput on a real Binance USD-M capture.

Decodes the capture once (timed separately), then replays every depth diff through a
fresh book several times and prints level updates/s and ns per level update, plus the
cost of the reads a strategy makes on every tick (best bid/ask, top 20, imbalance).

    python benchmarks/book_replay.py [capture.gz market symbol] [--repeat N]
"""

from __future__ import annotations

import argparse
import time

from _shared import peak_rss_mb, shared_file
from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.core.events import BookDelta, BookSnapshot
from falconet.data.binance import BinanceBookSync, BinanceCaptureReader, binance_instrument


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture", nargs="?", default=None)
    ap.add_argument("market", nargs="?", default="usdm")
    ap.add_argument("symbol", nargs="?", default="BTCUSDT")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    path = args.capture or shared_file("data/l2/binance/usdm_btcusdt_20240808.gz")
    inst = binance_instrument(args.market, args.symbol)

    t0 = time.perf_counter()
    reader = BinanceCaptureReader(path, inst)
    events = [e for e in reader if isinstance(e, BookSnapshot | BookDelta)]
    decode_s = time.perf_counter() - t0
    snapshot = next(e for e in events if isinstance(e, BookSnapshot))
    deltas = [e for e in events if isinstance(e, BookDelta)]
    levels = sum(len(d.bids) + len(d.asks) for d in deltas)

    best = float("inf")
    book = L2Book(inst.id)
    for _ in range(args.repeat):
        book = L2Book(inst.id)
        sync = BinanceBookSync(book)
        t0 = time.perf_counter()
        for d in deltas:
            if d.ts_local >= snapshot.ts_local and book.needs_resync:
                sync.on_snapshot(snapshot)
            sync.on_delta(d)
        best = min(best, time.perf_counter() - t0)
    assert sync.stats.gaps == 0

    n_reads = 200_000
    t0 = time.perf_counter()
    for _ in range(n_reads):
        book.best_bid  # noqa: B018 - the read is what is measured
        book.best_ask  # noqa: B018
    tob_ns = (time.perf_counter() - t0) / n_reads * 1e9
    t0 = time.perf_counter()
    for _ in range(n_reads // 10):
        book.levels(BookSide.BID, 20)
        book.imbalance(20)
    top_ns = (time.perf_counter() - t0) / (n_reads // 10) * 1e9

    lines = reader.stats.lines
    print(f"capture            {path}")
    print(f"lines              {lines:,}  ({reader.stats.depth_diffs:,} depth diffs)")
    print(f"decode             {decode_s:.3f} s  ({decode_s / lines * 1e6:.2f} us/line)")
    print(f"level updates      {levels:,}  (diffs applied {sync.stats.applied:,}, gaps 0)")
    print(f"book replay        {best:.4f} s  (best of {args.repeat})")
    print(f"updates/s          {levels / best:,.0f}")
    print(f"ns/update          {best / levels * 1e9:.0f}")
    print(f"diff messages/s    {len(deltas) / best:,.0f}")
    print(f"best bid+ask read  {tob_ns:.0f} ns")
    print(f"top-20 + imbalance {top_ns:.0f} ns")
    print(f"final book         {book}")
    print(f"peak RSS           {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
