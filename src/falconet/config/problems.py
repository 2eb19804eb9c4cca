"""Collecting config problems and reporting them as one line each.

Every line reads `<file>: <path>: <reason>`, e.g.
`config.json: trading[2].grid_interval: expected a number ...`, so a user can find the
field without reading a traceback. Validation keeps going after the first problem so that
one run reports everything that is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from falconet.core.errors import ConfigError
from falconet.observe.redact import redact

PathPart = str | int
# More lines than this bury the first (usually root) cause; the rest is counted.
MAX_REPORTED = 50


def format_path(path: Iterable[PathPart]) -> str:
    """`("trading", 2, "qty")` -> `trading[2].qty`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def problem_line(source: str, path: Iterable[PathPart], reason: str) -> str:
    where = format_path(path)
    line = f"{source}: {where}: {reason}" if where else f"{source}: {reason}"
    return redact(line)


class InvalidConfigError(ConfigError):
    """One or more config problems; `lines` holds one self-contained line per problem."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines: tuple[str, ...] = tuple(lines)
        shown = list(self.lines[:MAX_REPORTED])
        if len(self.lines) > MAX_REPORTED:
            shown.append(f"... and {len(self.lines) - MAX_REPORTED} more problems")
        super().__init__("\n".join(shown))


class InvalidValueError(Exception):
    """Raised by a value parser. `reason=None` means the problems were already reported
    deeper down (inside a nested object), so the caller must not add another line."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


@dataclass
class Problems:
    lines: list[str] = field(default_factory=list)

    def add(self, source: str, path: Iterable[PathPart], reason: str) -> None:
        self.lines.append(problem_line(source, path, reason))

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self) -> None:
        if self.lines:
            raise InvalidConfigError(self.lines)


@dataclass(frozen=True)
class Location:
    """Where a value sits: the file, its path inside the file, and where to report."""

    source: str
    path: tuple[PathPart, ...]
    problems: Problems

    def child(self, part: PathPart) -> Location:
        return Location(self.source, (*self.path, part), self.problems)

    def report(self, reason: str) -> None:
        self.problems.add(self.source, self.path, reason)
