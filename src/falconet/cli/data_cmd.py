"""`falconet data convert` / `falconet data info`: market data to and from the canonical
event format (`falconet.l2/1`, see docs/data-format.md)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from falconet.cli import simulate_cmd
from falconet.core.errors import PrecisionError
from falconet.core.fixed import parse_scaled
from falconet.data.convert import CONVERTERS, ConvertError, ConvertOptions, convert
from falconet.data.convert.common import NoProgress, ProgressSink
from falconet.data.convert.report import describe, info_lines, paragraph
from falconet.data.format import EventFormatError, read_events, write_events

EXIT_OK = 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = sub.add_parser(
        "data",
        help="convert and inspect market data",
        description="Convert recorded market data to falconet's event format and inspect it.",
    )
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    conv = commands.add_parser(
        "convert",
        help="convert source files of one instrument into one event file",
        description=(
            "Convert SRC files (of one instrument, read in the order given) into one "
            "falconet.l2/1 Parquet file and print what it holds. Example: falconet data "
            "convert usdm_btcusdt_20240718.gz usdm_btcusdt_20240719.gz --format binance "
            "--out btcusdt.parquet"
        ),
    )
    conv.add_argument("sources", nargs="+", metavar="SRC", help="source files")
    conv.add_argument("--format", required=True, choices=list(CONVERTERS), dest="source_format")
    conv.add_argument("--out", required=True, metavar="FILE.parquet", type=Path)
    conv.add_argument("--symbol", help="instrument symbol (default: from the source)")
    conv.add_argument("--tick", help="price increment, decimal text (default: known or source)")
    conv.add_argument("--lot", help="size increment, decimal text (default: known or source)")
    conv.add_argument(
        "--market", choices=["spot", "usdm", "cm"], help="Binance market (default: inferred)"
    )
    conv.add_argument(
        "--base-latency",
        metavar="MS",
        default="0",
        help="added to the local-clock shift, in milliseconds (default 0)",
    )
    conv.add_argument(
        "--no-local-correction",
        action="store_true",
        help="keep the recorder's ts_local as recorded, even where it precedes ts_exchange",
    )
    conv.add_argument("--quiet", action="store_true", help="no progress bar")
    conv.set_defaults(func=run_convert)

    info = commands.add_parser(
        "info",
        help="describe an event file",
        description="Print the instrument, time span, rows per kind, prices, feed latency, "
        "gaps and conversion notes of FILE (a falconet.l2/1 file or the synthetic stream).",
    )
    info.add_argument("file", metavar="FILE", type=Path)
    info.set_defaults(func=run_info)
    simulate_cmd.register(commands)


class _Bar:
    """Progress on stderr while a conversion runs (a terminal only)."""

    def __init__(self, label: str) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._label = label
        self._task: TaskID | None = None

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, total: int | None, unit: str) -> None:
        self._task = self._progress.add_task(self._label, total=total, unit=unit)

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


def _options(args: argparse.Namespace) -> ConvertOptions:
    try:
        base_latency_ns = parse_scaled(args.base_latency, 6)
    except PrecisionError:
        raise ConvertError(
            f"--base-latency {args.base_latency!r}: expected milliseconds with at most 6 decimals"
        ) from None
    if base_latency_ns < 0:
        raise ConvertError("--base-latency must not be negative")
    for flag, text in (("--tick", args.tick), ("--lot", args.lot)):
        if text is not None and not _positive_decimal(text):
            raise ConvertError(f"{flag} {text!r}: expected a positive decimal such as 0.01")
    return ConvertOptions(
        symbol=args.symbol,
        tick=args.tick,
        lot=args.lot,
        market=args.market,
        base_latency_ns=base_latency_ns,
        correct_local=not args.no_local_correction,
    )


def _positive_decimal(text: str) -> bool:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    return value.is_finite() and value > 0


def run_convert(args: argparse.Namespace) -> int:
    options = _options(args)
    if args.market and args.source_format != "binance":
        raise ConvertError("--market applies to --format binance only")
    if args.out.suffix != ".parquet":
        raise ConvertError(f"--out {args.out}: the output is a .parquet file")
    if not args.out.parent.is_dir():
        raise ConvertError(f"--out {args.out}: no such directory {args.out.parent}")
    label = f"{args.source_format}: {Path(args.sources[0]).name}"
    if args.quiet or not sys.stderr.isatty():
        table = convert(args.source_format, args.sources, options, NoProgress())
    else:
        with _Bar(label) as bar:
            sink: ProgressSink = bar
            table = convert(args.source_format, args.sources, options, sink)
    try:
        write_events(args.out, table, allow_negative_latency=not options.correct_local)
    except EventFormatError as exc:
        raise EventFormatError(f"cannot write {args.out}: {exc}") from None
    print(paragraph(describe(table), str(args.out)))
    return EXIT_OK


def run_info(args: argparse.Namespace) -> int:
    facts = describe(read_events(args.file))
    lines = info_lines(facts)
    width = max(len(label) for label, _ in lines)
    print(f"{args.file}")
    for label, text in lines:
        print(f"  {label.ljust(width)}  {text}")
    return EXIT_OK
