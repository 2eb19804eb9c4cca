"""The health record of one connection: its state machine, backoff and circuit breaker.

Pure bookkeeping, no I/O: every method takes the current monotonic time in ns, so the
rules can be tested without a loop. `HealthMonitor` applies them on a timer.

    Disconnected ──► Connecting ──► Connected
         ▲              │  ▲            │
         │              ▼  │            ▼
         └──────────── Failed(reason) ◄─┘
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from falconet.core.clock import NS_PER_S


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"

    @property
    def code(self) -> int:
        """The dashboard's encoding: 0 closed, 1 open, 2 half-open."""
        return _BREAKER_CODES[self]


_BREAKER_CODES = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}

BREAKER_OPEN_REASON = "circuit breaker open"


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """Timings of one connection, in seconds. `None` turns a check off: a gateway that is
    silent when markets are quiet sets `data_timeout_s=None`."""

    backoff_cap_s: float = 30.0
    data_timeout_s: float | None = 60.0
    ping_interval_s: float | None = 15.0
    ping_timeout_s: float = 5.0
    ping_failure_limit: int = 3
    # Failed pings are forgiven while frames still arrive: some feeds never answer pings.
    ping_forgive_window_s: float = 60.0
    disconnected_restart_s: float = 60.0
    connecting_timeout_s: float = 120.0
    breaker_threshold: int | None = 5
    breaker_cooldown_s: float = 300.0
    # Reconnects wait while this returns False (e.g. an equity gateway outside market hours).
    allow_reconnect: Callable[[], bool] | None = None

    def __post_init__(self) -> None:
        if self.backoff_cap_s < 0:
            raise ValueError(f"backoff cap must not be negative, got {self.backoff_cap_s}")
        if self.ping_failure_limit < 1:
            raise ValueError("ping failure limit must be at least 1")
        if self.breaker_threshold is not None and self.breaker_threshold < 1:
            raise ValueError("breaker threshold must be at least 1 (or None to disable)")


def reconnect_delay_s(attempts: int, cap_s: float) -> float:
    """Wait before reconnect attempt `attempts` (1-based): 0 for the first, then
    `min(cap, 2**(attempts-1))` — 0, 2, 4, 8, 16, 30, 30 … with a 30 s cap."""
    if attempts <= 1:
        return 0.0
    return min(float(cap_s), float(2 ** min(attempts - 1, 62)))


@dataclass(frozen=True, slots=True)
class StateChange:
    """One transition, as told to the monitor's listeners."""

    name: str
    old: ConnectionState
    new: ConnectionState
    reason: str
    at_ns: int  # monotonic
    total_connections: int


def _s(seconds: float) -> int:
    return int(seconds * NS_PER_S)


class ConnectionRecord:
    """State, timestamps (monotonic ns, None until it first happens) and counters."""

    def __init__(self, name: str, options: ConnectionOptions) -> None:
        self.name = name
        self.options = options
        self.state = ConnectionState.DISCONNECTED
        self.reason = ""
        self.last_connected_ns: int | None = None
        self.last_disconnected_ns: int | None = None
        self.last_connecting_ns: int | None = None
        self.last_data_ns: int | None = None
        self.last_pong_ns: int | None = None
        self.last_ping_sent_ns: int | None = None
        self.last_failure_ns: int | None = None
        self.ping_failures = 0
        self.reconnect_attempts = 0
        self.total_connections = 0
        self.consecutive_failures = 0
        self.breaker = BreakerState.CLOSED
        self.breaker_opened_ns: int | None = None

    # --- transitions ---------------------------------------------------------------------

    def connecting(self, now_ns: int) -> StateChange:
        self.last_connecting_ns = now_ns
        return self._move(ConnectionState.CONNECTING, now_ns, "")

    def connected(self, now_ns: int) -> StateChange:
        """Success: resets ping failures, attempts and the breaker."""
        self.last_connected_ns = now_ns
        self.ping_failures = 0
        self.reconnect_attempts = 0
        self.total_connections += 1
        self.consecutive_failures = 0
        self.breaker = BreakerState.CLOSED
        self.breaker_opened_ns = None
        return self._move(ConnectionState.CONNECTED, now_ns, "")

    def disconnected(self, now_ns: int, reason: str = "") -> StateChange:
        self.last_disconnected_ns = now_ns
        return self._move(ConnectionState.DISCONNECTED, now_ns, reason)

    def failed(self, now_ns: int, reason: str, *, counts_as_failure: bool = True) -> StateChange:
        """Entering Failed counts an attempt (the backoff grows). A real failure also counts
        towards the breaker; a refusal by the open breaker does not, so the breaker's
        cool-down is not extended by its own refusals."""
        if self.state is ConnectionState.CONNECTED:
            self.last_disconnected_ns = now_ns
        self.last_failure_ns = now_ns
        self.reconnect_attempts += 1
        if counts_as_failure:
            self.consecutive_failures += 1
            threshold = self.options.breaker_threshold
            if self.breaker is BreakerState.HALF_OPEN or (
                threshold is not None and self.consecutive_failures >= threshold
            ):
                self.breaker = BreakerState.OPEN
                self.breaker_opened_ns = now_ns
        return self._move(ConnectionState.FAILED, now_ns, reason)

    def _move(self, new: ConnectionState, now_ns: int, reason: str) -> StateChange:
        old, self.state, self.reason = self.state, new, reason
        return StateChange(self.name, old, new, reason, now_ns, self.total_connections)

    # --- what is due ---------------------------------------------------------------------

    def backoff_s(self) -> float:
        return reconnect_delay_s(self.reconnect_attempts, self.options.backoff_cap_s)

    def next_attempt_ns(self) -> int | None:
        """When a Failed connection may be retried (before the breaker has its say)."""
        if self.state is not ConnectionState.FAILED or self.last_failure_ns is None:
            return None
        return self.last_failure_ns + _s(self.backoff_s())

    def reconnect_due(self, now_ns: int) -> bool:
        """A Failed connection whose backoff has run out, or whose breaker may probe; a
        Disconnected one never connected yet, or quiet for the restart delay."""
        if self.state is ConnectionState.FAILED:
            due = self.next_attempt_ns()
            return (due is not None and now_ns >= due) or self.probe_due(now_ns)
        if self.state is ConnectionState.DISCONNECTED:
            since = self.last_disconnected_ns
            return since is None or now_ns - since >= _s(self.options.disconnected_restart_s)
        return False

    def probe_due(self, now_ns: int) -> bool:
        opened = self.breaker_opened_ns
        return (
            self.breaker is BreakerState.OPEN
            and opened is not None
            and now_ns - opened >= _s(self.options.breaker_cooldown_s)
        )

    def breaker_allows(self, now_ns: int) -> bool:
        """May an attempt be made now? Moves Open → HalfOpen when the cool-down is over;
        the attempt then made is the single probe."""
        if self.breaker is BreakerState.OPEN:
            if not self.probe_due(now_ns):
                return False
            self.breaker = BreakerState.HALF_OPEN
        return True

    def connecting_timed_out(self, now_ns: int) -> bool:
        since = self.last_connecting_ns
        return (
            self.state is ConnectionState.CONNECTING
            and since is not None
            and now_ns - since > _s(self.options.connecting_timeout_s)
        )

    def heartbeat_ns(self) -> int | None:
        """The latest sign of life: a frame, a pong, or the connection itself."""
        stamps = [
            t
            for t in (self.last_data_ns, self.last_pong_ns, self.last_connected_ns)
            if t is not None
        ]
        return max(stamps) if stamps else None

    def data_timed_out(self, now_ns: int) -> bool:
        timeout = self.options.data_timeout_s
        beat = self.heartbeat_ns()
        return (
            self.state is ConnectionState.CONNECTED
            and timeout is not None
            and beat is not None
            and now_ns - beat > _s(timeout)
        )

    def ping_due(self, now_ns: int) -> bool:
        interval = self.options.ping_interval_s
        if self.state is not ConnectionState.CONNECTED or interval is None:
            return False
        # The first ping waits one interval after connecting, like every later one.
        last = max(self.last_ping_sent_ns or 0, self.last_connected_ns or 0)
        return now_ns - last >= _s(interval)

    def ping_timed_out(self, now_ns: int) -> bool:
        sent = self.last_ping_sent_ns
        return sent is not None and now_ns - sent >= _s(self.options.ping_timeout_s)

    def data_seen_within(self, now_ns: int, window_s: float) -> bool:
        seen = self.last_data_ns
        return seen is not None and now_ns - seen <= _s(window_s)

    # --- for the dashboard ---------------------------------------------------------------

    def state_text(self) -> str:
        if self.state is ConnectionState.FAILED and self.reason:
            return f"failed: {self.reason}"
        return str(self.state)

    def snapshot(self, now_ns: int) -> dict[str, object]:
        connected = self.state is ConnectionState.CONNECTED
        beat = self.heartbeat_ns()
        timeout = self.options.data_timeout_s
        heartbeat_ok = connected and (
            timeout is None or (beat is not None and now_ns - beat <= _s(timeout))
        )
        uptime = (
            (now_ns - self.last_connected_ns) / NS_PER_S
            if (connected and self.last_connected_ns is not None)
            else 0.0
        )
        due = self.next_attempt_ns()
        return {
            "name": self.name,
            "state": self.state_text(),
            "uptime_s": uptime,
            "heartbeat_ok": heartbeat_ok,
            "last_data_age_s": None
            if self.last_data_ns is None
            else (now_ns - self.last_data_ns) / NS_PER_S,
            "breaker": str(self.breaker),
            "breaker_code": self.breaker.code,
            "consecutive_failures": self.consecutive_failures,
            "ping_failures": self.ping_failures,
            "reconnect_attempts": self.reconnect_attempts,
            "next_reconnect_in_s": None if due is None else max(0.0, (due - now_ns) / NS_PER_S),
            "total_connections": self.total_connections,
        }
