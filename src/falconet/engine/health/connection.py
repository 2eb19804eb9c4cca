"""What the health monitor needs from a connection: open it, close it, maybe ping it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ManagedConnection(Protocol):
    """A connection the monitor can (re)open. `connect()` returns once the connection is
    usable (subscribed, authenticated) and raises, leaving nothing open, if it cannot be.
    `close()` must be safe to call at any time, also when already closed."""

    @property
    def name(self) -> str: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...


@runtime_checkable
class PingableConnection(ManagedConnection, Protocol):
    """A connection that can prove it is alive: `ping()` is True when the venue answered."""

    async def ping(self) -> bool: ...
