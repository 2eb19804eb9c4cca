"""Human console format.

    14:02:07.315 INFO  grid                 placed buy symbol=BTC/USD px=61800.2
                                          ┆ second line of a multi-line message

Columns: local time with milliseconds, the level (5 wide), the section (20 wide), then
the message and its fields as `key=value`. Continuation lines (multi-line messages,
wrapped text, tracebacks) start with a `┆` gutter so the text stays in its column.
Colours only add ANSI codes around columns: without them the layout is identical.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import time
import zlib
from typing import TextIO

from falconet.observe.levels import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    WARNING,
    level_label,
    standard_level,
)
from falconet.observe.line import FieldValue, LogLine
from falconet.observe.redact import redact

SECTION_WIDTH = 20
MESSAGE_COLUMN = 12 + 1 + 5 + 1 + SECTION_WIDTH + 1  # time, level, section, separators
GUTTER = "┆"
MIN_TEXT_WIDTH = 20
DEFAULT_WIDTH = 200

RESET = "\x1b[0m"
TIME_STYLE = "\x1b[90m"  # grey
GUTTER_STYLE = "\x1b[2m"  # dim
LEVEL_STYLES: dict[int, str] = {
    DEBUG: "\x1b[2;36m",  # dim cyan
    INFO: "\x1b[32m",  # green
    WARNING: "\x1b[33m",  # yellow
    ERROR: "\x1b[31m",  # red
    CRITICAL: "\x1b[1;37;41m",  # bold white on red
}
# 256-colour blues, purples, pinks and browns: nothing a reader could take for a
# severity colour (cyan, green, yellow, red).
SECTION_PALETTE: tuple[str, ...] = tuple(
    f"\x1b[38;5;{n}m" for n in (63, 67, 99, 105, 111, 135, 137, 139, 171, 173, 212)
)
# The engine's main sections get colours of their own, outside the palette, so no other
# section can share them.
FIXED_SECTION_STYLES: dict[str, str] = {
    "engine": "\x1b[38;5;33m",
    "oms": "\x1b[38;5;141m",
    "risk": "\x1b[38;5;176m",
    "config": "\x1b[38;5;147m",
    "sim": "\x1b[38;5;180m",
}

# Control characters from venue payloads must not drive the terminal (ESC sequences
# could rewrite earlier lines); they are shown escaped instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape_control(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


_NEEDS_QUOTES = re.compile(r'[\s"=\\]|^$')


def section_style(section: str) -> str:
    """ANSI colour of a section: fixed for the main ones, a stable hash for the rest
    (crc32, not hash(), which changes between runs). Sub-sections (`kraken.feed`) take
    the colour of their top-level section."""
    top = section.partition(".")[0]
    fixed = FIXED_SECTION_STYLES.get(top)
    if fixed is not None:
        return fixed
    return SECTION_PALETTE[zlib.crc32(top.encode()) % len(SECTION_PALETTE)]


def render_value(value: FieldValue) -> str:
    """A field value as it appears after `key=`: quoted only when it would be ambiguous."""
    text = str(value)
    if isinstance(value, str) and _NEEDS_QUOTES.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


def wants_color(stream: TextIO) -> bool:
    """Colour by default only on a terminal, and never under NO_COLOR or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def auto_width(stream: TextIO) -> int:
    """Terminal width, else the COLUMNS variable, else 200."""
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        pass
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    return columns if columns > 0 else DEFAULT_WIDTH


class ConsoleFormatter:
    """Renders a LogLine as one or more terminal lines (ending with a newline)."""

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        """`width` is the full line width to wrap at; None or 0 means never wrap."""
        self.color = color
        self.width = width or 0
        self._wrapper: textwrap.TextWrapper | None = None
        if self.width:
            self._wrapper = textwrap.TextWrapper(
                width=max(self.width - MESSAGE_COLUMN, MIN_TEXT_WIDTH),
                break_long_words=True,
                break_on_hyphens=False,
                tabsize=4,
            )
        self._clock_second = -1
        self._clock_text = ""
        self._columns: dict[tuple[int, str], str] = {}
        pad = " " * (MESSAGE_COLUMN - 2)
        self._gutter = f"{pad}{GUTTER_STYLE}{GUTTER}{RESET} " if color else f"{pad}{GUTTER} "

    def format(self, line: LogLine) -> str:
        head = self._head(line)
        body = self._body_lines(line)
        out = [head + body[0]]
        if len(body) > 1:
            out.extend(self._gutter + text for text in body[1:])
        out.append("")
        # The body was redacted before wrapping; this pass covers the line as written.
        return redact("\n".join(out))

    def _head(self, line: LogLine) -> str:
        second, ns = divmod(line.ts_ns, 1_000_000_000)
        if second != self._clock_second:
            # Cached per second: strftime is the costly part of the timestamp.
            self._clock_second = second
            clock = time.strftime("%H:%M:%S", time.localtime(second))
            self._clock_text = f"{TIME_STYLE}{clock}" if self.color else clock
        columns = self._columns.get((line.level, line.section))
        if columns is None:
            columns = self._level_and_section(line.level, line.section)
            self._columns[(line.level, line.section)] = columns
        return f"{self._clock_text}.{ns // 1_000_000:03d}{columns}"

    def _level_and_section(self, level: int, section: str) -> str:
        """Everything after the milliseconds, up to the message: the same for every line
        of a (level, section) pair, so it is built once."""
        label = level_label(level)
        text = section if len(section) <= SECTION_WIDTH else section[: SECTION_WIDTH - 1] + "…"
        text = text.ljust(SECTION_WIDTH)
        if not self.color:
            return f" {label} {text} "
        level_style = LEVEL_STYLES[standard_level(level)]
        return f"{RESET} {level_style}{label}{RESET} {section_style(section)}{text}{RESET} "

    def _body_lines(self, line: LogLine) -> list[str]:
        # Each part is redacted before quoting could escape a secret's characters, and the
        # whole again before wrapping could split one across two lines.
        logical = redact(line.msg).splitlines() or [""]
        if line.fields:
            pairs = " ".join(
                f"{redact(k)}={render_value(redact(v) if isinstance(v, str) else v)}"
                for k, v in line.fields
            )
            logical[0] = f"{logical[0]} {pairs}" if logical[0] else pairs
        if line.traceback:
            logical.extend(redact(line.traceback).splitlines())
        text = _CONTROL.sub(_escape_control, redact("\n".join(logical)))
        wrapper = self._wrapper
        if wrapper is None:
            return text.split("\n")
        out: list[str] = []
        for part in text.split("\n"):
            if len(part) <= wrapper.width:
                out.append(part)
            else:
                out.extend(wrapper.wrap(part) or [""])
        return out
