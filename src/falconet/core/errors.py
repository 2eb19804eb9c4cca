"""Exception types shared by every layer.

Errors are classes, never integer codes. Every message is one line that says what was
wrong and where, so the CLI can print it as is.
"""

from __future__ import annotations

from enum import StrEnum


class FalconetError(Exception):
    """Base of every error falconet raises on purpose."""


class PrecisionError(FalconetError, ValueError):
    """A price or size is not representable, or breaks a venue's precision rule."""


class BelowMinimumError(PrecisionError):
    """A size or order value below the venue's minimum."""


class InvalidTransitionError(FalconetError):
    """An order event that the order's current state does not allow."""


class ClientIdError(FalconetError, ValueError):
    """A client order id that cannot be encoded or decoded."""


class ConfigError(FalconetError):
    """Invalid configuration; the message names the file, the field path and the reason."""


class ErrorKind(StrEnum):
    """Why a venue call or an order request failed: one name per meaning, the same for
    every venue, the simulator and the risk engine. Adapters map their venue's codes and
    texts onto it (the original text is kept for logs); strategies and the retry policy
    switch on it, never on wording."""

    # the request may not have arrived, or the venue could not serve it: worth retrying
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    RATE_LIMIT = "rate_limit"
    VENUE_UNAVAILABLE = "venue_unavailable"  # 5xx, maintenance, cancel-only mode
    # the venue understood and refused
    INSUFFICIENT_FUNDS = "insufficient_funds"  # balance, margin, buying power
    POST_ONLY_WOULD_CROSS = "post_only_would_cross"
    BELOW_MINIMUM = "below_minimum"  # minimum size or order value
    BAD_PRECISION = "bad_precision"  # price tick, size lot, significant figures
    UNKNOWN_ORDER = "unknown_order"  # cancel/amend of an order the venue does not have
    REDUCE_ONLY = "reduce_only"  # a reduce-only order that would not reduce
    MARKET_CLOSED = "market_closed"  # outside the session, halted symbol
    NO_LIQUIDITY = "no_liquidity"  # an IOC/FOK/market order with nothing to match
    DUPLICATE = "duplicate"  # a client id already used, or an order already in flight
    AUTH = "auth"  # key, signature, permission
    INVALID_REQUEST = "invalid_request"  # malformed, unknown symbol, any other 4xx
    # refused before it left the process
    RISK = "risk"  # a risk rule (its name is in the event's `rule`)
    SHUTTING_DOWN = "shutting_down"
    # the answer could not be read
    PARSE_ERROR = "parse_error"
    OTHER = "other"

    @property
    def retriable(self) -> bool:
        return self in _RETRIABLE


_RETRIABLE = frozenset(
    {ErrorKind.CONNECTION, ErrorKind.TIMEOUT, ErrorKind.RATE_LIMIT, ErrorKind.VENUE_UNAVAILABLE}
)


def precision_kind(exc: PrecisionError) -> ErrorKind:
    """A precision check's refusal: below a venue minimum, or off the price/size grid."""
    below = isinstance(exc, BelowMinimumError)
    return ErrorKind.BELOW_MINIMUM if below else ErrorKind.BAD_PRECISION
