"""Connection health: per-connection state machine, reconnect backoff, data-silence
watchdog, active ping and circuit breaker, venue-agnostic (see docs/engine.md)."""

from falconet.engine.health.connection import ManagedConnection, PingableConnection
from falconet.engine.health.monitor import DEFAULT_OPTIONS, HealthMonitor
from falconet.engine.health.record import (
    BREAKER_OPEN_REASON,
    BreakerState,
    ConnectionOptions,
    ConnectionRecord,
    ConnectionState,
    StateChange,
    reconnect_delay_s,
)

__all__ = [
    "BREAKER_OPEN_REASON",
    "DEFAULT_OPTIONS",
    "BreakerState",
    "ConnectionOptions",
    "ConnectionRecord",
    "ConnectionState",
    "HealthMonitor",
    "ManagedConnection",
    "PingableConnection",
    "StateChange",
    "reconnect_delay_s",
]
