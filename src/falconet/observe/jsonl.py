"""JSON-lines format: one object per line, for tools rather than people.

    {"ts":"2025-06-01T14:02:07.315Z","ts_ns":1748786527315482113,"level":"info",
     "section":"grid","msg":"placed buy","symbol":"BTC/USD","px":"61800.2"}

(one line in the file). Fields become top-level keys; a field whose name collides with one
of the keys above gets a trailing underscore. An exception adds `exc_type` and
`traceback`.
"""

from __future__ import annotations

import json
import time

import msgspec

from falconet.observe.levels import level_name
from falconet.observe.line import FieldValue, LogLine
from falconet.observe.redact import redact

RESERVED_KEYS = frozenset({"ts", "ts_ns", "level", "section", "msg", "exc_type", "traceback"})
# Valid inside JSON strings, but Python's str.splitlines() and some editors break lines
# there: escaped so that one record is one line for every reader.
_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}
_encoder = msgspec.json.Encoder()


class JsonLinesFormatter:
    """Renders a LogLine as one JSON object followed by a newline."""

    def __init__(self) -> None:
        self._utc_second = -1
        self._utc_text = ""

    def format(self, line: LogLine) -> str:
        second, ns = divmod(line.ts_ns, 1_000_000_000)
        if second != self._utc_second:
            self._utc_second = second
            self._utc_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        obj: dict[str, FieldValue] = {
            "ts": f"{self._utc_text}.{ns // 1_000_000:03d}Z",
            "ts_ns": line.ts_ns,
            "level": level_name(line.level),
            "section": line.section,
            "msg": redact(line.msg),
        }
        for key, value in line.fields:
            name = redact(key)
            if name in RESERVED_KEYS:
                name += "_"
            obj[name] = redact(value) if isinstance(value, str) else value
        if line.traceback is not None:
            obj["exc_type"] = line.exc_type
            obj["traceback"] = redact(line.traceback)
        # Values are redacted one by one above, before JSON escaping could hide a secret;
        # the final pass covers the line as written.
        return redact(_encode(obj)) + "\n"


def _encode(obj: dict[str, FieldValue]) -> str:
    try:
        text = _encoder.encode(obj).decode()
    except UnicodeEncodeError:
        # Lone surrogates (undecodable bytes from a venue): the stdlib escapes them.
        return json.dumps(obj, separators=(",", ":"))
    for char, escaped in _LINE_BREAKS.items():
        if char in text:
            text = text.replace(char, escaped)
    return text
