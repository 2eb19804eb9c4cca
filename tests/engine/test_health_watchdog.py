"""Liveness of a connected connection: data-silence watchdog, active ping, snapshot."""

from __future__ import annotations

from falconet.engine.health import ConnectionOptions, ConnectionRecord, ConnectionState
from tests.engine.health_fakes import Harness, PingableFake, state_of


async def connected(
    h: Harness, conn: PingableFake, options: ConnectionOptions | None = None
) -> ConnectionRecord:
    record = h.add(conn, options)
    await h.check()
    assert state_of(record) is ConnectionState.CONNECTED
    return record


async def test_silence_for_more_than_60_seconds_fails_and_reconnects() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    await h.check()
    await h.run_until(30)
    h.monitor.record_data("venue_ws")
    await h.run_until(90)
    assert state_of(record) is ConnectionState.CONNECTED  # 60 s of silence is still fine
    await h.run_until(91)
    assert h.failures() == [(91.0, "data timeout")]
    assert conn.connect_times == [0, 91] and record.total_connections == 2
    assert conn.closes == 2  # the silent socket was closed before reconnecting


async def test_steady_data_keeps_a_connection_up() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn)
    await h.check()
    for second in range(1, 500):
        if second % 20 == 0:
            h.monitor.record_data("venue_ws")
        await h.run_until(second)
    assert state_of(record) is ConnectionState.CONNECTED and conn.connect_times == [0]


async def test_the_watchdog_can_be_turned_off() -> None:
    h = Harness()
    conn = h.fake()
    record = h.add(conn, ConnectionOptions(data_timeout_s=None))
    await h.check()
    await h.run_until(3600)
    assert state_of(record) is ConnectionState.CONNECTED


async def test_answered_pings_every_15_seconds_keep_a_quiet_connection_alive() -> None:
    h = Harness()
    conn = PingableFake("kraken_auth_ws", h.clock)
    record = await connected(h, conn)
    await h.run_until(300)
    assert conn.ping_times[:4] == [15, 30, 45, 60] and len(conn.ping_times) == 20
    assert state_of(record) is ConnectionState.CONNECTED and record.ping_failures == 0


async def test_three_unanswered_pings_fail_the_connection() -> None:
    h = Harness()
    conn = PingableFake("venue_ws", h.clock)
    conn.ping_mode = "hang"
    record = await connected(h, conn)
    conn.connect_mode = "hang"  # keep the reconnect from muddying the counts
    await h.run_until(49)
    assert record.ping_failures == 2 and state_of(record) is ConnectionState.CONNECTED
    await h.run_until(50)  # pings at 15, 30, 45, each timing out after 5 s
    assert h.failures() == [(50.0, "ping timeout")]
    assert conn.ping_times == [15, 30, 45]


async def test_pings_answered_false_or_raising_count_as_failures() -> None:
    for mode, failed_at in (("false", 45.0), ("raise", 45.0)):
        h = Harness()
        conn = PingableFake("venue_ws", h.clock)
        conn.ping_mode = mode  # type: ignore[assignment]
        await connected(h, conn)
        conn.connect_mode = "hang"
        await h.run_until(60)
        assert h.failures() == [(failed_at, "ping timeout")], mode


async def test_ping_failures_are_forgiven_while_data_flows() -> None:
    h = Harness()
    conn = PingableFake("kraken_orderbook_ws", h.clock)
    conn.ping_mode = "false"  # a public book that never answers pings
    record = await connected(h, conn)
    for second in range(1, 300):
        if second % 10 == 0:
            h.monitor.record_data("kraken_orderbook_ws")
        await h.run_until(second)
        assert record.ping_failures < 3
    assert state_of(record) is ConnectionState.CONNECTED and h.failures("kraken_orderbook_ws") == []
    assert len(conn.ping_times) >= 19


async def test_forgiveness_needs_data_within_the_last_60_seconds() -> None:
    h = Harness()
    conn = PingableFake("venue_ws", h.clock)
    conn.ping_mode = "false"
    options = ConnectionOptions(data_timeout_s=None)
    record = await connected(h, conn, options)
    conn.connect_mode = "hang"
    h.clock.advance_by(10 * 1_000_000_000)
    h.monitor.record_data("venue_ws")  # the last frame, at 10 s
    await h.run_until(45)
    assert state_of(record) is ConnectionState.CONNECTED and record.ping_failures == 0  # forgiven
    await h.run_until(89)
    assert state_of(record) is ConnectionState.CONNECTED
    await h.run_until(90)  # third failure of the next round; data is 80 s old
    assert h.failures() == [(90.0, "ping timeout")]


async def test_a_connection_without_ping_is_never_pinged() -> None:
    h = Harness()
    conn = PingableFake("venue_ws", h.clock)
    await connected(h, conn, ConnectionOptions(ping_interval_s=None, data_timeout_s=None))
    await h.run_until(120)
    assert conn.ping_times == []


async def test_snapshot_for_the_dashboard() -> None:
    h = Harness()
    up, down = PingableFake("hyperliquid_ws", h.clock), h.fake("lighter_ws")
    h.add(up)
    h.add(down, ConnectionOptions(backoff_cap_s=300, breaker_threshold=None))
    down.connect_mode = "raise"
    await h.check()
    await h.run_until(20)
    h.monitor.record_data("hyperliquid_ws")
    await h.run_until(25)
    rows = {row["name"]: row for row in h.monitor.snapshot()}
    assert list(rows) == ["hyperliquid_ws", "lighter_ws"]
    assert rows["hyperliquid_ws"] == {
        "name": "hyperliquid_ws",
        "state": "connected",
        "uptime_s": 25.0,
        "heartbeat_ok": True,
        "last_data_age_s": 5.0,
        "breaker": "closed",
        "breaker_code": 0,
        "consecutive_failures": 0,
        "ping_failures": 0,
        "reconnect_attempts": 0,
        "next_reconnect_in_s": None,
        "total_connections": 1,
        "reconnecting": False,
    }
    lighter = rows["lighter_ws"]
    assert lighter["state"] == "failed: ConnectionRefusedError: connection refused"
    assert (lighter["heartbeat_ok"], lighter["uptime_s"], lighter["total_connections"]) == (
        False,
        0.0,
        0,
    )
    # failed at 0, 1, 3, 7, 15: the next attempt is 16 s after 15
    assert lighter["reconnect_attempts"] == 5 and lighter["next_reconnect_in_s"] == 6.0
