"""Error kinds: classification by type, status and text; typed venue errors; retries."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl

import aiohttp
import msgspec
import pytest
import websockets.exceptions as ws_errors
from multidict import CIMultiDict, CIMultiDictProxy
from websockets.datastructures import Headers
from websockets.http11 import Response
from yarl import URL

from falconet.core.errors import ErrorKind
from falconet.engine.errors import (
    DEFAULT_RETRY_POLICY,
    InvalidRequestError,
    OrderRejectedError,
    RateLimitError,
    RetryNotice,
    RetryPolicy,
    VenueConnectionError,
    VenueError,
    VenueParseError,
    VenueServerError,
    VenueTimeoutError,
    classify,
    classify_status,
    describe_error,
    is_retriable,
    retry,
    to_venue_error,
)

K = ErrorKind
REQUEST = aiohttp.RequestInfo(
    URL("https://venue.test/order"), "POST", CIMultiDictProxy(CIMultiDict())
)


def http_error(
    status: int, cls: type[aiohttp.ClientResponseError] = aiohttp.ClientResponseError
) -> aiohttp.ClientResponseError:
    return cls(REQUEST, (), status=status, message="boom")


def ws_status(status: int) -> ws_errors.InvalidStatus:
    return ws_errors.InvalidStatus(Response(status, "status", Headers()))


# --- kinds ---------------------------------------------------------------------------------


def test_only_connection_timeout_rate_limit_and_server_errors_are_retriable() -> None:
    retriable = {kind for kind in ErrorKind if is_retriable(kind)}
    assert retriable == {K.CONNECTION, K.TIMEOUT, K.RATE_LIMIT, K.VENUE_UNAVAILABLE}
    assert all(kind.retriable == is_retriable(kind) for kind in ErrorKind)


# --- by exception type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError("read"), K.TIMEOUT),  # asyncio.TimeoutError is this class since 3.11
        (aiohttp.ServerTimeoutError("slow"), K.TIMEOUT),
        (aiohttp.ConnectionTimeoutError(), K.TIMEOUT),
        (ConnectionResetError(), K.CONNECTION),
        (ConnectionRefusedError(), K.CONNECTION),
        (BrokenPipeError(), K.CONNECTION),
        (EOFError(), K.CONNECTION),
        (asyncio.IncompleteReadError(b"", 10), K.CONNECTION),
        (socket.gaierror(-2, "Name or service not known"), K.CONNECTION),
        (ssl.SSLError("bad record"), K.CONNECTION),
        (OSError(101, "Network is unreachable"), K.CONNECTION),
        (aiohttp.ServerDisconnectedError(), K.CONNECTION),
        (aiohttp.ClientConnectorError(None, OSError(111, "refused")), K.CONNECTION),  # type: ignore[arg-type]
        (aiohttp.ClientPayloadError("truncated"), K.CONNECTION),
        (aiohttp.WebSocketError(1006, "abnormal"), K.CONNECTION),
        (ws_errors.ConnectionClosedError(None, None), K.CONNECTION),
        (ws_errors.ConnectionClosedOK(None, None), K.CONNECTION),
        (ws_errors.InvalidMessage("bad handshake"), K.CONNECTION),
        (ws_errors.ProtocolError("bad frame"), K.CONNECTION),
        (ws_errors.InvalidURI("ftp://x", "not a ws uri"), K.INVALID_REQUEST),
        (aiohttp.InvalidURL("not a url"), K.INVALID_REQUEST),
        (ws_errors.ConcurrencyError("two readers"), K.OTHER),
        (json.JSONDecodeError("Expecting value", "x", 0), K.PARSE_ERROR),
        (msgspec.DecodeError("truncated"), K.PARSE_ERROR),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), K.PARSE_ERROR),
        (asyncio.CancelledError(), K.OTHER),
        (KeyError("px"), K.OTHER),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_exception_types_are_classified_before_their_text(exc: BaseException, kind: K) -> None:
    assert classify(exc) is kind


def test_a_missing_file_is_not_a_connection_problem() -> None:
    assert classify(FileNotFoundError(2, "No such file or directory")) is K.OTHER
    assert classify(PermissionError(13, "Permission denied")) is K.OTHER


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, K.RATE_LIMIT),
        (418, K.RATE_LIMIT),
        (408, K.TIMEOUT),
        (500, K.VENUE_UNAVAILABLE),
        (502, K.VENUE_UNAVAILABLE),
        (503, K.VENUE_UNAVAILABLE),
        (504, K.VENUE_UNAVAILABLE),
        (599, K.VENUE_UNAVAILABLE),
        (400, K.INVALID_REQUEST),
        (401, K.AUTH),
        (403, K.AUTH),
        (404, K.INVALID_REQUEST),
        (422, K.INVALID_REQUEST),
        (200, K.OTHER),
        (302, K.OTHER),
    ],
)
def test_http_statuses(status: int, kind: K) -> None:
    assert classify_status(status) is kind
    assert classify(status) is kind
    if status >= 400:
        assert classify(http_error(status)) is kind
        assert classify(ws_status(status)) is kind


def test_statuses_of_handshakes_and_adapters_own_exceptions() -> None:
    assert classify(http_error(503, aiohttp.WSServerHandshakeError)) is K.VENUE_UNAVAILABLE
    assert classify(http_error(429, aiohttp.ClientHttpProxyError)) is K.RATE_LIMIT
    # A JSON body with the wrong content type on a 200 is a parse problem...
    assert classify(http_error(200, aiohttp.ContentTypeError)) is K.PARSE_ERROR
    # ...but an HTML error page from a proxy is judged by its status.
    assert classify(http_error(502, aiohttp.ContentTypeError)) is K.VENUE_UNAVAILABLE

    class HttpFailureError(Exception):
        def __init__(self, status_code: int) -> None:
            super().__init__("request failed")
            self.status_code = status_code

    assert classify(HttpFailureError(429)) is K.RATE_LIMIT
    assert classify(True) is K.OTHER  # a bool is not a status


def test_the_cause_is_consulted_when_the_error_itself_says_nothing() -> None:
    try:
        try:
            raise ConnectionResetError
        except ConnectionResetError as cause:
            raise RuntimeError("send failed") from cause
    except RuntimeError as wrapped:
        assert classify(wrapped) is K.CONNECTION


# --- typed venue errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (VenueConnectionError, K.CONNECTION),
        (VenueTimeoutError, K.TIMEOUT),
        (RateLimitError, K.RATE_LIMIT),
        (VenueServerError, K.VENUE_UNAVAILABLE),
        (VenueParseError, K.PARSE_ERROR),
        (OrderRejectedError, K.OTHER),
        (InvalidRequestError, K.INVALID_REQUEST),
        (VenueError, K.OTHER),
    ],
)
def test_typed_errors_carry_their_kind(cls: type[VenueError], kind: K) -> None:
    # The kind wins over a misleading message.
    error = cls("connection rejected: timeout")
    assert error.kind is kind
    assert classify(error) is kind


def test_an_explicit_kind_and_the_status_factory() -> None:
    assert classify(VenueError("EGeneral:Temporary lockout", kind=K.RATE_LIMIT)) is K.RATE_LIMIT
    error = VenueError.from_status(429, "slow down", venue="kraken")
    assert isinstance(error, RateLimitError)
    assert (error.status, error.venue, str(error)) == (429, "kraken", "HTTP 429: slow down")
    assert isinstance(VenueError.from_status(503, "down"), VenueServerError)
    assert isinstance(VenueError.from_status(400, "bad"), InvalidRequestError)


def test_to_venue_error_keeps_typed_errors_and_wraps_the_rest() -> None:
    typed = OrderRejectedError("post-only would cross")
    assert to_venue_error(typed) is typed
    reset = ConnectionResetError("Connection reset by peer")
    wrapped = to_venue_error(reset, venue="hyperliquid")
    assert isinstance(wrapped, VenueConnectionError)
    assert wrapped.__cause__ is reset and wrapped.venue == "hyperliquid"
    assert str(wrapped) == "ConnectionResetError: Connection reset by peer"
    from_http = to_venue_error(http_error(503))
    assert isinstance(from_http, VenueServerError) and from_http.status == 503


def test_describe_error() -> None:
    assert describe_error(ValueError("bad\nvalue")) == "ValueError: bad value"
    assert describe_error(ConnectionResetError()) == "ConnectionResetError"
    assert describe_error(OrderRejectedError("too small")) == "too small"
    assert describe_error(aiohttp.ClientResponseError(None, (), status=500)) == (  # type: ignore[arg-type]
        "ClientResponseError"
    )


# --- by text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # the classic substrings
        ("read on closed socket", K.CONNECTION),
        ("Channel_closed", K.CONNECTION),
        ("TLS: handshake failure", K.CONNECTION),
        ("End_of_file", K.CONNECTION),
        ("Connection lost", K.CONNECTION),
        ("network is down", K.CONNECTION),
        ("reset by peer", K.CONNECTION),
        ("Broken pipe", K.CONNECTION),
        ("WebSocket closed", K.CONNECTION),
        ("socket error", K.CONNECTION),
        ("request timeout", K.TIMEOUT),
        ("operation timed out", K.TIMEOUT),
        ("Rate limit exceeded", K.RATE_LIMIT),
        ("429 Too Many Requests", K.RATE_LIMIT),
        ("Too many cumulative requests sent", K.RATE_LIMIT),
        ("HTTP 500", K.VENUE_UNAVAILABLE),
        ("502 Bad Gateway", K.VENUE_UNAVAILABLE),
        ("503", K.VENUE_UNAVAILABLE),
        ("status 504", K.VENUE_UNAVAILABLE),
        ("Failed to parse response", K.PARSE_ERROR),
        ("Order rejected", K.OTHER),
        ("invalid price", K.INVALID_REQUEST),
        ("something else entirely", K.OTHER),
        # extensions
        ("EAPI:Rate limit exceeded", K.RATE_LIMIT),
        ("request throttled", K.RATE_LIMIT),
        ("Insufficient margin", K.INSUFFICIENT_FUNDS),
        ("not enough buying power", K.INSUFFICIENT_FUNDS),
        ("Post only order would cross", K.POST_ONLY_WOULD_CROSS),
        ("Reduce-only order would increase the position", K.REDUCE_ONLY),
        ("401 Unauthorized", K.AUTH),
        ("Invalid signature", K.AUTH),
        ("order not found", K.INVALID_REQUEST),
        ("JSON decode error", K.PARSE_ERROR),
        ("malformed frame", K.PARSE_ERROR),
        ("Internal Server Error", K.VENUE_UNAVAILABLE),
        ("connection refused", K.CONNECTION),
        ("unexpected EOF", K.CONNECTION),
    ],
)
def test_text_rules(text: str, kind: K) -> None:
    assert classify(text) is kind
    assert classify(RuntimeError(text)) is kind


def test_text_rules_put_definitive_answers_first_and_read_numbers_as_words() -> None:
    assert classify("order rejected: rate limit") is K.RATE_LIMIT
    assert classify("rejected: connection not authorised") is K.OTHER
    assert classify("invalid order: websocket session") is K.INVALID_REQUEST
    assert classify("gateway connection timed out") is K.TIMEOUT
    assert classify("price 1500 rejected") is K.OTHER
    assert classify("size 5000 filled") is K.OTHER


def test_the_type_name_counts_when_the_message_is_empty() -> None:
    class SocketClosedError(Exception):
        pass

    class RateLimitExceededError(Exception):
        pass

    assert classify(SocketClosedError()) is K.CONNECTION
    assert classify(RateLimitExceededError()) is K.RATE_LIMIT


# --- retry policy --------------------------------------------------------------------------


def test_default_policy_three_attempts_one_second_doubling_capped_at_thirty() -> None:
    policy = DEFAULT_RETRY_POLICY
    assert (policy.attempts, policy.base_delay_s, policy.multiplier, policy.max_delay_s) == (
        3,
        1.0,
        2.0,
        30.0,
    )
    assert [policy.delay_s(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_jitter_only_shortens_and_is_reproducible_with_a_seeded_rng() -> None:
    policy = RetryPolicy(jitter=0.5)
    first = [policy.delay_s(n, random.Random(7)) for n in range(1, 7)]
    again = [policy.delay_s(n, random.Random(7)) for n in range(1, 7)]
    assert first == again
    exact = [RetryPolicy().delay_s(n) for n in range(1, 7)]
    assert all(e / 2 <= d <= e for d, e in zip(first, exact, strict=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"base_delay_s": -1.0},
        {"max_delay_s": -1.0},
        {"multiplier": 0.5},
        {"jitter": 1.5},
    ],
)
def test_policy_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="retry"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


class Flaky:
    """Fails with the given errors, in order, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_retry_recovers_from_retriable_failures() -> None:
    fn, sleep = Flaky(ConnectionResetError(), VenueServerError("503")), Sleeps()
    notices: list[RetryNotice] = []
    assert await retry(fn, sleep=sleep, on_retry=notices.append) == "ok"
    assert fn.calls == 3 and sleep.delays == [1.0, 2.0]
    assert [(n.attempt, n.kind, n.delay_s) for n in notices] == [
        (1, K.CONNECTION, 1.0),
        (2, K.VENUE_UNAVAILABLE, 2.0),
    ]


async def test_retry_reraises_a_non_retriable_failure_at_once() -> None:
    rejected = OrderRejectedError("insufficient balance")
    fn, sleep = Flaky(rejected), Sleeps()
    with pytest.raises(OrderRejectedError) as caught:
        await retry(fn, sleep=sleep)
    assert caught.value is rejected and fn.calls == 1 and sleep.delays == []


async def test_retry_reraises_the_last_error_when_attempts_run_out() -> None:
    last = TimeoutError("third")
    fn, sleep = Flaky(TimeoutError("first"), TimeoutError("second"), last), Sleeps()
    with pytest.raises(TimeoutError) as caught:
        await retry(fn, sleep=sleep)
    assert caught.value is last and fn.calls == 3 and sleep.delays == [1.0, 2.0]


async def test_retry_honours_a_rate_limit_hint_within_the_cap() -> None:
    fn = Flaky(
        RateLimitError("slow", retry_after_s=12.0), RateLimitError("slower", retry_after_s=90)
    )
    sleep = Sleeps()
    policy = RetryPolicy(attempts=3)
    assert await retry(fn, policy, sleep=sleep) == "ok"
    assert sleep.delays == [12.0, 30.0]


async def test_retry_with_one_attempt_never_waits() -> None:
    fn, sleep = Flaky(ConnectionResetError()), Sleeps()
    with pytest.raises(ConnectionResetError):
        await retry(fn, RetryPolicy(attempts=1), sleep=sleep)
    assert sleep.delays == []


async def test_retry_does_not_swallow_cancellation() -> None:
    async def cancelled() -> str:
        raise asyncio.CancelledError

    sleep = Sleeps()
    with pytest.raises(asyncio.CancelledError):
        await retry(cancelled, sleep=sleep)
    assert sleep.delays == []
