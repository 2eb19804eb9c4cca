"""The health monitor reconnecting connections: backoff, timeouts, breaker, no storms."""

from __future__ import annotations

import asyncio

import pytest

from falconet.core.clock import NS_PER_S, SimClock
from falconet.engine.health import (
    BREAKER_OPEN_REASON,
    BreakerState,
    ConnectionOptions,
    ConnectionState,
    HealthMonitor,
    StateChange,
)
from tests.engine.health_fakes import FakeConnection, Harness, breaker_of, state_of

NO_BREAKER = ConnectionOptions(breaker_threshold=None)


async def test_the_first_check_connects_a_registered_connection() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    await h.check()
    assert conn.connect_times == [0.0] and conn.closes == 1  # closes before connecting
    assert state_of(record) is ConnectionState.CONNECTED and record.total_connections == 1
    assert [(c.old, c.new) for c in h.changes] == [
        (ConnectionState.DISCONNECTED, ConnectionState.CONNECTING),
        (ConnectionState.CONNECTING, ConnectionState.CONNECTED),
    ]
    await asyncio.wait_for(h.monitor.wait_connected("venue_ws"), 1)


async def test_backoff_after_a_failure_is_0_2_4_8_16_30_30_seconds() -> None:
    h = Harness()
    conn = h.fake()
    h.add(conn, NO_BREAKER)
    await h.check()
    conn.connect_mode = "raise"  # from now on every reconnect fails
    await h.run_until(160)  # the data stops at once: failed at 61 s
    fail_times = [t for t, _ in h.failures()]
    attempts = conn.connect_times[1:]
    assert fail_times[0] == 61.0 and h.failures()[0][1] == "data timeout"
    assert attempts == [61, 63, 67, 75, 91, 121, 151]
    waits = [attempt - failed for attempt, failed in zip(attempts, fail_times, strict=False)]
    assert waits == [0, 2, 4, 8, 16, 30, 30]


async def test_a_failing_first_connect_is_retried_at_the_next_check() -> None:
    h = Harness()
    conn = h.fake()
    conn.connect_mode = "raise"
    record = h.add(conn, NO_BREAKER)
    await h.check()
    await h.run_until(20)
    assert conn.connect_times == [0, 1, 3, 7, 15]
    assert record.state_text() == "failed: ConnectionRefusedError: connection refused"
    assert record.reconnect_attempts == 5


async def test_the_cap_is_per_connection() -> None:
    h = Harness()
    conn = h.fake()
    h.add(conn, ConnectionOptions(backoff_cap_s=300, breaker_threshold=None))
    conn.connect_mode = "raise"
    await h.check()
    await h.run_until(1411)
    gaps = [b - a for a, b in zip(conn.connect_times, conn.connect_times[1:], strict=False)]
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


async def test_a_connection_stuck_connecting_is_restarted_after_120_seconds() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    conn.connect_mode = "hang"
    await h.check()
    await h.run_until(120)
    assert conn.connect_times == [0] and state_of(record) is ConnectionState.CONNECTING
    conn.connect_mode = "ok"
    await h.run_until(121)
    assert conn.cancelled_connects == 1
    assert h.failures() == [(121.0, "connect timeout")]
    assert conn.connect_times == [0, 121]  # first reconnect: no wait
    assert state_of(record) is ConnectionState.CONNECTED


async def test_one_attempt_at_a_time_whatever_the_adapter_reports() -> None:
    h = Harness()
    conn = h.fake()
    h.add(conn)
    conn.connect_mode = "hang"
    await h.check()
    for second in range(1, 100):
        h.monitor.report_failure("venue_ws", "socket closed")
        h.monitor.report_disconnected("venue_ws")
        await h.run_until(second)
    assert conn.connect_times == [0] and conn.most_connecting_at_once == 1
    assert h.monitor.attempt_in_flight("venue_ws") and h.failures() == []


async def test_an_adapter_reported_failure_reconnects_at_the_next_check() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    await h.check()
    await h.run_until(10)
    h.monitor.report_failure("venue_ws", ConnectionResetError("reset by peer"))
    h.monitor.report_failure("venue_ws", "ignored: already failed")
    assert record.state_text() == "failed: ConnectionResetError: reset by peer"
    await h.run_until(11)
    assert conn.connect_times == [0, 11] and record.total_connections == 2
    assert conn.closes == 2  # the broken socket is closed before the new one opens


async def test_a_disconnected_connection_is_restarted_after_60_seconds() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    await h.check()
    await h.run_until(10)
    h.monitor.report_disconnected("venue_ws", "maintenance")
    assert state_of(record) is ConnectionState.DISCONNECTED and record.reason == "maintenance"
    await h.run_until(69)
    assert conn.connect_times == [0] and conn.closes == 2  # closed at the next check
    await h.run_until(70)
    assert conn.connect_times == [0, 70] and state_of(record) is ConnectionState.CONNECTED


async def test_breaker_opens_after_five_failures_and_probes_once_after_300_seconds() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    conn.connect_mode = "raise"
    await h.check()
    await h.run_until(15)
    assert conn.connect_times == [0, 1, 3, 7, 15] and breaker_of(record) is BreakerState.OPEN
    await h.run_until(314)
    assert conn.connect_times == [0, 1, 3, 7, 15]  # nothing tried while open
    refusals = [t for t, reason in h.failures() if reason == BREAKER_OPEN_REASON]
    assert refusals == [31, 61, 91, 121, 151, 181, 211, 241, 271, 301]
    conn.connect_mode = "hang"
    await h.run_until(315)
    assert conn.connect_times[-1] == 315 and breaker_of(record) is BreakerState.HALF_OPEN
    await h.run_until(400)
    assert conn.connect_times.count(315) == 1 and len(conn.connect_times) == 6  # one probe


async def test_a_failed_probe_reopens_the_breaker_and_a_good_one_closes_it() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    conn.connect_mode = "raise"
    await h.check()
    await h.run_until(315)
    assert conn.connect_times[-1] == 315
    assert breaker_of(record) is BreakerState.OPEN and record.breaker_opened_ns == 315 * NS_PER_S
    conn.connect_mode = "ok"
    await h.run_until(614)
    assert conn.connect_times[-1] == 315
    await h.run_until(615)
    assert conn.connect_times[-1] == 615
    assert (
        state_of(record) is ConnectionState.CONNECTED and breaker_of(record) is BreakerState.CLOSED
    )
    assert record.consecutive_failures == 0 and record.reconnect_attempts == 0


async def test_reconnects_wait_while_the_gate_is_closed() -> None:
    h = Harness()
    conn = h.fake()
    market_open = False
    h.add(conn, ConnectionOptions(allow_reconnect=lambda: market_open, data_timeout_s=None))
    await h.run_until(600)
    assert conn.connect_times == []
    market_open = True
    await h.run_until(601)
    assert conn.connect_times == [601]


async def test_failing_close_and_listener_do_not_stop_supervision() -> None:
    h = Harness()
    conn = h.fake()
    conn.close_error = OSError("already closed")
    record = h.add(conn)

    def broken_listener(change: StateChange) -> None:
        raise RuntimeError("listener bug")

    h.monitor.add_listener(broken_listener)
    await h.check()
    assert state_of(record) is ConnectionState.CONNECTED and len(h.changes) == 2


async def test_registration_errors() -> None:
    h = Harness()
    h.add(h.fake("a"))
    with pytest.raises(ValueError, match="already registered"):
        h.add(h.fake("a"))
    with pytest.raises(KeyError):
        h.monitor.record_data("b")
    with pytest.raises(ValueError, match="positive"):
        HealthMonitor(h.clock, interval_s=0)
    assert h.monitor.names == ["a"]


async def test_the_loop_checks_every_interval_and_stop_closes_everything() -> None:
    clock = SimClock()
    ticks = 0

    async def sim_sleep(seconds: float) -> None:
        nonlocal ticks
        ticks += 1
        clock.advance_by(int(seconds * NS_PER_S))
        await asyncio.sleep(0)

    monitor = HealthMonitor(clock, interval_s=2.0, sleep=sim_sleep)
    quick, stuck = FakeConnection("quick", clock), FakeConnection("stuck", clock)
    stuck.connect_mode = "hang"
    monitor.register(quick)
    monitor.register(stuck)
    monitor.start()
    await asyncio.wait_for(monitor.wait_connected("quick"), 1)
    while ticks < 10:
        await asyncio.sleep(0)
    assert clock.monotonic_ns() == 20 * NS_PER_S and len(stuck.connect_times) == 1
    await monitor.stop()
    assert stuck.cancelled_connects == 1 and (quick.closes, stuck.closes) == (2, 2)
    assert all(row["state"] == "disconnected" for row in monitor.snapshot())


async def test_remove_stops_supervising() -> None:
    h = Harness()
    conn = h.fake()
    h.add(conn)
    await h.check()
    await h.monitor.remove("venue_ws")
    await h.run_until(200)
    assert conn.connect_times == [0] and h.monitor.names == []
