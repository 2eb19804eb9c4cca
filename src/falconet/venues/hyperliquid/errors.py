"""Hyperliquid's refusals as `ErrorKind`s: the texts of `/exchange` answers and the
`...Rejected` / `...Canceled` statuses of orderStatus and orderUpdates.

The venue's words stay in the event's `reason` for logs; strategies and the retry policy
read only the kind. Texts are matched on their stable prefix (the venue appends details
such as ` asset=3` or the bbo); anything not listed falls back to the generic text rules
of `engine.errors.classify_text`.
"""

from __future__ import annotations

from falconet.core.errors import ErrorKind
from falconet.engine.errors import classify_text

K = ErrorKind

# lower-cased starts of texts that name something first ("Vault 0x… does not exist.")
_PREFIXES: tuple[tuple[str, ErrorKind], ...] = (
    ("vault ", K.AUTH),
    ("l1 error: user or api wallet", K.AUTH),
    ("user or api wallet", K.AUTH),
)
# lower-cased fragments of the venue's error texts, first match wins
_TEXTS: tuple[tuple[str, ErrorKind], ...] = (
    ("post only order would have immediately matched", K.POST_ONLY_WOULD_CROSS),
    ("insufficient margin", K.INSUFFICIENT_FUNDS),
    ("insufficient spot balance", K.INSUFFICIENT_FUNDS),
    ("order must have minimum value", K.BELOW_MINIMUM),
    ("order has invalid size", K.BAD_PRECISION),
    ("order has zero size", K.BAD_PRECISION),
    ("price must be divisible by tick size", K.BAD_PRECISION),
    ("invalid tp/sl price", K.BAD_PRECISION),
    ("reduce only order would increase position", K.REDUCE_ONLY),
    ("order could not immediately match", K.NO_LIQUIDITY),
    ("no liquidity available for market order", K.NO_LIQUIDITY),
    ("order was never placed, already canceled, or filled", K.UNKNOWN_ORDER),
    ("order was already filled", K.UNKNOWN_ORDER),
    ("cannot modify canceled or filled order", K.UNKNOWN_ORDER),
    ("duplicate cloid", K.DUPLICATE),
    ("duplicate client order id", K.DUPLICATE),
    ("invalid signature", K.AUTH),
    ("agent cannot approve agents", K.AUTH),
    ("does not support", K.INVALID_REQUEST),
    ("invalid hyperliquidchain", K.AUTH),
    ("too many cumulative requests", K.RATE_LIMIT),
    ("invalid nonce", K.INVALID_REQUEST),
    ("action expired", K.INVALID_REQUEST),
    ("invalid cloid", K.INVALID_REQUEST),
    ("invalid asset", K.INVALID_REQUEST),
    ("invalid leverage", K.INVALID_REQUEST),
    ("scheduled cancel time too early", K.INVALID_REQUEST),
    ("order price cannot be more than", K.INVALID_REQUEST),  # the venue's own price band
    ("flip guard", K.REDUCE_ONLY),  # our guard: an exit the venue's position would flip
    ("never reached the venue", K.CONNECTION),  # settled: the request was lost on the way
)

# statuses of orderStatus / orderUpdates
_STATUSES: dict[str, ErrorKind] = {
    "tickRejected": K.BAD_PRECISION,
    "badTriggerPxRejected": K.BAD_PRECISION,
    "minTradeNtlRejected": K.BELOW_MINIMUM,
    "minTradeSpotNtlRejected": K.BELOW_MINIMUM,
    "perpMarginRejected": K.INSUFFICIENT_FUNDS,
    "insufficientSpotBalanceRejected": K.INSUFFICIENT_FUNDS,
    "reduceOnlyRejected": K.REDUCE_ONLY,
    "badAloPxRejected": K.POST_ONLY_WOULD_CROSS,
    "iocCancelRejected": K.NO_LIQUIDITY,
    "marketOrderNoLiquidityRejected": K.NO_LIQUIDITY,
    "positionIncreaseAtOpenInterestCapRejected": K.MARKET_CLOSED,
    "positionFlipAtOpenInterestCapRejected": K.MARKET_CLOSED,
    "tooAggressiveAtOpenInterestCapRejected": K.MARKET_CLOSED,
    "openInterestIncreaseRejected": K.MARKET_CLOSED,
    "perpMaxPositionRejected": K.RISK,
    "oracleRejected": K.VENUE_UNAVAILABLE,
    "marginCanceled": K.INSUFFICIENT_FUNDS,
    "reduceOnlyCanceled": K.REDUCE_ONLY,
    "delistedCanceled": K.MARKET_CLOSED,
    "openInterestCapCanceled": K.MARKET_CLOSED,
}


def error_kind(text: str) -> ErrorKind:
    """The kind of one of the venue's error texts or order statuses."""
    status = _STATUSES.get(text.strip())
    if status is not None:
        return status
    lowered = text.strip().lower()
    for prefix, kind in _PREFIXES:
        if lowered.startswith(prefix):
            return kind
    for fragment, kind in _TEXTS:
        if fragment in lowered:
            return kind
    return classify_text(text)
