"""The `falconet` command: subcommand registry, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from falconet import __version__
from falconet.cli import (
    backtest_cmd,
    config_cmd,
    data_cmd,
    demo_cmd,
    emulate_cmd,
    hl_cmd,
    journal_cmd,
    replay_cmd,
    run_cmd,
)
from falconet.core.errors import FalconetError
from falconet.observe.redact import redact

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    backtest_cmd.register,
    config_cmd.register,
    data_cmd.register,
    demo_cmd.register,
    emulate_cmd.register,
    hl_cmd.register,
    journal_cmd.register,
    replay_cmd.register,
    run_cmd.register,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="falconet",
        description="Algorithmic trading engine: live, paper and backtest with one strategy code.",
    )
    parser.add_argument("--version", action="version", version=f"falconet {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="print a full traceback on error (also: FALCONET_BACKTRACE=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def _want_traceback(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "debug", False) or os.environ.get("FALCONET_BACKTRACE"))


def _report(message: str) -> None:
    """Print an error: every line prefixed, secrets masked."""
    for line in redact(message).splitlines() or [""]:
        print(f"falconet: error: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        rc = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`falconet ... | head`): not an error of ours. Point stdout
        # at /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if _want_traceback(args):
            # Through redact like everything else: a traceback can quote a secret.
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        elif isinstance(exc, FalconetError):
            _report(str(exc))
        else:
            _report(
                f"internal error: {type(exc).__name__}: {exc} "
                "(run with --debug or FALCONET_BACKTRACE=1 for the traceback)"
            )
        return EXIT_ERROR
    return int(rc or EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
