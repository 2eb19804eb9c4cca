"""`falconet data simulate`: a simulated L2 market written as a `falconet.l2/1` event file.

The simulator (`falconet.sim.market`, numba) is imported when the command runs, so the rest
of the CLI starts without compiling or loading it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from falconet.core.errors import FalconetError
from falconet.data.convert.report import describe, kinds_text, span_text
from falconet.data.format import EventKind, EventTable, write_events

EXIT_OK = 0


class SimulateUsageError(FalconetError):
    """A `falconet data simulate` option that cannot be used; the message names it."""


# option -> (MarketParams field, parser of the option's text, metavar, help)
OPTIONS: dict[str, tuple[str, Callable[[str], Any], str, str]] = {
    "--seconds": ("duration_s", float, "N", "exchange time to simulate, in seconds (default 3600)"),
    "--seed": ("seed", int, "S", "random seed: the same seed gives the same file (default 1)"),
    "--volatility": (
        "volatility", float, "V", "annualised volatility, 365.25-day year (default 0.8)",
    ),
    "--levels": ("levels", int, "N", "price levels per side (default 20)"),
    "--symbol": ("symbol", str, "S", "instrument symbol (default SIM-PERP)"),
    "--tick": ("tick", str, "T", "price increment, decimal text (default 0.01)"),
    "--lot": ("lot", str, "L", "size increment, decimal text (default 1)"),
    "--start-price": (
        "start_price", str, "P", "opening best bid, a multiple of the tick (default 100.00)",
    ),
}  # fmt: skip


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser(
        "simulate",
        help="write a simulated L2 market (no data file needed)",
        description=(
            "Simulate a liquid market (a book of LEVELS price levels per side tracking a "
            "random-walk price through Poisson limit, cancel and market orders) and write "
            "it as one falconet.l2/1 Parquet file. Example: falconet data simulate --out "
            "sim.parquet --seconds 600 --seed 7"
        ),
    )
    sim.add_argument("--out", required=True, metavar="FILE.parquet", type=Path)
    for flag, (_, _, metavar, help_text) in OPTIONS.items():
        sim.add_argument(flag, metavar=metavar, help=help_text)
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=run_simulate)


def _params_from(args: argparse.Namespace) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for flag, (field, parse, _, _) in OPTIONS.items():
        text = getattr(args, flag[2:].replace("-", "_"))
        if text is None:
            continue
        try:
            given[field] = parse(text)
        except ValueError:
            kind = "an integer" if parse is int else "a number"
            raise SimulateUsageError(f"{flag} {text!r}: expected {kind}") from None
    return given


def run_simulate(args: argparse.Namespace) -> int:
    from falconet.sim.market import MarketParams, MarketParamsError, generate  # noqa: PLC0415

    if args.out.suffix != ".parquet":
        raise SimulateUsageError(f"--out {args.out}: the output is a .parquet file")
    if not args.out.parent.is_dir():
        raise SimulateUsageError(f"--out {args.out}: no such directory {args.out.parent}")
    try:
        params = MarketParams(**_params_from(args))
    except MarketParamsError as exc:
        flag = next((f for f, spec in OPTIONS.items() if spec[0] == exc.param), exc.param)
        raise SimulateUsageError(f"{flag} {exc.value}: {exc.reason}") from None
    t0 = time.perf_counter()
    if args.quiet or not sys.stderr.isatty():
        table = generate(params)
    else:
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}% of exchange time"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("simulate", total=1.0)
            table = generate(params, progress=lambda done: bar.update(task, completed=done))
    t1 = time.perf_counter()
    write_events(args.out, table)
    print(summary(table, str(args.out), t1 - t0, time.perf_counter() - t1))
    return EXIT_OK


def summary(table: EventTable, out: str, gen_s: float, write_s: float) -> str:
    """One paragraph: what the file holds and how the market behaved."""
    facts = describe(table)
    inst = table.instrument
    stats = table.stats
    params, events = stats["params"], stats["events"]
    traded = table.price[table.kind == EventKind.TRADE]
    trades = (
        f"trades {inst.price_str(int(traded.min()))} – {inst.price_str(int(traded.max()))}"
        if traded.size
        else "no trades"
    )
    megabytes = Path(out).stat().st_size / 1e6
    return (
        f"Wrote {out}: {facts.rows:,} rows ({megabytes:.1f} MB) for {facts.instrument}. "
        f"Rows: {kinds_text(facts.per_kind)}. Exchange time {span_text(facts)}. "
        f"Prices {facts.price_low} – {facts.price_high} ({trades}). "
        f"Events: {events['limit']:,} limit ({events['limit_behind_view']:,} behind the "
        f"visible depth), {events['cancel']:,} cancel, {events['market']:,} market orders; "
        f"{stats['messages']:,} messages. Seed {params['seed']}, volatility "
        f"{params['volatility']:g}, {params['levels']} levels per side; simulated in "
        f"{gen_s:.2f} s, written in {write_s:.2f} s."
    )
