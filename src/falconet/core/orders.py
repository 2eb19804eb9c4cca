"""Orders and their state machine.

    PENDING_NEW ──accepted──► OPEN ──fill──► PARTIALLY_FILLED ──fill──► FILLED
         │                     │  ▲                  │  ▲
         │                     ▼  │ (rejected/        ▼  │
         │               PENDING_CANCEL / PENDING_AMEND  (requests in flight)
         ▼                     │
      REJECTED            CANCELED · EXPIRED

Every transition is looked up in one table; anything else raises
InvalidTransitionError naming the order, the event and the state. Fills are idempotent
per trade id, so a replayed or duplicated fill never counts twice.

Venues report fills and status on separate streams, so two late arrivals are legal:
a fill after the cancel acknowledgement (the fill happened first at the venue) and a
fill while a cancel or amend is in flight (the order keeps its pending state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import InvalidTransitionError, PrecisionError
from falconet.core.events import (
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import OrderTag, decode_client_id


class OrderStatus(StrEnum):
    PENDING_NEW = "pending_new"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_AMEND = "pending_amend"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Resting (or about to rest) at the venue."""
        return not self.is_terminal


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    FILL = "fill"
    REQUEST_CANCEL = "request_cancel"
    CANCEL = "cancel"
    CANCEL_REJECT = "cancel_reject"
    REQUEST_AMEND = "request_amend"
    AMEND = "amend"
    AMEND_REJECT = "amend_reject"
    EXPIRE = "expire"


S = OrderStatus
_LIVE = (S.OPEN, S.PARTIALLY_FILLED)
_PENDING = (S.PENDING_CANCEL, S.PENDING_AMEND)
_LATE_ANSWERS = (Action.CANCEL_REJECT, Action.AMEND_REJECT)

# (state, action) -> allowed. Where the next state depends on the order (fills, rollbacks)
# the transition method computes it.
_ALLOWED: frozenset[tuple[OrderStatus, Action]] = frozenset(
    [(S.PENDING_NEW, Action.REJECT), (S.PENDING_CANCEL, Action.REJECT)]
    # The acknowledgement can trail the order's fills or a cancel sent before it: accepted
    # once, in any state but REJECTED (see Order.apply).
    + [(s, Action.ACCEPT) for s in S if s is not S.REJECTED]
    # an IOC can be filled before (or instead of) an acknowledgement
    + [(s, Action.FILL) for s in (S.PENDING_NEW, *_LIVE, *_PENDING, S.CANCELED, S.EXPIRED)]
    + [(s, Action.REQUEST_CANCEL) for s in (S.PENDING_NEW, *_LIVE, S.PENDING_AMEND)]
    # unsolicited cancels (post-only reject at rest, self-trade prevention, margin) too
    + [(s, Action.CANCEL) for s in (S.PENDING_NEW, *_LIVE, *_PENDING)]
    + [(S.PENDING_CANCEL, Action.CANCEL_REJECT)]
    + [(s, Action.REQUEST_AMEND) for s in _LIVE]
    # an amend's answer can arrive after a cancel was sent behind it
    + [(s, a) for s in _PENDING for a in (Action.AMEND, Action.AMEND_REJECT)]
    + [(s, Action.EXPIRE) for s in (S.PENDING_NEW, *_LIVE, *_PENDING)]
    # "too late": the answer to a cancel or amend that crossed the order's last fill or
    # its cancel; the order stays as it ended
    + [(s, a) for s in _TERMINAL for a in _LATE_ANSWERS]
)


def can_apply(status: OrderStatus, action: Action) -> bool:
    return (status, action) in _ALLOWED


@dataclass(slots=True)
class Order:
    client_id: str
    instrument_id: str
    side: Side
    quantity: int  # size units
    price: int | None = None  # price units; None for market orders
    order_type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    trigger_price: int | None = None
    ts_created: int = 0
    venue_order_id: str | None = None
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled: int = 0
    filled_cost: int = 0  # sum(price * size) in price*size units: exact average price
    fees: dict[str, Decimal] = field(default_factory=dict)
    reject_reason: str = ""
    acknowledged: bool = False
    ts_acknowledged: int = 0  # local time of the venue's acceptance (0: not yet, or unknown)
    ts_updated: int = 0  # local time of the last change
    trade_ids: set[str] = field(default_factory=set)
    _before_pending: OrderStatus | None = None
    _amend_target: tuple[int | None, int] | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise PrecisionError(f"order {self.client_id}: quantity must be > 0")
        if self.order_type.needs_price and (self.price is None or self.price <= 0):
            raise PrecisionError(f"order {self.client_id}: a {self.order_type} order needs a price")
        if self.order_type.is_trigger and self.trigger_price is None:
            raise PrecisionError(
                f"order {self.client_id}: a {self.order_type} order needs a trigger"
            )
        self.ts_updated = self.ts_created

    # --- derived ------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        return max(self.quantity - self.filled, 0)

    @property
    def tag(self) -> OrderTag | None:
        """What the order is for, decoded from its client id (None for foreign orders)."""
        return decode_client_id(self.client_id)

    def avg_price(self) -> Decimal | None:
        """Average fill price in price units (exact, may have a fraction)."""
        if not self.filled:
            return None
        return Decimal(self.filled_cost) / Decimal(self.filled)

    # --- transitions --------------------------------------------------------------------

    def _check(self, action: Action) -> None:
        if not can_apply(self.status, action):
            raise InvalidTransitionError(
                f"order {self.client_id}: cannot {action.value} in state {self.status.value}"
            )

    def request_cancel(self, ts: int) -> None:
        self._check(Action.REQUEST_CANCEL)
        self._enter_pending(S.PENDING_CANCEL, ts)

    def request_amend(self, price: int | None, quantity: int, ts: int) -> None:
        self._check(Action.REQUEST_AMEND)
        if quantity <= self.filled:
            raise InvalidTransitionError(
                f"order {self.client_id}: amended quantity {quantity} is not above the "
                f"filled {self.filled}"
            )
        self._amend_target = (price, quantity)
        self._enter_pending(S.PENDING_AMEND, ts)

    def _enter_pending(self, pending: OrderStatus, ts: int) -> None:
        if self.status not in _PENDING:
            self._before_pending = self.status
        self.status = pending
        self.ts_updated = ts

    def _live_status(self) -> OrderStatus:
        if self.status is S.PENDING_NEW and not self.filled:
            return S.PENDING_NEW
        return S.PARTIALLY_FILLED if self.filled else S.OPEN

    def apply(self, event: OrderEvent) -> bool:
        """Apply a venue event. Returns False for an already-seen fill, True otherwise."""
        if isinstance(event, Fill):
            return self._apply_fill(event)
        if isinstance(event, OrderAccepted):
            self._check(Action.ACCEPT)
            if self.acknowledged:
                raise InvalidTransitionError(
                    f"order {self.client_id}: accepted twice (state {self.status.value})"
                )
            if self.status is S.PENDING_NEW:
                self.status = S.PARTIALLY_FILLED if self.filled else S.OPEN
            elif self._before_pending is S.PENDING_NEW:
                self._before_pending = S.OPEN
            self.acknowledged = True
            self.ts_acknowledged = event.ts_local
        elif isinstance(event, OrderRejected):
            self._check(Action.REJECT)
            if self.acknowledged or self.filled:
                raise InvalidTransitionError(
                    f"order {self.client_id}: rejected after it was accepted or filled"
                )
            self.status = S.REJECTED
            self.reject_reason = event.reason
        elif isinstance(event, OrderCanceled):
            self._check(Action.CANCEL)
            self.status = S.CANCELED
        elif isinstance(event, OrderCancelRejected):
            self._check(Action.CANCEL_REJECT)
            if self.status is S.PENDING_CANCEL and self._amend_target is not None:
                self.status = S.PENDING_AMEND  # the amend sent before it is still out
            elif not self.status.is_terminal:
                self._leave_pending()
        elif isinstance(event, OrderAmended):
            self._check(Action.AMEND)
            self.price = event.price if event.price is not None else self.price
            self.quantity = event.quantity
            if event.new_client_id:
                self.client_id = event.new_client_id
            self._amend_target = None
            if self.status is S.PENDING_AMEND:
                self._leave_pending()
            elif self.filled >= self.quantity:
                self.status = S.FILLED
        elif isinstance(event, OrderAmendRejected):
            self._check(Action.AMEND_REJECT)
            self._amend_target = None
            if self.status is S.PENDING_AMEND:
                self._leave_pending()
        elif isinstance(event, OrderAmendSkipped):
            if self.status.is_terminal:
                raise InvalidTransitionError(
                    f"order {self.client_id}: amend skipped in state {self.status.value}"
                )
            return True  # nothing was sent: the order is as it was
        elif isinstance(event, OrderExpired):
            self._check(Action.EXPIRE)
            self.status = S.EXPIRED
        else:  # pragma: no cover - every OrderEvent subclass is handled above
            raise InvalidTransitionError(f"order {self.client_id}: unknown event {event!r}")
        if event.venue_order_id:
            self.venue_order_id = event.venue_order_id
        self.ts_updated = event.ts_local
        return True

    def _leave_pending(self) -> None:
        previous = self._before_pending or S.OPEN
        self._before_pending = None
        if previous is S.PENDING_NEW:
            self.status = S.PENDING_NEW if not self.filled else S.PARTIALLY_FILLED
        else:
            self.status = S.PARTIALLY_FILLED if self.filled else S.OPEN
        if self.filled >= self.quantity:
            self.status = S.FILLED

    def _apply_fill(self, fill: Fill) -> bool:
        if fill.trade_id and fill.trade_id in self.trade_ids:
            return False
        self._check(Action.FILL)
        if fill.side is not self.side:
            raise InvalidTransitionError(
                f"order {self.client_id}: {fill.side.value} fill on a {self.side.value} order"
            )
        if fill.size <= 0:
            raise InvalidTransitionError(f"order {self.client_id}: fill size must be > 0")
        # an amend in flight may have raised the size at the venue already
        ceiling = max(self.quantity, self._amend_target[1]) if self._amend_target else self.quantity
        if self.filled + fill.size > ceiling:
            raise InvalidTransitionError(
                f"order {self.client_id}: overfill, {self.filled} + {fill.size} > {ceiling}"
            )
        if fill.trade_id:
            self.trade_ids.add(fill.trade_id)
        self.filled += fill.size
        self.filled_cost += fill.price * fill.size
        if fill.fee:
            cur = fill.fee_currency
            self.fees[cur] = self.fees.get(cur, Decimal(0)) + fill.fee
        if fill.venue_order_id:
            self.venue_order_id = fill.venue_order_id
        self.ts_updated = fill.ts_local
        if self.filled >= ceiling:
            self.status = S.FILLED
            self._before_pending = None
            self._amend_target = None
        elif self.status in (S.PENDING_NEW, S.OPEN):
            self.status = S.PARTIALLY_FILLED
        # A pending request keeps its state (rollback recomputes from `filled`);
        # CANCELED/EXPIRED stay terminal with the late fill counted.
        return True
