"""Error classification and retries for venue calls.

Every failure of a venue call falls into one `ErrorKind` (`core.errors`, shared by every
layer). Adapters raise a `VenueError` subclass that carries its kind; anything else (a
socket error, an aiohttp or websockets exception, an HTTP status, a bare message) is
classified by `classify`. Only connection, timeout, rate-limit and venue-unavailable
failures are worth retrying, and `retry` retries nothing else.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import aiohttp
import msgspec
import websockets.exceptions as ws_errors

from falconet.core.errors import ErrorKind, FalconetError
from falconet.observe.log import get_logger

T = TypeVar("T")
log = get_logger("retry")


def is_retriable(kind: ErrorKind) -> bool:
    """Connection, timeout, rate-limit and venue-unavailable errors may succeed if tried
    again."""
    return kind.retriable


# --- typed errors -------------------------------------------------------------------------


class VenueError(FalconetError):
    """A failed venue call, with its kind. Subclasses fix the kind; `VenueError(msg,
    kind=...)` sets it explicitly. `status` is the HTTP status when there was one."""

    default_kind: ClassVar[ErrorKind] = ErrorKind.OTHER

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | None = None,
        status: int | None = None,
        venue: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = self.default_kind if kind is None else kind
        self.status = status
        self.venue = venue

    @classmethod
    def from_status(cls, status: int, message: str, *, venue: str | None = None) -> VenueError:
        """The typed error for an HTTP error response (429 → RateLimitError, 5xx →
        VenueServerError, 401/403 → AuthError, other 4xx → InvalidRequestError)."""
        kind = classify_status(status)
        return error_class(kind)(f"HTTP {status}: {message}", kind=kind, status=status, venue=venue)


class VenueConnectionError(VenueError):
    default_kind = ErrorKind.CONNECTION


class VenueTimeoutError(VenueError):
    default_kind = ErrorKind.TIMEOUT


class RateLimitError(VenueError):
    """`retry_after_s` is the venue's own wait hint (a Retry-After header), if any;
    `retry` waits at least that long, within its cap."""

    default_kind = ErrorKind.RATE_LIMIT

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | None = None,
        status: int | None = None,
        venue: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, kind=kind, status=status, venue=venue)
        self.retry_after_s = retry_after_s


class VenueServerError(VenueError):
    default_kind = ErrorKind.VENUE_UNAVAILABLE


class VenueParseError(VenueError):
    default_kind = ErrorKind.PARSE_ERROR


class OrderRejectedError(VenueError):
    """The venue understood the request and refused it (balance, post-only, limits);
    the adapter gives the specific kind when it knows it."""

    default_kind = ErrorKind.OTHER


class InvalidRequestError(VenueError):
    """The request was malformed or not allowed (bad field, unknown symbol)."""

    default_kind = ErrorKind.INVALID_REQUEST


class AuthError(VenueError):
    """Credentials, signature or permissions were refused."""

    default_kind = ErrorKind.AUTH


_CLASS_OF_KIND: dict[ErrorKind, type[VenueError]] = {
    ErrorKind.CONNECTION: VenueConnectionError,
    ErrorKind.TIMEOUT: VenueTimeoutError,
    ErrorKind.RATE_LIMIT: RateLimitError,
    ErrorKind.VENUE_UNAVAILABLE: VenueServerError,
    ErrorKind.PARSE_ERROR: VenueParseError,
    ErrorKind.INVALID_REQUEST: InvalidRequestError,
    ErrorKind.AUTH: AuthError,
}


def error_class(kind: ErrorKind) -> type[VenueError]:
    """The typed error for a kind: refusals are OrderRejectedError with that kind."""
    default = VenueError if kind is ErrorKind.OTHER else OrderRejectedError
    return _CLASS_OF_KIND.get(kind, default)


def to_venue_error(exc: BaseException, *, venue: str | None = None) -> VenueError:
    """`exc` as a typed VenueError (itself if it already is one), chained to the original,
    so an adapter never lets a transport library's exception past its boundary."""
    if isinstance(exc, VenueError):
        return exc
    kind = classify(exc)
    error = error_class(kind)(describe_error(exc), kind=kind, status=_status_of(exc), venue=venue)
    error.__cause__ = exc
    return error


def describe_error(exc: BaseException) -> str:
    """One line: the message, prefixed by the type when that adds information."""
    try:
        text = str(exc).strip().replace("\n", " ")
    except Exception:  # some libraries' __str__ fails on a half-built exception
        text = ""
    name = type(exc).__name__
    if isinstance(exc, VenueError):
        return text or name
    return f"{name}: {text}" if text else name


# --- classification -----------------------------------------------------------------------


def classify_status(status: int) -> ErrorKind:
    """The kind of an HTTP status. 418 is Binance's ban after ignored 429s: a rate limit."""
    if status in (429, 418):
        return ErrorKind.RATE_LIMIT
    if status == 408:
        return ErrorKind.TIMEOUT
    if 500 <= status <= 599:
        return ErrorKind.VENUE_UNAVAILABLE
    if status in (401, 403):
        return ErrorKind.AUTH
    if 400 <= status <= 499:
        return ErrorKind.INVALID_REQUEST
    return ErrorKind.OTHER


# Checked in order, on the lower-cased "TypeName: message". Definitive answers (rate limit,
# refusals, invalid, unparseable) come before the transient ones: retrying a request the
# venue refused can duplicate an order, not retrying a transient failure costs one call.
# Numbers are whole words so that a price such as 1500 is not read as a status. Adapters
# map their venue's own texts first (venues/<name>/errors.py); these are the fallback.
_TEXT_RULES: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (ErrorKind.RATE_LIMIT, r"rate[ _-]?limit|too many (cumulative )?requests|throttl|\b429\b"),
        (ErrorKind.INSUFFICIENT_FUNDS, r"insufficient|not enough|buying power"),
        (ErrorKind.POST_ONLY_WOULD_CROSS, r"post[ _-]?only"),
        (ErrorKind.REDUCE_ONLY, r"reduce[ _-]?only"),
        (ErrorKind.AUTH, r"unauthori[sz]ed|forbidden|invalid signature|api key"),
        (ErrorKind.OTHER, r"reject"),
        (ErrorKind.INVALID_REQUEST, r"invalid|bad request|not found"),
        (
            ErrorKind.PARSE_ERROR,
            r"(failed|unable|could not) to parse|pars(e|ing) error|decode ?error|malformed",
        ),
        (ErrorKind.TIMEOUT, r"timed? ?out"),
        (
            ErrorKind.VENUE_UNAVAILABLE,
            r"\b50[0234]\b|server error|bad gateway|service unavailable|maintenance",
        ),
        (
            ErrorKind.CONNECTION,
            r"closed socket|channel_closed|tls:|end_of_file|connection|network|reset"
            r"|broken pipe|websocket|socket|disconnect|refused|unreachable|\beof\b",
        ),
    )
)


def classify_text(text: str) -> ErrorKind:
    """Substring rules for errors known only by their message (see docs/engine.md)."""
    lowered = text.lower()
    for kind, pattern in _TEXT_RULES:
        if pattern.search(lowered):
            return kind
    return ErrorKind.OTHER


def classify(error: BaseException | str | int) -> ErrorKind:
    """The kind of an exception, an error message, or an HTTP status code.

    Exceptions are judged by type first (VenueError's own kind, timeouts, HTTP statuses,
    decoder errors, socket and websocket errors), then by the exception they were raised
    from, then by their text.
    """
    if isinstance(error, bool):
        return ErrorKind.OTHER
    if isinstance(error, int):
        return classify_status(error)
    if isinstance(error, str):
        return classify_text(error)
    if isinstance(error, VenueError):
        return error.kind  # the adapter's word is final, even "other"
    kind = _classify_type(error)
    if kind is ErrorKind.OTHER and error.__cause__ is not None:
        kind = _classify_type(error.__cause__)
    if kind is ErrorKind.OTHER and not isinstance(error, asyncio.CancelledError):
        kind = classify_text(describe_error(error))
    return kind


_PARSE_TYPES = (
    json.JSONDecodeError,
    msgspec.DecodeError,
    UnicodeDecodeError,
    aiohttp.ContentTypeError,
    aiohttp.WSMessageTypeError,
)
# Only the network side of OSError: a missing file is not a connection problem.
_CONNECTION_TYPES = (
    ConnectionError,
    EOFError,
    socket.gaierror,
    socket.herror,
    ssl.SSLError,
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    aiohttp.WebSocketError,
    aiohttp.EofStream,
)


def _classify_type(exc: BaseException) -> ErrorKind:
    if isinstance(exc, VenueError):
        return exc.kind
    if isinstance(exc, asyncio.CancelledError):
        return ErrorKind.OTHER  # a cancellation is an order to stop, never a failure
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError and aiohttp's timeouts too
        return ErrorKind.TIMEOUT
    status = _status_of(exc)
    if status is not None and status >= 400:
        return classify_status(status)
    if isinstance(exc, _PARSE_TYPES):
        return ErrorKind.PARSE_ERROR
    if isinstance(exc, aiohttp.InvalidURL | ws_errors.InvalidURI | ws_errors.InvalidProxy):
        return ErrorKind.INVALID_REQUEST  # a configuration mistake; retrying cannot help
    if isinstance(exc, _CONNECTION_TYPES) or type(exc) is OSError:
        return ErrorKind.CONNECTION
    if isinstance(exc, ws_errors.ConcurrencyError):
        return ErrorKind.OTHER  # two readers on one socket: a bug, not the network
    if isinstance(exc, ws_errors.WebSocketException):
        return ErrorKind.CONNECTION
    return ErrorKind.OTHER


def _status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries: aiohttp's `.status`, websockets'
    `.response.status_code`, or a `status` / `status_code` attribute of an adapter's own."""
    for holder in (exc, getattr(exc, "response", None)):
        if holder is None:
            continue
        for attribute in ("status", "status_code"):
            value = getattr(holder, attribute, None)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


# --- retries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` calls in all; the wait after failed call n is
    `min(max_delay_s, base_delay_s * multiplier**(n-1))`, so 1 s then 2 s by default.
    `jitter` (0..1) shortens each wait by a random fraction up to itself; 0 keeps
    the waits exact."""

    attempts: int = 3
    base_delay_s: float = 1.0
    multiplier: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"retry attempts must be at least 1, got {self.attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("retry delays must not be negative")
        if self.multiplier < 1:
            raise ValueError(f"retry multiplier must be at least 1, got {self.multiplier}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"retry jitter must be between 0 and 1, got {self.jitter}")

    def delay_s(self, failed_attempt: int, rng: random.Random | None = None) -> float:
        """The wait after the `failed_attempt`-th call (1-based) failed."""
        delay = min(self.max_delay_s, self.base_delay_s * self.multiplier ** (failed_attempt - 1))
        if self.jitter:
            draw = rng.random() if rng is not None else random.random()
            delay *= 1.0 - self.jitter * draw
        return delay


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """What `retry` tells `on_retry` before it waits: call `attempt` failed with `error`."""

    attempt: int
    error: Exception
    kind: ErrorKind
    delay_s: float


async def retry(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    on_retry: Callable[[RetryNotice], object] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Await `fn()` until it succeeds, retrying retriable failures as `policy` says.

    A non-retriable failure, or the failure of the last attempt, is re-raised as is.
    Cancellation is never caught. A RateLimitError's `retry_after_s` lengthens the wait,
    up to the policy's cap.
    """
    attempt = 1
    while True:
        try:
            return await fn()
        except Exception as exc:
            kind = classify(exc)
            if not kind.retriable or attempt >= policy.attempts:
                raise
            delay = policy.delay_s(attempt, rng)
            hint = getattr(exc, "retry_after_s", None)
            if isinstance(hint, int | float) and hint > delay:
                delay = min(float(hint), policy.max_delay_s)
            notice = RetryNotice(attempt, exc, kind, delay)
            log.info(
                "retrying after %s error",
                kind,
                attempt=attempt,
                delay_s=delay,
                error=describe_error(exc),
            )
            if on_retry is not None:
                on_retry(notice)
        await sleep(delay)
        attempt += 1
