"""Simulated time for a paper venue: wall time, scaled, from an anchor."""

from __future__ import annotations

import time
from collections.abc import Callable

NS = 1_000_000_000


class PaperClock:
    """now = sim_anchor + (wall - wall_anchor) x speed. The anchor is persisted with the
    venue, so a restarted session continues where the market would be."""

    def __init__(
        self,
        sim_anchor_ns: int,
        speed: float,
        *,
        wall_anchor: float | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.sim_anchor_ns = sim_anchor_ns
        self.speed = speed
        self.wall = wall
        self.wall_anchor = wall() if wall_anchor is None else wall_anchor

    def restart_at(self, sim_ns: int) -> None:
        """Continue from `sim_ns` now (a restored session resumes where it stopped)."""
        self.sim_anchor_ns = sim_ns
        self.wall_anchor = self.wall()

    def now_ns(self) -> int:
        return self.sim_anchor_ns + int((self.wall() - self.wall_anchor) * self.speed * NS)

    def monotonic_ns(self) -> int:
        return self.now_ns()
