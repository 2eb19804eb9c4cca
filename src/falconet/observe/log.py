"""Structured logging: `get_logger(section)` for code, `configure(...)` for the process.

    log = get_logger("grid")
    log.info("placed buy", symbol="BTC/USD", px=px)
    log.debug("book %s", book)          # formatted only if debug is enabled for "grid"

Each logger belongs to a section; `configure` sets the level and the section whitelist and
chooses the outputs (console, JSON-lines file). A disabled call is one integer comparison:
the message is not formatted and no argument or field is converted to text.

falconet's own calls go straight to the writer, never through other `logging` handlers:
those would see the arguments unformatted and unredacted, and could format or raise on the
caller's thread. The other direction is open: records of the stdlib `logging` module
(third-party libraries, or `logging.getLogger("falconet.x")`) reach the same outputs,
filtered by the same rules.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TextIO

from falconet.observe.console import ConsoleFormatter, auto_width, wants_color
from falconet.observe.jsonl import JsonLinesFormatter
from falconet.observe.levels import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    WARNING,
    parse_level,
)
from falconet.observe.line import SysExcInfo, line_from_record, make_line
from falconet.observe.sections import SectionRules, check_section, parse_sections
from falconet.observe.writer import LogWriter, Output

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "WARNING",
    "Logger",
    "configure",
    "flush",
    "get_logger",
    "shutdown",
]

ExcInfo = (
    bool
    | BaseException
    | tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
    | None
)

STD_ROOT = "falconet"
# Before configure() (and after shutdown()): warnings and worse, to stderr, synchronously.
UNCONFIGURED_RULES = SectionRules(WARNING)


class Logger:
    """The logger of one section. Obtain it with `get_logger`; it stays valid across
    `configure` calls, so a module-level `log = get_logger(...)` is the normal use."""

    __slots__ = ("_threshold", "section")

    def __init__(self, section: str, threshold: int) -> None:
        self.section = section
        self._threshold = threshold  # rewritten in place by configure()

    def enabled_for(self, level: int | str) -> bool:
        """True if a record at `level` would be written: guard for expensive fields."""
        levelno = level if isinstance(level, int) else parse_level(level)
        return levelno >= self._threshold

    # Each method tests the level before anything else: a disabled call costs the call
    # and one comparison.
    def debug(self, msg: str, /, *args: object, exc_info: ExcInfo = None, **fields: object) -> None:
        if self._threshold <= DEBUG:
            self._emit(DEBUG, msg, args, exc_info, fields)

    def info(self, msg: str, /, *args: object, exc_info: ExcInfo = None, **fields: object) -> None:
        if self._threshold <= INFO:
            self._emit(INFO, msg, args, exc_info, fields)

    def warning(
        self, msg: str, /, *args: object, exc_info: ExcInfo = None, **fields: object
    ) -> None:
        if self._threshold <= WARNING:
            self._emit(WARNING, msg, args, exc_info, fields)

    def error(self, msg: str, /, *args: object, exc_info: ExcInfo = None, **fields: object) -> None:
        if self._threshold <= ERROR:
            self._emit(ERROR, msg, args, exc_info, fields)

    def critical(
        self, msg: str, /, *args: object, exc_info: ExcInfo = None, **fields: object
    ) -> None:
        if self._threshold <= CRITICAL:
            self._emit(CRITICAL, msg, args, exc_info, fields)

    def exception(self, msg: str, /, *args: object, **fields: object) -> None:
        """`error` with the exception being handled attached (call it in `except`)."""
        if self._threshold <= ERROR:
            self._emit(ERROR, msg, args, True, fields)

    def log(
        self,
        level: int | str,
        msg: str,
        /,
        *args: object,
        exc_info: ExcInfo = None,
        **fields: object,
    ) -> None:
        levelno = level if isinstance(level, int) else parse_level(level)
        if levelno >= self._threshold:
            self._emit(levelno, msg, args, exc_info, fields)

    def _emit(
        self,
        level: int,
        msg: str,
        args: tuple[object, ...],
        exc_info: ExcInfo,
        fields: Mapping[str, object],
    ) -> None:
        line = make_line(
            time.time_ns(), level, self.section, msg, args, fields, _exc_tuple(exc_info)
        )
        writer = _state.writer
        if level >= CRITICAL:
            writer.write_now(line)
        else:
            writer.submit(line)

    def __repr__(self) -> str:
        return f"<falconet Logger {self.section!r}>"


def _exc_tuple(exc_info: ExcInfo) -> SysExcInfo | None:
    if not exc_info:
        return None
    if isinstance(exc_info, BaseException):
        return (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple):
        if exc_info[0] is None or exc_info[1] is None:
            return None
        return (exc_info[0], exc_info[1], exc_info[2])
    current = sys.exc_info()
    if current[0] is None or current[1] is None:
        return None
    return (current[0], current[1], current[2])


class _Handler(logging.Handler):
    """Hands stdlib records to a LogWriter, filtered by the section rules."""

    def __init__(self, writer: LogWriter, rules: SectionRules) -> None:
        super().__init__()
        self.writer = writer
        self.rules = rules
        self.errors = 0
        self._routes: dict[str, tuple[str, int]] = {}

    def handle(self, record: logging.LogRecord) -> bool:
        # Skips the stdlib's per-handler lock: the writer is thread-safe and the lock
        # would serialise every logging thread.
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            section, threshold = self._route(record.name)
            if record.levelno < threshold:
                return
            line = line_from_record(record, section)
            if record.levelno >= CRITICAL:
                self.writer.write_now(line)
            else:
                self.writer.submit(line)
        except Exception:
            # Not handleError(): it prints the raw arguments, unredacted.
            self.errors += 1

    def flush(self) -> None:
        self.writer.flush()

    def _route(self, name: str) -> tuple[str, int]:
        route = self._routes.get(name)
        if route is None:
            if name == STD_ROOT or name.startswith(STD_ROOT + "."):
                section = name[len(STD_ROOT) + 1 :] or STD_ROOT
                route = (section, self.rules.threshold(section))
            else:
                # A library's records carry its top-level package name as their section.
                section = name.partition(".")[0].lower() or "root"
                route = (section, self.rules.threshold(section, library=True))
            self._routes[name] = route
        return route


class _StderrProxy:
    """Whatever sys.stderr is at the time of writing (tests and tools replace it)."""

    def write(self, text: str, /) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def close(self) -> None:
        pass


# Before configure() and after shutdown(): warnings and worse, written synchronously to
# whatever sys.stderr is at the time.
_FALLBACK_WRITER = LogWriter(
    [Output(_StderrProxy(), ConsoleFormatter(color=wants_color(sys.stderr)).format)],
    background=False,
)


class _State:
    """What configure() installed; one instance per process."""

    def __init__(self) -> None:
        self.rules = UNCONFIGURED_RULES
        self.writer = _FALLBACK_WRITER  # where falconet loggers send their lines
        self.handler = _Handler(_FALLBACK_WRITER, UNCONFIGURED_RULES)  # for stdlib records
        self.configured = False
        self.saved_root_level: int | None = None  # the root level before configure()


_lock = threading.RLock()
_loggers: dict[str, Logger] = {}
_state = _State()


def get_logger(section: str) -> Logger:
    """The logger of `section` (lower-case letters, digits, `_`, `-`, `.`)."""
    logger = _loggers.get(section)
    if logger is not None:
        return logger
    name = check_section(section)
    with _lock:
        logger = _loggers.get(name)
        if logger is None:
            logger = Logger(name, _state.rules.threshold(name))
            _loggers[name] = logger
        return logger


def configure(
    level: int | str = "info",
    sections: str | Iterable[str] = "",
    *,
    console: bool = True,
    json_path: str | Path | None = None,
    color: bool | None = None,
    width: int | None = None,
    stream: TextIO | None = None,
) -> None:
    """Set up logging for the process; call again to change anything.

    level      debug, info, warning (or warn), error, critical; or a stdlib number.
    sections   the whitelist, e.g. "grid,oms" or "*,grid:debug"; empty means all.
    console    write the human format to `stream` (default: sys.stderr).
    json_path  also append JSON lines to this file (parent folders are created).
    color      None: colour only on a terminal without NO_COLOR; True/False force it.
    width      wrap console lines at this width; None: terminal, $COLUMNS, else 200;
               0: never wrap.

    Arguments are checked (ValueError) and the file opened before anything changes, so a
    failed call leaves the previous configuration running. Lines pending in the previous
    configuration are written to its outputs before they are closed.
    """
    rules = SectionRules(parse_level(level), parse_sections(sections))
    if width is not None and width < 0:
        raise ValueError(f"invalid log width {width}: expected 0 (no wrapping) or more")
    outputs: list[Output] = []
    if console:
        out = sys.stderr if stream is None else stream
        use_color = wants_color(out) if color is None else color
        wrap = auto_width(out) if width is None else width
        outputs.append(Output(out, ConsoleFormatter(color=use_color, width=wrap).format))
    if json_path is not None:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        file = path.open("a", encoding="utf-8", errors="backslashreplace", newline="\n")
        outputs.append(Output(file, JsonLinesFormatter().format, owns_stream=True))
    writer = LogWriter(outputs)
    with _lock:
        root = logging.getLogger()
        if not _state.configured:
            _state.saved_root_level = root.level
        _install(rules, writer, root)
        _state.configured = True
        # Logger levels only gate the creation of stdlib records; _Handler applies the
        # exact rules to each.
        root.setLevel(rules.lowest(library=True))
        logging.getLogger(STD_ROOT).setLevel(rules.lowest())


def flush() -> None:
    """Write every line logged so far before returning."""
    _state.writer.flush()


def shutdown() -> None:
    """Write what is pending, close the outputs and return to the unconfigured state
    (warnings and worse to stderr). Runs at exit; tests call it to reset."""
    with _lock:
        if not _state.configured:
            return
        _install(UNCONFIGURED_RULES, _FALLBACK_WRITER, logging.getLogger(STD_ROOT))
        _state.configured = False
        if _state.saved_root_level is not None:
            logging.getLogger().setLevel(_state.saved_root_level)
            _state.saved_root_level = None
        logging.getLogger(STD_ROOT).setLevel(logging.NOTSET)


def _install(rules: SectionRules, writer: LogWriter, attach_to: logging.Logger) -> None:
    """Switch every output to `writer`, then close the previous one (writing what it
    still holds). Callers hold _lock."""
    old_writer, old_handler = _state.writer, _state.handler
    handler = _Handler(writer, rules)
    attach_to.addHandler(handler)
    _state.rules, _state.writer, _state.handler = rules, writer, handler
    for logger in _loggers.values():
        logger._threshold = rules.threshold(logger.section)
    logging.getLogger().removeHandler(old_handler)
    logging.getLogger(STD_ROOT).removeHandler(old_handler)
    if old_writer is not _FALLBACK_WRITER:
        old_writer.close()


logging.getLogger(STD_ROOT).addHandler(_state.handler)
atexit.register(shutdown)
