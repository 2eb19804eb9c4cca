"""The five log levels, their names in config and JSON, and their console labels.

The numeric values are the stdlib's, so records from third-party libraries compare
directly with falconet's.
"""

from __future__ import annotations

import logging

DEBUG = logging.DEBUG
INFO = logging.INFO
WARNING = logging.WARNING
ERROR = logging.ERROR
CRITICAL = logging.CRITICAL

LEVELS: tuple[int, ...] = (DEBUG, INFO, WARNING, ERROR, CRITICAL)

_BY_NAME: dict[str, int] = {
    "debug": DEBUG,
    "info": INFO,
    "warning": WARNING,
    "warn": WARNING,
    "error": ERROR,
    "critical": CRITICAL,
}
_NAMES: dict[int, str] = {
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warning",
    ERROR: "error",
    CRITICAL: "critical",
}
# Exactly five characters each: the console's level column has a fixed width.
_LABELS: dict[int, str] = {
    DEBUG: "DEBUG",
    INFO: "INFO ",
    WARNING: "WARN ",
    ERROR: "ERROR",
    CRITICAL: "CRIT ",
}


def parse_level(value: int | str) -> int:
    """Return the level number for a config value: a name (any case, "warn" included) or
    one of the five stdlib numbers. Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"invalid log level {value!r}")
    if isinstance(value, int):
        if value in _NAMES:
            return value
        raise ValueError(
            f"invalid log level {value}: expected one of {', '.join(map(str, LEVELS))}"
        )
    level = _BY_NAME.get(value.strip().lower())
    if level is None:
        raise ValueError(
            f"invalid log level {value!r}: expected debug, info, warning (or warn), error"
            " or critical"
        )
    return level


def standard_level(levelno: int) -> int:
    """Map any level number (libraries may use custom ones, e.g. 5 or 25) onto the
    nearest of the five at or below it; below DEBUG counts as DEBUG."""
    if levelno in _NAMES:
        return levelno
    for level in reversed(LEVELS):
        if levelno >= level:
            return level
    return DEBUG


def level_name(levelno: int) -> str:
    """Lower-case name used in JSON lines: debug, info, warning, error, critical."""
    return _NAMES[standard_level(levelno)]


def level_label(levelno: int) -> str:
    """Five-character console label: DEBUG, INFO, WARN, ERROR, CRIT."""
    return _LABELS[standard_level(levelno)]
