"""Moves log lines off the calling thread and into their outputs.

Callers append to an in-memory queue and return; one background thread formats and writes
whatever has accumulated, one `write` per output per batch. The thread lingers up to 50 ms
to gather a batch, and not at all once a warning or worse is waiting. CRITICAL lines, and
`flush()`, write synchronously on the caller's thread, after everything queued before
them, so order is kept and nothing waits on the thread.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from falconet.observe.levels import WARNING
from falconet.observe.line import LogLine

LINGER_S = 0.05
MAX_PENDING = 100_000


class TextStream(Protocol):
    def write(self, text: str, /) -> object: ...
    def flush(self) -> object: ...
    def close(self) -> object: ...


class Output:
    """One destination: a stream plus the formatter that renders lines for it."""

    def __init__(
        self, stream: TextStream, render: Callable[[LogLine], str], *, owns_stream: bool = False
    ) -> None:
        self.stream = stream
        self.render = render
        self.owns_stream = owns_stream  # files opened by configure(), closed by us
        self.errors = 0

    def write(self, lines: Sequence[LogLine]) -> None:
        chunks: list[str] = []
        for line in lines:
            try:
                chunks.append(self.render(line))
            except Exception:
                # A formatter bug must not lose the rest of the batch.
                self.errors += 1
        try:
            self.stream.write("".join(chunks))
            self.stream.flush()
        except Exception:
            # A closed terminal or a full disk: nowhere left to report it.
            self.errors += 1

    def close(self) -> None:
        if self.owns_stream:
            with contextlib.suppress(Exception):
                self.stream.close()


class LogWriter:
    """Queue plus writer thread; `background=False` writes every line synchronously."""

    def __init__(
        self,
        outputs: Sequence[Output],
        *,
        background: bool = True,
        max_pending: int = MAX_PENDING,
        linger_s: float = LINGER_S,
    ) -> None:
        self.outputs = tuple(outputs)
        self.dropped = 0  # lines lost since start, because the queue was full
        self._reported_dropped = 0
        self._max_pending = max_pending
        self._linger_s = linger_s
        # deque.append and popleft are atomic: producers never take a lock.
        self._pending: collections.deque[LogLine] = collections.deque()
        self._io_lock = threading.Lock()
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(
                target=self._run, name="falconet-log-writer", daemon=True
            )
            self._thread.start()

    def submit(self, line: LogLine) -> None:
        """Queue a line; never blocks. If the writer is far behind, the line is dropped
        and counted rather than stalling the caller."""
        if self._thread is None or self._closed:
            self.write_now(line)
            return
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        self._pending.append(line)
        if line.level >= WARNING and not self._urgent.is_set():
            self._urgent.set()
        if not self._wake.is_set():
            self._wake.set()

    def write_now(self, line: LogLine) -> None:
        """Write everything queued, then `line`, before returning."""
        with self._io_lock:
            batch = self._drain()
            batch.append(line)
            self._write(batch)

    def flush(self) -> None:
        """Write everything queued so far before returning."""
        with self._io_lock:
            batch = self._drain()
            if batch:
                self._write(batch)

    def close(self) -> None:
        """Stop the thread, write what is left and close the files we opened."""
        self._closed = True
        self._wake.set()
        self._urgent.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self.flush()
        for output in self.outputs:
            output.close()

    def _run(self) -> None:
        # close() sets _closed before the events, so a wake-up erased by clear() below
        # is still seen by the loop condition.
        while not self._closed:
            self._wake.wait()
            # Linger to batch; a queued warning (or close) ends the wait at once.
            self._urgent.wait(self._linger_s)
            # Cleared before draining: a line queued after this sets them again.
            self._wake.clear()
            self._urgent.clear()
            self.flush()

    def _drain(self) -> list[LogLine]:
        batch: list[LogLine] = []
        pending = self._pending
        # Bounded by the length at entry, so busy producers cannot keep us here.
        for _ in range(len(pending)):
            batch.append(pending.popleft())
        if self.dropped > self._reported_dropped:
            dropped = self.dropped - self._reported_dropped
            self._reported_dropped = self.dropped
            notice = f"{dropped} log lines dropped: the log writer could not keep up"
            batch.insert(0, LogLine(time.time_ns(), WARNING, "log", notice))
        return batch

    def _write(self, batch: list[LogLine]) -> None:
        for output in self.outputs:
            output.write(batch)
