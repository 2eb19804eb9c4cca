"""Clocks: wall time in live trading, event time in simulation, one interface.

Strategies never read a clock directly (their time comes from events); the engine, the
OMS and the simulator use a Clock so the same code runs live and in a backtest.
"""

from __future__ import annotations

import time
from typing import Protocol

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


class Clock(Protocol):
    def now_ns(self) -> int:
        """Nanoseconds since the Unix epoch."""
        ...

    def monotonic_ns(self) -> int:
        """Nanoseconds from an arbitrary origin that never goes backwards (for durations)."""
        ...


class LiveClock:
    """The machine's clock."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def now_ms(self) -> int:
        return time.time_ns() // NS_PER_MS


class SimClock:
    """A clock that moves only when told, and never backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def monotonic_ns(self) -> int:
        return self._now

    def now_ms(self) -> int:
        return self._now // NS_PER_MS

    def advance_to(self, ts_ns: int) -> None:
        """Move to `ts_ns`; earlier times are an error (events must be replayed in order)."""
        if ts_ns < self._now:
            raise ValueError(f"simulated clock cannot go back from {self._now} to {ts_ns}")
        self._now = ts_ns

    def advance_by(self, delta_ns: int) -> None:
        if delta_ns < 0:
            raise ValueError(f"simulated clock cannot advance by a negative {delta_ns} ns")
        self._now += delta_ns
