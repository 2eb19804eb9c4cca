"""HealthMonitor: keeps every registered connection alive.

Once a second it looks at each connection's record and acts: reconnects a failed one
after its backoff (respecting the circuit breaker), restarts one left disconnected or
stuck connecting, pings a quiet one, and fails one whose data stopped. Adapters only
implement `ManagedConnection` and call `record_data(name)` on every frame.

At most one connect attempt and one ping per connection are ever in flight, and reports
from the adapter are ignored while an attempt runs: the attempt's outcome decides.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from falconet.core.clock import Clock, LiveClock
from falconet.core.errors import ErrorKind
from falconet.engine.errors import classify, describe_error
from falconet.engine.health.connection import ManagedConnection, PingableConnection
from falconet.engine.health.record import (
    BREAKER_OPEN_REASON,
    BreakerState,
    ConnectionOptions,
    ConnectionRecord,
    ConnectionState,
    StateChange,
)
from falconet.observe.log import DEBUG, WARNING, get_logger

log = get_logger("health")

DEFAULT_OPTIONS = ConnectionOptions()


Listener = Callable[[StateChange], object]


class _Entry:
    """A connection, its record and the tasks the monitor runs for it."""

    __slots__ = ("attempt", "closing", "connection", "needs_close", "ping", "ready", "record")

    def __init__(self, connection: ManagedConnection, record: ConnectionRecord) -> None:
        self.connection = connection
        self.record = record
        self.attempt: asyncio.Task[None] | None = None
        self.ping: asyncio.Task[None] | None = None
        self.closing: asyncio.Task[None] | None = None
        self.needs_close = False
        self.ready = asyncio.Event()

    def tasks(self) -> list[asyncio.Task[None]]:
        return [t for t in (self.attempt, self.ping, self.closing) if t is not None]


class HealthMonitor:
    """Supervises connections on a timer. Time comes from `clock` and waiting from
    `sleep`, so a SimClock and a fake sleep make every rule testable in an instant."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        interval_s: float = 1.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"health check interval must be positive, got {interval_s}")
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._interval_s = interval_s
        self._sleep = sleep
        self._entries: dict[str, _Entry] = {}
        self._listeners: list[Listener] = []
        self._loop_task: asyncio.Task[None] | None = None

    # --- registration and queries --------------------------------------------------------

    def register(
        self, connection: ManagedConnection, options: ConnectionOptions = DEFAULT_OPTIONS
    ) -> ConnectionRecord:
        """Supervise `connection`; the next check connects it."""
        name = connection.name
        if name in self._entries:
            raise ValueError(f"connection {name!r} is already registered")
        record = ConnectionRecord(name, options)
        self._entries[name] = _Entry(connection, record)
        return record

    async def remove(self, name: str) -> None:
        """Stop supervising `name` and close it."""
        entry = self._entries.pop(name)
        await self._shut(entry)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(change)` on every state change (e.g. to reconcile orders after a
        reconnect). Listeners run synchronously; their errors are logged."""
        self._listeners.append(listener)

    def record(self, name: str) -> ConnectionRecord:
        return self._entries[name].record

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def attempt_in_flight(self, name: str) -> bool:
        return self._entries[name].attempt is not None

    async def wait_connected(self, name: str) -> None:
        """Return once `name` is connected (at once if it is)."""
        await self._entries[name].ready.wait()

    def snapshot(self) -> list[dict[str, object]]:
        """One dict per connection for the dashboard, in registration order."""
        now = self._clock.monotonic_ns()
        rows = []
        for entry in self._entries.values():
            row = entry.record.snapshot(now)
            row["reconnecting"] = entry.attempt is not None
            rows.append(row)
        return rows

    # --- reports from adapters -----------------------------------------------------------

    def record_data(self, name: str) -> None:
        """A frame arrived on `name`: feeds the data-silence watchdog. Call it on every
        frame; it is one lookup and one clock read."""
        self._entries[name].record.last_data_ns = self._clock.monotonic_ns()

    def report_failure(self, name: str, reason: str | BaseException) -> None:
        """The adapter saw `name` break (read error, unexpected close). Reconnects follow
        at the next check, with backoff."""
        entry = self._entries[name]
        text = reason if isinstance(reason, str) else describe_error(reason)
        if entry.attempt is not None or entry.record.state is ConnectionState.FAILED:
            log.debug(
                "failure report ignored",
                connection=name,
                reason=text,
                state=entry.record.state_text(),
            )
            return
        self._fail(entry, self._clock.monotonic_ns(), text)

    def report_disconnected(self, name: str, reason: str = "") -> None:
        """`name` was closed on purpose (maintenance notice, planned rotation); it is
        restarted after the disconnected-restart delay. An unexpected close is a failure."""
        entry = self._entries[name]
        if entry.attempt is not None or entry.record.state is ConnectionState.DISCONNECTED:
            return
        self._cancel_ping(entry)
        entry.ready.clear()
        entry.needs_close = True
        self._emit(entry.record.disconnected(self._clock.monotonic_ns(), reason))

    # --- the loop ------------------------------------------------------------------------

    def start(self) -> None:
        """Run the checks in a background task until `stop()`."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self.run(), name="health-monitor")

    async def run(self) -> None:
        while True:
            self.tick()
            await self._sleep(self._interval_s)

    async def stop(self, *, close_connections: bool = True) -> None:
        """Stop checking, cancel what is in flight and (by default) close every connection."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for entry in list(self._entries.values()):
            await self._shut(entry, close=close_connections)

    def tick(self) -> None:
        """One round of checks; starts tasks but never waits for them."""
        now = self._clock.monotonic_ns()
        for entry in list(self._entries.values()):
            try:
                self._check(entry, now)
            except Exception:
                # One misbehaving connection must not stop the supervision of the others.
                log.exception("health check failed", connection=entry.record.name)

    # --- the rules -----------------------------------------------------------------------

    def _check(self, entry: _Entry, now: int) -> None:
        record = entry.record
        if entry.attempt is not None:
            if not record.connecting_timed_out(now):
                return
            entry.attempt.cancel()
            entry.attempt = None
            self._fail(entry, now, "connect timeout")
        if record.state is ConnectionState.CONNECTED:
            self._check_ping(entry, now)
            if record.state is ConnectionState.CONNECTED and record.data_timed_out(now):
                self._fail(entry, now, "data timeout")
        if record.reconnect_due(now):
            self._start_attempt(entry, now)
        if entry.needs_close and entry.attempt is None and entry.closing is None:
            entry.needs_close = False
            entry.closing = asyncio.create_task(self._close_task(entry))

    def _check_ping(self, entry: _Entry, now: int) -> None:
        record = entry.record
        if entry.ping is not None:
            if record.ping_timed_out(now):
                self._cancel_ping(entry)
                self._ping_answered(entry, now, ok=False)
            return
        if isinstance(entry.connection, PingableConnection) and record.ping_due(now):
            record.last_ping_sent_ns = now
            entry.ping = asyncio.create_task(self._ping_task(entry, entry.connection))

    def _ping_answered(self, entry: _Entry, now: int, *, ok: bool) -> None:
        record = entry.record
        if record.state is not ConnectionState.CONNECTED:
            return
        if ok:
            record.ping_failures = 0
            record.last_pong_ns = now
            return
        record.ping_failures += 1
        if record.ping_failures < record.options.ping_failure_limit:
            return
        if record.data_seen_within(now, record.options.ping_forgive_window_s):
            log.debug(
                "ping failures forgiven: data is flowing",
                connection=record.name,
                failures=record.ping_failures,
            )
            record.ping_failures = 0
            return
        self._fail(entry, now, "ping timeout")

    def _start_attempt(self, entry: _Entry, now: int) -> None:
        record = entry.record
        gate = record.options.allow_reconnect
        if gate is not None and not gate():
            return
        if not record.breaker_allows(now):
            # Counted as an attempt (the backoff keeps growing) but not as a failure.
            self._fail(entry, now, BREAKER_OPEN_REASON, counts_as_failure=False)
            return
        if record.breaker is BreakerState.HALF_OPEN:
            log.info("circuit breaker half-open: probing", connection=record.name)
        if entry.closing is not None:
            entry.closing.cancel()  # the attempt closes first anyway
            entry.closing = None
        entry.needs_close = False
        self._emit(record.connecting(now))
        entry.attempt = asyncio.create_task(
            self._connect_task(entry), name=f"connect-{record.name}"
        )

    def _fail(
        self,
        entry: _Entry,
        now: int,
        reason: str,
        *,
        counts_as_failure: bool = True,
        kind: ErrorKind | None = None,
    ) -> None:
        self._cancel_ping(entry)
        entry.ready.clear()
        entry.needs_close = True
        record = entry.record
        was_open = record.breaker is BreakerState.OPEN
        change = record.failed(now, reason, counts_as_failure=counts_as_failure)
        level = WARNING if counts_as_failure else DEBUG  # breaker refusals repeat quietly
        log.log(
            level,
            "connection failed",
            connection=record.name,
            reason=reason,
            kind=None if kind is None else str(kind),
            attempts=record.reconnect_attempts,
            next_attempt_in_s=record.backoff_s(),
        )
        if record.breaker is BreakerState.OPEN and not was_open:
            log.error(
                "circuit breaker open",
                connection=record.name,
                failures=record.consecutive_failures,
                cooldown_s=record.options.breaker_cooldown_s,
            )
        self._emit(change)

    def _cancel_ping(self, entry: _Entry) -> None:
        if entry.ping is not None:
            entry.ping.cancel()
            entry.ping = None

    # --- tasks ---------------------------------------------------------------------------

    async def _connect_task(self, entry: _Entry) -> None:
        me = asyncio.current_task()
        try:
            await self._close_quietly(entry)
            await entry.connection.connect()
        except Exception as exc:
            if entry.attempt is me:
                entry.attempt = None
                now = self._clock.monotonic_ns()
                self._fail(entry, now, describe_error(exc), kind=classify(exc))
                # connect() leaves nothing open when it raises: nothing to close.
                entry.needs_close = False
            return
        except BaseException:
            if entry.attempt is me:
                entry.attempt = None
            raise
        if entry.attempt is me:
            entry.attempt = None
            self._emit(entry.record.connected(self._clock.monotonic_ns()))
            entry.ready.set()

    async def _ping_task(self, entry: _Entry, connection: PingableConnection) -> None:
        me = asyncio.current_task()
        try:
            ok = bool(await connection.ping())
        except Exception as exc:
            log.debug("ping failed", connection=entry.record.name, error=describe_error(exc))
            ok = False
        if entry.ping is me:
            entry.ping = None
            self._ping_answered(entry, self._clock.monotonic_ns(), ok=ok)

    async def _close_task(self, entry: _Entry) -> None:
        me = asyncio.current_task()
        try:
            await self._close_quietly(entry)
        finally:
            if entry.closing is me:
                entry.closing = None

    async def _close_quietly(self, entry: _Entry) -> None:
        try:
            await entry.connection.close()
        except Exception as exc:
            log.warning("close failed", connection=entry.record.name, error=describe_error(exc))

    async def _shut(self, entry: _Entry, *, close: bool = True) -> None:
        tasks = entry.tasks()
        entry.attempt = entry.ping = entry.closing = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        entry.ready.clear()
        if close:
            await self._close_quietly(entry)
        if entry.record.state is not ConnectionState.DISCONNECTED:
            self._emit(entry.record.disconnected(self._clock.monotonic_ns(), "stopped"))

    def _emit(self, change: StateChange) -> None:
        # Failures are logged by _fail, with their details.
        if change.new is ConnectionState.CONNECTED:
            log.info("connected", connection=change.name, connections=change.total_connections)
        elif change.new is not ConnectionState.FAILED:
            log.debug(
                "connection state",
                connection=change.name,
                state=str(change.new),
                reason=change.reason,
            )
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:
                log.exception("health listener failed", connection=change.name)
