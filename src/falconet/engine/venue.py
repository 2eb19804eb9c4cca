"""The interface every venue adapter implements, live or simulated.

A client turns the venue's wire into normalized `core.events` pushed into the engine's
sink, and the engine's order requests into wire messages. Requests are fire-and-forget:
their outcome (accepted, rejected, filled, canceled, amended) comes back as events, the
same way whether it is answered synchronously (a REST response) or on a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from falconet.core.enums import OrderType, Side, TimeInForce, Venue
from falconet.core.events import BalanceUpdate, Event, Fill, PositionUpdate
from falconet.core.ids import IdFormat
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus

Sink = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    client_id: str
    instrument: Instrument
    side: Side
    quantity: int
    price: int | None = None
    order_type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.POST_ONLY
    reduce_only: bool = False
    trigger_price: int | None = None


@dataclass(frozen=True, slots=True)
class AmendRequest:
    client_id: str
    instrument: Instrument
    venue_order_id: str | None
    price: int | None
    quantity: int
    # Venues that amend by cancel-replace give the replacement this client id.
    new_client_id: str | None = None


@dataclass(frozen=True, slots=True)
class CancelRequest:
    client_id: str
    instrument: Instrument
    venue_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderReport:
    """An open order as the venue lists it (for reconciliation)."""

    client_id: str | None  # None: placed without one (by hand, another tool)
    venue_order_id: str
    instrument_id: str
    side: Side
    price: int
    quantity: int
    filled: int
    status: OrderStatus = OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    amend_keeps_id: bool  # True: in-place amend; False: cancel-replace
    amend_keeps_priority: bool  # a size decrease keeps the queue position
    id_format: IdFormat = IdFormat.TEXT  # how client order ids are written for this venue
    # The adapter emits a book event as the last thing it does with a frame, and its
    # requests emit no market data synchronously: the engine may then run `on_book`
    # inside the adapter's call (no event-loop hop). The paper venue steps its markets
    # inside a request, so it does not.
    inline_books: bool = False


class RateBudget(Protocol):
    """A venue's own request counter (weights, caps, decay), described by its adapter and
    kept in sync from the venue's answers; spent only by the OMS, for what it sends. A
    client offers one as `rate_budget`."""

    def try_spend(self, n: int = 1) -> str | None:
        """Spend for an order or amend; why not (nothing spent) if the venue would
        refuse it now."""
        ...

    def charge(self, n: int = 1, *, cancel: bool = False) -> None:
        """Count a request that goes regardless (a cancel, a kill-switch close)."""
        ...


class VenueClient(Protocol):
    venue: Venue
    capabilities: VenueCapabilities

    def set_sink(self, sink: Sink) -> None:
        """Where to push events. Called once, before `connect`."""
        ...

    async def connect(self) -> None:
        """Open connections and load instrument metadata."""
        ...

    async def close(self) -> None: ...

    def instrument(self, symbol: str) -> Instrument:
        """The instrument for a configured symbol (after `connect`)."""
        ...

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        """Start book and trade events for these instruments."""
        ...

    async def place(self, request: OrderRequest) -> None: ...

    async def amend(self, request: AmendRequest) -> None: ...

    async def cancel(self, request: CancelRequest) -> None: ...

    async def open_orders(self) -> list[OrderReport]: ...

    async def fills_since(self, since_ns: int) -> list[Fill]:
        """Fills with exchange time >= `since_ns`, oldest first (for recovery)."""
        ...

    async def balances(self) -> list[BalanceUpdate]: ...

    async def positions(self) -> list[PositionUpdate]: ...

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        """(maker, taker) as decimal text if the venue told us, else None."""
        ...


def account_id(venue: Venue, label: str | None) -> str:
    """A venue account's id: the venue's name for its default account ("paper"),
    with the label after a colon for a labelled one ("paper:MAIN"). The default
    account's id is its venue's name, so state keyed by it carries over."""
    return venue.value if label is None else f"{venue.value}:{label}"
