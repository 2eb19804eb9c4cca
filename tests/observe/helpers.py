"""Shared test helpers: capture the console in a buffer and pick lines apart."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from falconet.observe.log import configure, flush

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MESSAGE_COLUMN = 40


class Console:
    """configure() with the console going to a buffer, read back after a flush.

    No colour and no wrapping unless asked; other configure() arguments pass through."""

    def __init__(self, **kwargs: Any) -> None:
        self.stream = io.StringIO()
        kwargs.setdefault("color", False)
        kwargs.setdefault("width", 0)
        configure(stream=self.stream, **kwargs)

    def text(self) -> str:
        flush()
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def messages(self) -> list[str]:
        """The message column of each record's first line."""
        return [line[MESSAGE_COLUMN:] for line in self.lines() if not line.startswith(" ")]

    def sections(self) -> list[str]:
        return [line[19:39].rstrip() for line in self.lines() if not line.startswith(" ")]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
