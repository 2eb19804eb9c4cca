"""The human console format: columns, colours, the gutter, wrapping."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from falconet.observe.console import (
    LEVEL_STYLES,
    RESET,
    SECTION_PALETTE,
    TIME_STYLE,
    ConsoleFormatter,
    section_style,
)
from falconet.observe.levels import CRITICAL, DEBUG, ERROR, INFO, WARNING
from falconet.observe.line import LogLine
from falconet.observe.log import get_logger

from .helpers import ANSI, Console

# 2025-06-01 14:02:07.315482113 UTC
TS_NS = 1_748_786_527_315_482_113
GUTTER = " " * 38 + "┆ "


def clock(ts_ns: int = TS_NS) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts_ns // 1_000_000_000)) + ".315"


def test_plain_layout_has_fixed_columns() -> None:
    line = LogLine(TS_NS, INFO, "grid", "placed buy", (("symbol", "BTC/USD"), ("px", "61800.2")))
    text = ConsoleFormatter().format(line)
    assert text == f"{clock()} INFO  grid                 placed buy symbol=BTC/USD px=61800.2\n"
    assert text.index("grid") == 19
    assert text.index("placed") == 40


@pytest.mark.parametrize(
    ("level", "label"),
    [(DEBUG, "DEBUG"), (INFO, "INFO "), (WARNING, "WARN "), (ERROR, "ERROR"), (CRITICAL, "CRIT ")],
)
def test_every_level_keeps_the_columns(level: int, label: str) -> None:
    text = ConsoleFormatter().format(LogLine(TS_NS, level, "hyperliquid", "m"))
    assert text == f"{clock()} {label} {'hyperliquid':<20} m\n"


def test_long_section_is_cut_to_its_column() -> None:
    text = ConsoleFormatter().format(LogLine(TS_NS, INFO, "a" * 30, "m"))
    assert text[19:40] == "a" * 19 + "… "
    assert text[40:] == "m\n"


def test_coloured_layout_only_adds_ansi_codes() -> None:
    line = LogLine(TS_NS, WARNING, "oms", "slow ack\nsecond line", (("ms", 812),))
    plain = ConsoleFormatter(color=False).format(line)
    coloured = ConsoleFormatter(color=True).format(line)
    assert coloured != plain
    assert ANSI.sub("", coloured) == plain
    head = coloured.split("\n")[0]
    assert head == (
        f"{TIME_STYLE}{clock()}{RESET} {LEVEL_STYLES[WARNING]}WARN {RESET} "
        f"{section_style('oms')}{'oms':<20}{RESET} slow ack ms=812"
    )


def test_level_colours() -> None:
    assert LEVEL_STYLES[DEBUG] == "\x1b[2;36m"  # dim cyan
    assert LEVEL_STYLES[INFO] == "\x1b[32m"  # green
    assert LEVEL_STYLES[WARNING] == "\x1b[33m"  # yellow
    assert LEVEL_STYLES[ERROR] == "\x1b[31m"  # red
    assert LEVEL_STYLES[CRITICAL] == "\x1b[1;37;41m"  # bold white on red
    text = ConsoleFormatter(color=True).format(LogLine(TS_NS, CRITICAL, "risk", "halt"))
    assert "\x1b[1;37;41mCRIT \x1b[0m" in text


def test_section_colours_avoid_severity_colours_and_sub_sections_share_them() -> None:
    severity = {"\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[2;36m"}
    sections = ["grid", "book", "hyperliquid", "kraken", "lighter", "oms", "risk", "engine"]
    for section in sections:
        assert section_style(section) not in severity
    assert section_style("kraken.feed") == section_style("kraken")
    assert len({section_style(s) for s in SECTION_PALETTE}) >= 1


def test_section_colour_is_the_same_in_every_process() -> None:
    # hash() of a str changes between runs; the colour must not.
    code = "from falconet.observe.console import section_style as s; print(repr(s('book')))"
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        seen.add(result.stdout)
    assert len(seen) == 1


def test_multi_line_message_continues_under_the_gutter() -> None:
    out = Console()
    get_logger("book").info("snapshot\nbids 1\nasks 2", symbol="ETH/USD")
    assert out.lines()[1:] == [GUTTER + "bids 1", GUTTER + "asks 2"]
    assert out.lines()[0].endswith(" snapshot symbol=ETH/USD")


def test_exception_traceback_continues_under_the_gutter() -> None:
    out = Console()
    try:
        raise RuntimeError("venue said no")
    except RuntimeError:
        get_logger("oms").exception("order failed", cloid="c-1")
    lines = out.lines()
    assert lines[0][40:] == "order failed cloid=c-1"
    assert lines[1] == GUTTER + "Traceback (most recent call last):"
    assert lines[-1] == GUTTER + "RuntimeError: venue said no"
    assert all(line.startswith(GUTTER) for line in lines[1:])


def test_long_text_wraps_at_the_width_under_the_gutter() -> None:
    words = [f"word{i}" for i in range(30)]
    out = Console(width=70)
    get_logger("grid").info(" ".join(words))
    lines = out.lines()
    assert len(lines) > 3
    assert all(len(line) <= 70 for line in lines)
    assert all(line.startswith(GUTTER) for line in lines[1:])
    rejoined = " ".join([lines[0][40:]] + [line[40:] for line in lines[1:]])
    assert rejoined.split() == words


def test_width_zero_never_wraps() -> None:
    out = Console(width=0)
    get_logger("grid").info("x" * 500)
    assert len(out.lines()) == 1


def test_width_defaults_to_columns_then_200_off_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    out = Console(width=None)
    get_logger("grid").info("y " * 100)
    assert max(len(line) for line in out.lines()) <= 90
    monkeypatch.delenv("COLUMNS")
    out = Console(width=None)
    get_logger("grid").info("y " * 200)
    assert 190 < max(len(line) for line in out.lines()) <= 200


def test_field_values_are_quoted_only_when_ambiguous() -> None:
    out = Console()
    get_logger("grid").info(
        "f", px=Decimal("61800.2"), n=3, ok=True, note="two words", empty="", q='a"b', none=None
    )
    assert out.messages() == [
        'f px=61800.2 n=3 ok=True note="two words" empty="" q="a\\"b" none=None'
    ]


def test_control_characters_cannot_reach_the_terminal() -> None:
    out = Console()
    get_logger("kraken").warning("bad frame \x1b[2J\x07\x9b", raw="\x1b]0;x")
    text = out.text()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x9b" not in text
    assert "bad frame \\x1b[2J\\x07\\x9b" in text


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_is_automatic_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from falconet.observe.log import configure, flush

    tty = FakeTty()
    configure(stream=tty, width=0)
    get_logger("grid").info("hello")
    flush()
    assert "\x1b[32mINFO " in tty.getvalue()


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_dumb_terminals_get_no_colour(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    from falconet.observe.log import configure, flush

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tty = FakeTty()
    configure(stream=tty, width=0)
    get_logger("grid").info("hello")
    flush()
    assert "\x1b" not in tty.getvalue()
    assert tty.getvalue()[13:] == "INFO  grid                 hello\n"


def test_non_terminal_gets_no_colour_and_color_true_forces_it() -> None:
    plain = Console(color=None)
    get_logger("grid").info("hello")
    assert "\x1b" not in plain.text()
    forced = Console(color=True)
    get_logger("grid").info("hello")
    assert "\x1b[32m" in forced.text()
