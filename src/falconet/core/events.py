"""Normalized events: what venues, the simulator and timers tell strategies and the OMS.

Every event carries two nanosecond timestamps: `ts_exchange`, when the venue says it
happened, and `ts_local`, when this process received it. Prices and sizes are the
instrument's scaled integers (see `Instrument`); money amounts that are not prices or
sizes (fees, balances) are exact Decimals.

Events are immutable msgspec structs: cheap to build, and encodable as they are for the
journal and the wire.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from falconet.core.enums import Liquidity, Side, Venue
from falconet.core.errors import ErrorKind

Level = tuple[int, int]  # (price units, size units); size 0 deletes the level


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    ts_exchange: int
    ts_local: int


class MarketEvent(Event, frozen=True, kw_only=True, gc=False):
    instrument_id: str


# --- market data ------------------------------------------------------------------------


class BookSnapshot(MarketEvent, frozen=True, kw_only=True, gc=False):
    """Full replacement of the book. Bids best first, asks best first."""

    bids: list[Level]
    asks: list[Level]
    seq: int | None = None


class BookDelta(MarketEvent, frozen=True, kw_only=True, gc=False):
    """Absolute new quantities for some levels (0 deletes), applied together.

    Sequencing as the venue gives it: `seq` is the last update id the message covers,
    `first_seq` the first, and `prev_seq` the last id of the message before it. A venue
    fills in what it has; the book checks what is present.
    """

    bids: list[Level]
    asks: list[Level]
    seq: int | None = None
    first_seq: int | None = None
    prev_seq: int | None = None
    checksum: int | None = None


class TopOfBook(MarketEvent, frozen=True, kw_only=True, gc=False):
    bid_px: int
    bid_sz: int
    ask_px: int
    ask_sz: int
    seq: int | None = None


class Trade(MarketEvent, frozen=True, kw_only=True, gc=False):
    price: int
    size: int
    aggressor: Side | None  # None when the venue does not say
    trade_id: str = ""


class Bar(MarketEvent, frozen=True, kw_only=True, gc=False):
    interval_s: int
    open: int
    high: int
    low: int
    close: int
    volume: int  # size units
    # ts_exchange is the bar's open time.


# --- orders -----------------------------------------------------------------------------


class OrderEvent(Event, frozen=True, kw_only=True, gc=False):
    instrument_id: str
    client_id: str
    venue_order_id: str | None = None


class OrderAccepted(OrderEvent, frozen=True, kw_only=True, gc=False):
    pass


class OrderRejected(OrderEvent, frozen=True, kw_only=True, gc=False):
    reason: str  # the venue's (or the rule's) own words, for logs
    kind: ErrorKind = ErrorKind.OTHER
    rule: str = ""  # the risk rule that refused it (kind RISK)


class OrderCanceled(OrderEvent, frozen=True, kw_only=True, gc=False):
    reason: str = ""


class OrderCancelRejected(OrderEvent, frozen=True, kw_only=True, gc=False):
    reason: str  # the venue's (or the rule's) own words, for logs
    kind: ErrorKind = ErrorKind.OTHER
    rule: str = ""  # the risk rule that refused it (kind RISK)


class OrderAmended(OrderEvent, frozen=True, kw_only=True, gc=False):
    """The venue accepted new price and/or size. Venues that amend by cancel-replace
    report the replacement's id in `venue_order_id` (and, where it changes, client id in
    `new_client_id`)."""

    price: int | None
    quantity: int
    new_client_id: str | None = None


class OrderAmendRejected(OrderEvent, frozen=True, kw_only=True, gc=False):
    reason: str  # the venue's (or the rule's) own words, for logs
    kind: ErrorKind = ErrorKind.OTHER
    rule: str = ""  # the risk rule that refused it (kind RISK)


class OrderAmendSkipped(OrderEvent, frozen=True, kw_only=True, gc=False):
    """An amend that would change nothing at the venue's precision was not sent."""

    price: int | None
    quantity: int


class OrderExpired(OrderEvent, frozen=True, kw_only=True, gc=False):
    pass


class Fill(OrderEvent, frozen=True, kw_only=True, gc=False):
    """One execution against an order. (client_id or venue_order_id, trade_id) is unique."""

    trade_id: str
    side: Side
    price: int
    size: int
    fee: Decimal = Decimal(0)  # positive = paid, negative = rebate
    fee_currency: str = ""
    liquidity: Liquidity = Liquidity.TAKER


# --- account ----------------------------------------------------------------------------


def margin_asset(quote: str) -> str:
    """The name a venue reports its perp margin account's collateral under ("USDC:perp"),
    apart from the spot balance of the same coin."""
    return f"{quote}:perp"


class BalanceUpdate(Event, frozen=True, kw_only=True, gc=False):
    """An asset's balance. Perp collateral is reported as `margin_asset(quote)`."""

    venue: Venue
    asset: str
    total: Decimal
    free: Decimal


class PositionUpdate(Event, frozen=True, kw_only=True, gc=False):
    instrument_id: str
    size: int  # signed size units: > 0 long, < 0 short
    entry_price: int | None = None
    unrealized_pnl: Decimal | None = None


class Timer(Event, frozen=True, kw_only=True, gc=False):
    name: str
