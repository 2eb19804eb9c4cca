"""`falconet replay`: replays a recorded exchange L2 capture through the order book, live.

The capture (Binance USD-M BTCUSDT, diff-depth + trades + bookTicker with its REST
snapshot) is read from the shared market-data folder; the book is rebuilt update by
update, checked against the sequence rules, and shown in the terminal at a chosen speed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from falconet.core.book import L2Book
from falconet.core.enums import BookSide, Side
from falconet.core.errors import FalconetError
from falconet.core.events import BookDelta, BookSnapshot, TopOfBook, Trade
from falconet.core.instrument import Instrument
from falconet.data.binance import BinanceBookSync, BinanceCaptureReader, binance_instrument
from falconet.observe.book_view import book_table

DEFAULT_CAPTURE = "l2/binance/usdm_btcusdt_20240808.gz"


def _default_capture() -> Path:
    root = os.environ.get("FALCONET_SHARED")
    base = Path(root) if root else Path(__file__).resolve().parents[3].parent / "shared"
    return base / "data" / DEFAULT_CAPTURE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="replay a recorded exchange order book, live in the terminal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--capture", type=Path, default=None, help="Binance capture file (.gz)")
    p.add_argument("--market", default="usdm", help="spot, usdm or cm (default usdm)")
    p.add_argument("--symbol", default="BTCUSDT")
    p.add_argument(
        "--speed", type=float, default=60.0, help="replay speed, x real time (default 60)"
    )
    p.add_argument("--seconds", type=float, default=None, help="stop after N wall seconds")
    p.add_argument("--headless", action="store_true", help="no live view: progress lines + JSON")
    p.set_defaults(func=run)


@dataclass
class _Stats:
    diffs: int = 0
    levels: int = 0
    trades: int = 0
    volume: int = 0
    buys: int = 0
    tickers: int = 0
    last_trades: list[Trade] = field(default_factory=list)


def run(args: argparse.Namespace) -> int:
    path = args.capture or _default_capture()
    if not Path(path).exists():
        raise FalconetError(
            f"market capture not found: {path} (pass --capture FILE or set FALCONET_SHARED)"
        )
    if args.speed <= 0:
        raise FalconetError("--speed must be > 0")
    inst = binance_instrument(args.market, args.symbol)
    book = L2Book(inst.id)
    sync = BinanceBookSync(book)
    stats = _Stats()
    console = Console()
    started = time.monotonic()
    first_ts: int | None = None
    deadline = started + args.seconds if args.seconds else None

    def render() -> Group:
        return _render(book, inst, stats, sync, first_ts)

    live = None if args.headless else Live(render(), console=console, refresh_per_second=10)
    if live is not None:
        live.start()
    last_print = started
    try:
        for ev in BinanceCaptureReader(path, inst):
            if first_ts is None:
                first_ts = ev.ts_exchange
            # pace the replay on exchange time
            lag = (ev.ts_exchange - first_ts) / 1e9 / args.speed - (time.monotonic() - started)
            if lag > 0:
                time.sleep(lag)
            if deadline is not None and time.monotonic() >= deadline:
                break
            if isinstance(ev, BookSnapshot):
                sync.on_snapshot(ev)
            elif isinstance(ev, BookDelta):
                sync.on_delta(ev)
                stats.diffs += 1
                stats.levels += len(ev.bids) + len(ev.asks)
            elif isinstance(ev, Trade):
                stats.trades += 1
                stats.volume += ev.size
                stats.buys += ev.aggressor is Side.BUY
                stats.last_trades = [ev, *stats.last_trades[:7]]
            elif isinstance(ev, TopOfBook):
                stats.tickers += 1
            now = time.monotonic()
            if live is not None and now - last_print >= 0.1:
                live.update(render())
                last_print = now
            elif live is None and now - last_print >= 1.0:
                print(_progress_line(book, inst, stats, first_ts), file=sys.stderr, flush=True)
                last_print = now
    finally:
        if live is not None:
            live.update(render())
            live.stop()
    summary = _summary(book, inst, stats, sync, path, time.monotonic() - started)
    if args.headless:
        print(json.dumps(summary))
    else:
        console.print_json(data=summary)
    return 0


def _progress_line(book: L2Book, inst: Instrument, stats: _Stats, first_ts: int | None) -> str:
    bid, ask = book.best_bid, book.best_ask
    span = (book.ts_exchange - (first_ts or 0)) / 1e9 if book.ts_exchange else 0.0
    return (
        f"t+{span:6.1f}s  bid {inst.price_str(bid) if bid else '-'}  "
        f"ask {inst.price_str(ask) if ask else '-'}  diffs {stats.diffs}  trades {stats.trades}"
    )


def _render(
    book: L2Book, inst: Instrument, stats: _Stats, sync: BinanceBookSync, first_ts: int | None
) -> Group:
    info = Table.grid(padding=(0, 2))
    info.add_column(style="dim")
    info.add_column()
    span = (book.ts_exchange - (first_ts or 0)) / 1e9 if book.ts_exchange else 0.0
    imb = book.imbalance(20)
    info.add_row("exchange time", f"+{span:.1f} s")
    info.add_row("book", "resync pending" if book.needs_resync else f"in sync, seq {book.seq}")
    info.add_row("diffs applied", f"{sync.stats.applied:,} ({stats.levels:,} level updates)")
    info.add_row("gaps / dropped", f"{sync.stats.gaps} / {sync.stats.dropped_stale}")
    info.add_row("imbalance (20)", f"{imb:+.3f}" if imb is not None else "-")
    info.add_row("trades", f"{stats.trades:,} ({inst.size_str(stats.volume)} {inst.base})")
    for t in stats.last_trades:
        colour = "green" if t.aggressor is Side.BUY else "red"
        info.add_row(
            "", f"[{colour}]{inst.price_str(t.price)} × {inst.size_str(t.size)}[/{colour}]"
        )
    return Group(
        Panel(book_table(book, inst, depth=10), title=f"{inst.symbol} L2 book", expand=False),
        Panel(info, title="replay", expand=False),
    )


def _summary(
    book: L2Book,
    inst: Instrument,
    stats: _Stats,
    sync: BinanceBookSync,
    path: Path,
    wall_s: float,
) -> dict[str, object]:
    bid, ask = book.best_bid_level(), book.best_ask_level()
    return {
        "capture": str(path),
        "instrument": inst.id,
        "diffs_applied": sync.stats.applied,
        "level_updates": stats.levels,
        "dropped_before_bridge": sync.stats.dropped_stale,
        "gaps": sync.stats.gaps,
        "trades": stats.trades,
        "buy_aggressor_trades": stats.buys,
        "book_tickers": stats.tickers,
        "best_bid": inst.price_str(bid[0]) if bid else None,
        "best_ask": inst.price_str(ask[0]) if ask else None,
        "bid_levels": book.depth(BookSide.BID),
        "ask_levels": book.depth(BookSide.ASK),
        "wall_s": round(wall_s, 3),
    }
