"""The connection record on its own: transitions, backoff, breaker and timers."""

from __future__ import annotations

import pytest

from falconet.core.clock import NS_PER_S
from falconet.engine.health import (
    BREAKER_OPEN_REASON,
    BreakerState,
    ConnectionOptions,
    ConnectionRecord,
    ConnectionState,
    reconnect_delay_s,
)
from tests.engine.health_fakes import breaker_of, state_of

S = NS_PER_S


def test_backoff_is_zero_first_then_doubles_up_to_the_cap() -> None:
    assert [reconnect_delay_s(n, 30) for n in range(1, 9)] == [0, 2, 4, 8, 16, 30, 30, 30]
    assert [reconnect_delay_s(n, 300) for n in range(1, 12)] == [
        0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300,
    ]  # fmt: skip
    assert reconnect_delay_s(0, 30) == 0
    assert reconnect_delay_s(10_000, 30) == 30  # no overflow after days of failures


def test_entering_connected_resets_counters_and_counts_the_connection() -> None:
    record = ConnectionRecord("kraken_auth_ws", ConnectionOptions())
    record.connecting(0)
    record.failed(1 * S, "refused")
    record.ping_failures = 2
    assert (record.reconnect_attempts, record.consecutive_failures) == (1, 1)
    change = record.connected(5 * S)
    assert state_of(record) is ConnectionState.CONNECTED and record.reason == ""
    assert (record.ping_failures, record.reconnect_attempts, record.consecutive_failures) == (
        0,
        0,
        0,
    )
    assert record.total_connections == 1 and record.last_connected_ns == 5 * S
    assert (change.old, change.new, change.total_connections) == (
        ConnectionState.FAILED,
        ConnectionState.CONNECTED,
        1,
    )


def test_entering_failed_counts_an_attempt_and_marks_the_disconnect() -> None:
    record = ConnectionRecord("hyperliquid_ws", ConnectionOptions())
    record.connected(0)
    record.failed(70 * S, "data timeout")
    assert record.state_text() == "failed: data timeout"
    assert record.reconnect_attempts == 1 and record.last_disconnected_ns == 70 * S
    assert record.next_attempt_ns() == 70 * S  # the first reconnect waits 0 s
    record.connecting(70 * S)
    record.failed(70 * S, "refused")
    assert record.next_attempt_ns() == 72 * S


def test_breaker_opens_after_five_consecutive_failures() -> None:
    record = ConnectionRecord("lighter_ws", ConnectionOptions(backoff_cap_s=300))
    for second in range(4):
        record.failed(second * S, "refused")
        assert breaker_of(record) is BreakerState.CLOSED
    record.failed(4 * S, "refused")
    assert breaker_of(record) is BreakerState.OPEN and record.breaker_opened_ns == 4 * S
    assert not record.breaker_allows(303 * S)
    # Refusals by the open breaker grow the backoff but do not restart the cool-down.
    record.failed(200 * S, BREAKER_OPEN_REASON, counts_as_failure=False)
    assert record.consecutive_failures == 5 and record.reconnect_attempts == 6
    assert record.breaker_opened_ns == 4 * S
    assert record.probe_due(304 * S) and record.breaker_allows(304 * S)
    assert breaker_of(record) is BreakerState.HALF_OPEN


def test_a_failed_probe_reopens_and_a_successful_one_closes() -> None:
    record = ConnectionRecord("alpaca_data_ws", ConnectionOptions())
    for second in range(5):
        record.failed(second * S, "refused")
    assert record.breaker_allows(305 * S)
    record.failed(305 * S, "refused")
    assert breaker_of(record) is BreakerState.OPEN and record.breaker_opened_ns == 305 * S
    assert record.breaker_allows(605 * S)
    record.connected(605 * S)
    assert breaker_of(record) is BreakerState.CLOSED and record.consecutive_failures == 0


def test_breaker_can_be_disabled_or_made_stricter() -> None:
    never = ConnectionRecord("a", ConnectionOptions(breaker_threshold=None))
    strict = ConnectionRecord("b", ConnectionOptions(breaker_threshold=1))
    for second in range(20):
        never.failed(second * S, "refused")
    strict.failed(0, "refused")
    assert never.breaker is BreakerState.CLOSED and strict.breaker is BreakerState.OPEN


def test_dashboard_codes() -> None:
    codes = [BreakerState.CLOSED.code, BreakerState.OPEN.code, BreakerState.HALF_OPEN.code]
    assert codes == [0, 1, 2]


def test_timers() -> None:
    record = ConnectionRecord("x", ConnectionOptions())
    assert record.reconnect_due(0)  # never connected: connect at once
    record.connecting(10 * S)
    assert not record.connecting_timed_out(130 * S) and record.connecting_timed_out(131 * S)
    record.connected(200 * S)
    assert not record.ping_due(214 * S) and record.ping_due(215 * S)
    record.last_ping_sent_ns = 215 * S
    assert not record.ping_timed_out(219 * S) and record.ping_timed_out(220 * S)
    assert not record.data_timed_out(260 * S) and record.data_timed_out(261 * S)
    record.last_pong_ns = 230 * S  # a pong is a sign of life too
    assert not record.data_timed_out(261 * S) and record.data_timed_out(291 * S)
    record.disconnected(300 * S)
    assert not record.reconnect_due(359 * S) and record.reconnect_due(360 * S)


def test_snapshot_of_a_fresh_record() -> None:
    row = ConnectionRecord("ibkr_gateway", ConnectionOptions(data_timeout_s=None)).snapshot(0)
    assert row == {
        "name": "ibkr_gateway",
        "state": "disconnected",
        "uptime_s": 0.0,
        "heartbeat_ok": False,
        "last_data_age_s": None,
        "breaker": "closed",
        "breaker_code": 0,
        "consecutive_failures": 0,
        "ping_failures": 0,
        "reconnect_attempts": 0,
        "next_reconnect_in_s": None,
        "total_connections": 0,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backoff_cap_s": -1.0}, "backoff cap"),
        ({"ping_failure_limit": 0}, "ping failure limit"),
        ({"breaker_threshold": 0}, "breaker threshold"),
    ],
)
def test_options_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConnectionOptions(**kwargs)  # type: ignore[arg-type]
