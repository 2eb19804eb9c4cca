"""A connection that fails on command, and a harness that drives the health monitor in
simulated time, one check per simulated second."""

from __future__ import annotations

import asyncio
from typing import Literal

from falconet.core.clock import NS_PER_S, SimClock
from falconet.engine.health import (
    BreakerState,
    ConnectionOptions,
    ConnectionRecord,
    ConnectionState,
    HealthMonitor,
    ManagedConnection,
    StateChange,
)


def state_of(record: ConnectionRecord) -> ConnectionState:
    """The state, read through a call so mypy does not narrow it across assertions."""
    return record.state


def breaker_of(record: ConnectionRecord) -> BreakerState:
    return record.breaker


ConnectMode = Literal["ok", "raise", "hang"]
PingMode = Literal["ok", "false", "raise", "hang"]


class FakeConnection:
    """`connect()` succeeds, raises or hangs (until cancelled) as `connect_mode` says, and
    records when it was called (in simulated seconds)."""

    def __init__(self, name: str, clock: SimClock) -> None:
        self.name = name
        self.clock = clock
        self.connect_mode: ConnectMode = "ok"
        self.connect_error: Exception = ConnectionRefusedError("connection refused")
        self.connect_times: list[float] = []
        self.cancelled_connects = 0
        self.closes = 0
        self.close_error: Exception | None = None
        self.connecting_now = 0
        self.most_connecting_at_once = 0

    def now_s(self) -> float:
        return self.clock.monotonic_ns() / NS_PER_S

    async def connect(self) -> None:
        self.connect_times.append(self.now_s())
        self.connecting_now += 1
        self.most_connecting_at_once = max(self.most_connecting_at_once, self.connecting_now)
        try:
            if self.connect_mode == "raise":
                raise self.connect_error
            if self.connect_mode == "hang":
                await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled_connects += 1
            raise
        finally:
            self.connecting_now -= 1

    async def close(self) -> None:
        self.closes += 1
        if self.close_error is not None:
            raise self.close_error


class PingableFake(FakeConnection):
    """Also answers pings: True, False, an exception, or never."""

    def __init__(self, name: str, clock: SimClock) -> None:
        super().__init__(name, clock)
        self.ping_mode: PingMode = "ok"
        self.ping_times: list[float] = []

    async def ping(self) -> bool:
        self.ping_times.append(self.now_s())
        if self.ping_mode == "raise":
            raise TimeoutError("no pong")
        if self.ping_mode == "hang":
            await asyncio.Event().wait()
        return self.ping_mode == "ok"


class Harness:
    """A monitor on a SimClock; `run_until(t)` advances one second per check, letting the
    tasks the monitor started finish between checks."""

    def __init__(self) -> None:
        self.clock = SimClock()
        self.monitor = HealthMonitor(self.clock)
        self.changes: list[StateChange] = []
        self.monitor.add_listener(self.changes.append)

    def fake(self, name: str = "venue_ws", *, pingable: bool = False) -> FakeConnection:
        return PingableFake(name, self.clock) if pingable else FakeConnection(name, self.clock)

    def add(
        self, connection: ManagedConnection, options: ConnectionOptions | None = None
    ) -> ConnectionRecord:
        if options is None:
            return self.monitor.register(connection)
        return self.monitor.register(connection, options)

    @property
    def now_s(self) -> float:
        return self.clock.monotonic_ns() / NS_PER_S

    async def settle(self) -> None:
        for _ in range(10):
            await asyncio.sleep(0)

    async def check(self) -> None:
        """One check at the current time."""
        self.monitor.tick()
        await self.settle()

    async def run_until(self, t_s: float) -> None:
        """Checks at every whole second after now, up to and including `t_s`."""
        while self.now_s + 1 <= t_s:
            self.clock.advance_by(NS_PER_S)
            await self.check()

    def failures(self, name: str = "venue_ws") -> list[tuple[float, str]]:
        return [
            (c.at_ns / NS_PER_S, c.reason)
            for c in self.changes
            if c.name == name and c.new is ConnectionState.FAILED
        ]
