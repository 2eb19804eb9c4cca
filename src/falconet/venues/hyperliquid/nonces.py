"""Nonces for Hyperliquid actions: millisecond timestamps that never repeat.

The venue keeps each signer's 100 highest nonces and rejects a nonce at or below the
smallest of them, or one it has seen; it also wants them near its clock (within about a
day). So a nonce is the wall-clock millisecond, bumped past the last one handed out when
the clock stands still (two orders in one millisecond) or steps back (NTP), and past any
nonce seen used elsewhere (a previous session, another process on the same key).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class NonceSource:
    """Strictly increasing millisecond nonces for one signer."""

    __slots__ = ("_clock_ms", "_last", "_lock")

    def __init__(self, clock_ms: Callable[[], int] = wall_ms, floor: int = 0) -> None:
        self._clock_ms = clock_ms
        self._last = floor  # nothing at or below this is ever handed out
        # Signing may happen off the event loop (an executor); the lock keeps next()
        # atomic there too, at a cost of well under a microsecond.
        self._lock = threading.Lock()

    @property
    def last(self) -> int:
        """The highest nonce handed out or observed (the floor before any)."""
        return self._last

    def next(self) -> int:
        now = self._clock_ms()
        with self._lock:
            nonce = now if now > self._last else self._last + 1
            self._last = nonce
            return nonce

    def observe(self, used: int) -> None:
        """Record a nonce seen used (e.g. in the venue's answers after a reconnect)."""
        with self._lock:
            self._last = max(self._last, used)
