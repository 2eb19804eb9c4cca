"""`falconet journal`: the fills in the trade journal and realized PnL per asset."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from falconet.config.environment import load_env_settings
from falconet.state.journal_queries import FillRow, JournalReader
from falconet.state.paths import data_dir_from_settings, journal_path
from falconet.state.pnl import AssetPnl

EXIT_OK = 0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MONEY_DECIMALS = 8  # shown for PnL, fees and average cost (the journal keeps them exact)

FILL_COLUMNS = ("time", "venue", "symbol", "side", "price", "size", "fee")
PNL_COLUMNS = (
    "venue",
    "symbol",
    "fills",
    "bought",
    "sold",
    "fees",
    "realized",
    "position",
    "avg cost",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "journal",
        help="show recorded fills and realized PnL",
        description=(
            "Print the fills recorded in the trade journal (time, venue, symbol, side, "
            "price, size, fee) and the realized PnL per asset (average-cost method, in "
            "the quote currency, fees included). The journal is only read."
        ),
    )
    p.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="journal file (default: $FALCONET_DATA_DIR/journal.sqlite3, else "
        "var/falconet/journal.sqlite3)",
    )
    p.add_argument("--symbol", metavar="S", help="only this symbol, e.g. HYPE/USDC")
    p.add_argument(
        "--since",
        type=parse_since,
        metavar="ISO",
        help="only fills at or after this time (ISO-8601; UTC unless it says otherwise); "
        "positions still count every earlier fill",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=run)


def parse_since(text: str) -> int:
    """ISO-8601 date or time → ns since the epoch; naive times are UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO-8601 time such as 2026-07-09T12:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def run(args: argparse.Namespace) -> int:
    # the same folder `falconet run` uses: FALCONET_DATA_DIR from the environment or .env
    path = (
        args.db
        if args.db is not None
        else journal_path(data_dir_from_settings(load_env_settings()))
    )
    with JournalReader(path) as journal:
        fills = journal.fills(symbol=args.symbol, since_ns=args.since)
        pnl = journal.realized_pnl(symbol=args.symbol, since_ns=args.since)
    if args.json:
        print(json.dumps(to_json(path, fills, pnl), indent=2))
    elif sys.stdout.isatty():
        render_rich(Console(), path, fills, pnl)
    else:
        render_text(sys.stdout, path, fills, pnl)
    return EXIT_OK


# --- formatting --------------------------------------------------------------------------


def iso_time(ts_ns: int) -> str:
    moment = datetime.fromtimestamp(ts_ns // 1_000_000_000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ts_ns // 1_000_000 % 1000:03d}Z"


def plain(value: Decimal | None, decimals: int | None = None) -> str:
    """Decimal as plain text (no exponent, no trailing zeros), rounded if asked."""
    if value is None:
        return "-"
    if decimals is not None:
        value = value.quantize(Decimal(1).scaleb(-decimals))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fill_cells(fill: FillRow) -> list[str]:
    fee = plain(fill.fee)
    if fill.fee_currency:
        fee = f"{fee} {fill.fee_currency}"
    return [
        iso_time(fill.ts_ns),
        fill.venue,
        fill.symbol,
        fill.side.value,
        plain(fill.price),
        plain(fill.size),
        fee,
    ]


def pnl_cells(row: AssetPnl) -> list[str]:
    return [
        row.venue,
        row.symbol,
        str(row.fills),
        plain(row.bought),
        plain(row.sold),
        plain(row.fees, MONEY_DECIMALS),
        plain(row.realized, MONEY_DECIMALS),
        plain(row.position),
        plain(row.avg_cost, MONEY_DECIMALS),
    ]


def to_json(path: Path, fills: list[FillRow], pnl: list[AssetPnl]) -> dict[str, Any]:
    """Decimals as exact strings, times as ns and ISO text."""
    return {
        "journal": str(path),
        "fills": [
            {
                "ts_ns": f.ts_ns,
                "time": iso_time(f.ts_ns),
                "venue": f.venue,
                "symbol": f.symbol,
                "strategy": f.strategy,
                "side": f.side.value,
                "price": plain(f.price),
                "size": plain(f.size),
                "fee": plain(f.fee),
                "fee_currency": f.fee_currency,
                "liquidity": f.liquidity,
                "trade_id": f.trade_id,
                "client_id": f.client_id,
                "venue_order_id": f.venue_order_id,
            }
            for f in fills
        ],
        "pnl": [
            {
                "venue": p.venue,
                "symbol": p.symbol,
                "fills": p.fills,
                "bought": plain(p.bought),
                "sold": plain(p.sold),
                "fees": plain(p.fees),
                "realized": plain(p.realized),
                "position": plain(p.position),
                "avg_cost": None if p.avg_cost is None else plain(p.avg_cost),
            }
            for p in pnl
        ],
    }


def _columns(out: TextIO, header: tuple[str, ...], rows: list[list[str]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    for cells in [list(header), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)


def render_text(out: TextIO, path: Path, fills: list[FillRow], pnl: list[AssetPnl]) -> None:
    print(f"{path}: {len(fills)} fill{'s' if len(fills) != 1 else ''}", file=out)
    if fills:
        print(file=out)
        _columns(out, FILL_COLUMNS, [fill_cells(f) for f in fills])
    print(file=out)
    print("realized PnL per asset (average cost, quote currency, fees included)", file=out)
    if pnl:
        _columns(out, PNL_COLUMNS, [pnl_cells(p) for p in pnl])
    else:
        print("no fills", file=out)


def render_rich(console: Console, path: Path, fills: list[FillRow], pnl: list[AssetPnl]) -> None:
    numeric = {
        "price",
        "size",
        "fee",
        "fills",
        "bought",
        "sold",
        "fees",
        "realized",
        "position",
        "avg cost",
    }
    fill_table = Table(title="fills", title_justify="left")
    for name in FILL_COLUMNS:
        fill_table.add_column(name, justify="right" if name in numeric else "left")
    for fill in fills:
        cells = fill_cells(fill)
        color = "green" if fill.side.value == "buy" else "red"
        cells[3] = f"[{color}]{cells[3]}[/{color}]"
        fill_table.add_row(*cells)
    pnl_table = Table(title="realized PnL per asset", title_justify="left")
    for name in PNL_COLUMNS:
        pnl_table.add_column(name, justify="right" if name in numeric else "left")
    for row in pnl:
        cells = pnl_cells(row)
        color = "green" if row.realized > 0 else "red" if row.realized < 0 else "white"
        cells[6] = f"[{color}]{cells[6]}[/{color}]"
        pnl_table.add_row(*cells)
    console.print(
        f"{path}: {len(fills)} fill{'s' if len(fills) != 1 else ''}", markup=False, highlight=False
    )
    if fills:
        console.print(fill_table)
    console.print(pnl_table)
    console.print("average cost method, quote currency, fees included", style="dim")
