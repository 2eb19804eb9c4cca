"""Live and simulated clocks behind one interface."""

from __future__ import annotations

import time

import pytest

from falconet.core.clock import Clock, LiveClock, SimClock


def elapsed(clock: Clock, work: object) -> int:
    start = clock.monotonic_ns()
    if callable(work):
        work()
    return clock.monotonic_ns() - start


def test_live_clock_tracks_wall_time() -> None:
    clock = LiveClock()
    assert abs(clock.now_ns() - time.time_ns()) < 50_000_000
    assert elapsed(clock, lambda: time.sleep(0.01)) >= 9_000_000


def test_sim_clock_moves_only_when_told_and_never_backwards() -> None:
    clock = SimClock(start_ns=1_000)
    assert elapsed(clock, lambda: time.sleep(0.005)) == 0
    clock.advance_to(5_000)
    clock.advance_by(500)
    assert clock.now_ns() == 5_500 and clock.now_ms() == 0
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance_to(5_499)
    with pytest.raises(ValueError, match="negative"):
        clock.advance_by(-1)
