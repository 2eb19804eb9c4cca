"""`LogLine`: a log record reduced to immutable values, ready for any output format.

The reduction runs on the thread that logged: `%` arguments and field values may be
mutable objects (an order book) that the caller keeps changing, so they are turned into
text before the record crosses to the writer thread.
"""

from __future__ import annotations

import logging
import math
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import NamedTuple

FieldValue = str | int | float | bool | None


class LogLine(NamedTuple):
    """Immutable; a NamedTuple because it is built once per record on the caller's
    thread, and a frozen dataclass costs several times more to construct."""

    ts_ns: int  # wall clock, ns since the Unix epoch
    level: int
    section: str
    msg: str
    fields: tuple[tuple[str, FieldValue], ...] = ()
    exc_type: str | None = None
    traceback: str | None = None


def field_value(value: object) -> FieldValue:
    """Keep JSON-native scalars, render everything else (Decimal, enums, ids) as text."""
    # Exact type tests: fast, and enum members (str or int subclasses) go through str().
    if value is None or type(value) is str or type(value) is int or type(value) is bool:
        return value
    if type(value) is float:
        # NaN and infinities are not valid JSON numbers.
        return value if math.isfinite(value) else str(value)
    try:
        return str(value)
    except Exception as exc:
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


SysExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def format_message(msg: object, args: tuple[object, ...] | Mapping[str, object]) -> str:
    """`msg % args` as the stdlib applies it (no arguments: no formatting, so "50%" is
    safe); a bad format is reported in the text instead of raising in the caller."""
    text = str(msg)
    if not args:
        return text
    if type(args) is tuple and len(args) == 1 and isinstance(args[0], dict) and args[0]:
        args = args[0]  # the stdlib's convention for %(key)s formats
    try:
        return text % args
    except Exception as exc:
        return f"{text} [arguments not formatted: {type(exc).__name__}: {exc}]"


def _fields(raw: Mapping[str, object]) -> tuple[tuple[str, FieldValue], ...]:
    return tuple([(str(k), field_value(v)) for k, v in raw.items()])


def _traceback(exc_info: SysExcInfo | None) -> tuple[str | None, str | None]:
    if exc_info is None:
        return None, None
    text = "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    return exc_info[0].__name__, text


def make_line(
    ts_ns: int,
    level: int,
    section: str,
    msg: str,
    args: tuple[object, ...],
    fields: Mapping[str, object],
    exc_info: SysExcInfo | None,
) -> LogLine:
    """A falconet logger's call, reduced."""
    exc_type, tb = _traceback(exc_info)
    return LogLine(ts_ns, level, section, format_message(msg, args), _fields(fields), exc_type, tb)


def line_from_record(record: logging.LogRecord, section: str) -> LogLine:
    """A stdlib record (from a library, or code using `logging` directly), reduced."""
    exc_info = record.exc_info
    exc_type, tb = _traceback(exc_info if exc_info and exc_info[0] is not None else None)
    if record.stack_info:
        tb = f"{tb}\n{record.stack_info}" if tb else record.stack_info
    return LogLine(
        int(record.created * 1_000_000_000),
        record.levelno,
        section,
        format_message(record.msg, record.args or ()),
        (),
        exc_type,
        tb,
    )
