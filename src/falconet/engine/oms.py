"""Order management: every order's state, from the request to its end.

The OMS validates requests against the instrument, suppresses what must not reach the
venue (a second in-flight placement on one side for strategies that ask for that, an amend
that changes nothing at the venue's precision, new orders during shutdown), tracks the
replacement ids of cancel-replace amends, applies venue events to `core.orders.Order`
(illegal ones are logged and counted, never fatal), de-duplicates fills, and routes each
event to the runner that owns the order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import (
    ErrorKind,
    InvalidTransitionError,
    PrecisionError,
    precision_kind,
)
from falconet.core.events import (
    Event,
    Fill,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderRejected,
)
from falconet.core.ids import (
    ClientIdFactory,
    IdFormat,
    Intent,
    OrderTag,
    StrategyCode,
    decode_client_id,
)
from falconet.core.instrument import Instrument
from falconet.core.orders import Order, OrderStatus
from falconet.engine.errors import classify
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderReport,
    OrderRequest,
    RateBudget,
    VenueClient,
)
from falconet.observe.log import get_logger
from falconet.observe.redact import redact

log = get_logger("oms")

Deliver = Callable[[Event], None]
# A pre-trade check the OMS asks last: None to let the order go, else (rule, reason).
Gate = Callable[[], tuple[str, str] | None]
# Told of every event the OMS accepted, before the owner hears of it (journal, notices).
Observer = Callable[["Managed", OrderEvent], None]
FILL_MEMORY = 20_000  # recent fill keys kept for de-duplication (the journal keeps all)


@dataclass
class Owner:
    """A runner as the OMS sees it."""

    key: str  # the entry's state key, "Grid:BTC/USD:paper"
    strategy: StrategyCode
    instrument: Instrument
    deliver: Deliver
    one_inflight_per_side: bool = False
    # local answers scheduled but not delivered yet: its runner must not take a book
    # inline before them (an event before a book reaches the strategy first)
    undelivered: int = 0


@dataclass
class Managed:
    order: Order
    owner: Owner
    tag: OrderTag | None
    instrument: Instrument


@dataclass
class OmsStats:
    sent: int = 0
    rejected_locally: int = 0
    risk_rejected: int = 0
    venue_rate_refused: int = 0  # over the venue's own request budget
    duplicates_suppressed: int = 0
    amends_skipped: int = 0
    fills: int = 0
    duplicate_fills: int = 0
    invalid_events: int = 0
    unknown_events: int = 0
    send_failures: int = 0
    late_cancels_ignored: int = 0
    observer_errors: int = 0


FillKey = tuple[str, str]


def fill_key(fill: Fill) -> FillKey:
    """A fill's identity: (venue order id, else client id; trade id)."""
    return (fill.venue_order_id or fill.client_id, fill.trade_id)


@dataclass
class FillGate:
    """Remembers recent (order, trade) keys; `seen` is the journal's answer for older ones."""

    seen: Callable[[Fill], bool] | None = None
    _keys: set[FillKey] = field(default_factory=set)
    _order: deque[FillKey] = field(default_factory=deque)

    def first_time(self, fill: Fill) -> bool:
        key = fill_key(fill)
        if key in self._keys or (self.seen is not None and self.seen(fill)):
            return False
        self._keys.add(key)
        self._order.append(key)
        if len(self._order) > FILL_MEMORY:
            self._keys.discard(self._order.popleft())
        return True


class OrderManager:
    def __init__(self, venue: VenueClient, ids: ClientIdFactory, *, fills: FillGate | None = None):
        self.venue = venue
        self.ids = ids
        self.fmt: IdFormat = venue.capabilities.id_format
        self.orders: dict[str, Managed] = {}
        self.by_venue_id: dict[str, str] = {}
        self.replaced: dict[str, str] = {}  # cancel-replace: old client id -> new
        # cancel-replace amends in flight: the replacement's client id -> the order's.
        # The replacement may fill before the venue answers the amend.
        self.replacing: dict[str, str] = {}
        self.fills = fills or FillGate()
        self.stats = OmsStats()
        self.shutting_down = False
        self.observers: list[Observer] = []
        # the venue's own request budget, if its client describes one: spent here, the
        # one place that sends (orders a strategy sends may be refused; cancels and
        # orders without a gate, the kill switch's, only counted)
        self.rate_budget: RateBudget | None = getattr(venue, "rate_budget", None)
        self._tasks: set[asyncio.Task[None]] = set()

    # --- requests ---------------------------------------------------------------------

    def submit(
        self,
        owner: Owner,
        side: Side,
        price: int | None,
        size: int,
        *,
        tif: TimeInForce,
        order_type: OrderType,
        reduce_only: bool,
        intent: Intent,
        level: int,
        ts: int,
        gate: Gate | None = None,
    ) -> str:
        """Send a new order; its client id. `gate` (the risk engine) is asked once the
        OMS's own checks pass, so it spends nothing on an order refused here anyway."""
        tag = self.ids.next(owner.strategy, intent, level)
        cid = tag.encode(self.fmt)
        inst = owner.instrument
        refusal = self._refusal(owner, side, price, size, order_type)
        rule = ""
        if refusal is None and gate is not None:
            denied = gate()
            if denied is not None:
                self.stats.risk_rejected += 1
                rule, refusal = denied[0], (ErrorKind.RISK, denied[1])
        if refusal is None:
            refusal = self._spend(gated=gate is not None)
        if refusal is not None:
            self.stats.rejected_locally += 1
            kind, reason = refusal
            event = OrderRejected(**_base(inst, cid, ts), reason=reason, kind=kind, rule=rule)
            self._later(owner, event)
            return cid
        order = Order(
            client_id=cid,
            instrument_id=inst.id,
            side=side,
            quantity=size,
            price=price,
            order_type=order_type,
            time_in_force=tif,
            reduce_only=reduce_only,
            ts_created=ts,
        )
        self.orders[cid] = Managed(order, owner, tag, inst)
        request = OrderRequest(cid, inst, side, size, price, order_type, tif, reduce_only)
        self._send(owner, cid, ts, self.venue.place(request))
        self.stats.sent += 1
        return cid

    def _spend(self, *, gated: bool) -> tuple[ErrorKind, str] | None:
        """The venue's budget for one more request: a strategy's may be refused (the
        venue would refuse it too), the others are counted."""
        budget = self.rate_budget
        if budget is None:
            return None
        if not gated:
            budget.charge()
            return None
        why = budget.try_spend()
        if why is None:
            return None
        self.stats.venue_rate_refused += 1
        return ErrorKind.RATE_LIMIT, why

    def _refusal(
        self, owner: Owner, side: Side, price: int | None, size: int, order_type: OrderType
    ) -> tuple[ErrorKind, str] | None:
        if self.shutting_down:
            return ErrorKind.SHUTTING_DOWN, "shutting down: no new orders"
        inst = owner.instrument
        if order_type.needs_price and price is None:
            return ErrorKind.INVALID_REQUEST, "a limit order needs a price"
        try:
            inst.check_order(price if order_type.needs_price else None, size)
        except PrecisionError as exc:
            return precision_kind(exc), str(exc)
        if owner.one_inflight_per_side and any(
            m.owner is owner and m.order.side is side and m.order.status is OrderStatus.PENDING_NEW
            for m in self.orders.values()
        ):
            self.stats.duplicates_suppressed += 1
            return ErrorKind.DUPLICATE, f"a {side.value} order is already in flight"
        return None

    def cancel(self, owner: Owner, client_id: str, ts: int) -> None:
        m = self.orders.get(client_id)
        inst = owner.instrument
        if m is None or m.order.status.is_terminal:
            self._later(
                owner,
                OrderCancelRejected(
                    **_base(inst, client_id, ts),
                    reason="unknown or closed order",
                    kind=ErrorKind.UNKNOWN_ORDER,
                ),
            )
            return
        try:
            m.order.request_cancel(ts)
        except InvalidTransitionError as exc:
            self._later(
                owner,
                OrderCancelRejected(
                    **_base(inst, client_id, ts), reason=str(exc), kind=ErrorKind.INVALID_REQUEST
                ),
            )
            return
        request = CancelRequest(client_id, inst, m.order.venue_order_id)
        if self.rate_budget is not None:
            self.rate_budget.charge(cancel=True)
        self._send(owner, client_id, ts, self.venue.cancel(request), cancel=True)

    def amend(
        self,
        owner: Owner,
        client_id: str,
        price: int | None,
        size: int,
        ts: int,
        gate: Gate | None = None,
    ) -> None:
        """Change an order's price and/or size; `gate` as for `submit`, asked once the
        amend is known to change something."""
        m = self.orders.get(client_id)
        inst = owner.instrument
        base = _base(inst, client_id, ts)
        if self.shutting_down:
            self._later(
                owner,
                OrderAmendRejected(
                    **base, reason="shutting down: no amends", kind=ErrorKind.SHUTTING_DOWN
                ),
            )
            return
        if m is None or m.order.status.is_terminal:
            self._later(
                owner,
                OrderAmendRejected(
                    **base, reason="unknown or closed order", kind=ErrorKind.UNKNOWN_ORDER
                ),
            )
            return
        o = m.order
        if price is not None:
            price = inst.snap_price(price)
        if (price is None or price == o.price) and size == o.quantity:
            self.stats.amends_skipped += 1
            self._later(owner, OrderAmendSkipped(**base, price=o.price, quantity=o.quantity))
            return
        refusal = self._amend_refusal(o, inst, price, size, ts, gate)
        if refusal is not None:
            self._later(owner, OrderAmendRejected(**base, **refusal))
            return
        new_cid = None
        if not self.venue.capabilities.amend_keeps_id and m.tag is not None:
            new_tag = self.ids.next(m.tag.strategy, m.tag.intent, m.tag.level)
            new_cid = new_tag.encode(self.fmt)
        if new_cid is not None:
            self.replacing[new_cid] = client_id
        request = AmendRequest(client_id, inst, o.venue_order_id, price, size, new_cid)
        self._send(owner, client_id, ts, self.venue.amend(request), amend=True)

    def _amend_refusal(
        self,
        o: Order,
        inst: Instrument,
        price: int | None,
        size: int,
        ts: int,
        gate: Gate | None,
    ) -> dict[str, Any] | None:
        """Why an amend cannot go (the fields of its rejection), or None once the order
        has entered PENDING_AMEND: precision, then the gate, then the state machine."""
        try:
            inst.check_order(price if o.order_type.needs_price else None, size)
        except PrecisionError as exc:
            return {"reason": str(exc), "kind": precision_kind(exc)}
        denied = gate() if gate is not None else None
        if denied is not None:
            self.stats.risk_rejected += 1
            return {"reason": denied[1], "kind": ErrorKind.RISK, "rule": denied[0]}
        spent = self._spend(gated=gate is not None)
        if spent is not None:
            return {"reason": spent[1], "kind": spent[0]}
        try:
            o.request_amend(price, size, ts)
        except InvalidTransitionError as exc:
            return {"reason": str(exc), "kind": ErrorKind.INVALID_REQUEST}
        return None

    def _send(
        self,
        owner: Owner,
        cid: str,
        ts: int,
        coro: Coroutine[Any, Any, None],
        *,
        cancel: bool = False,
        amend: bool = False,
    ) -> None:
        """Run a venue request; a failure to send is answered like a venue refusal."""

        async def run() -> None:
            try:
                await coro
            except Exception as exc:  # the venue client raised: tell the owner, keep going
                self.stats.send_failures += 1
                text = redact(f"send failed: {exc}")  # the reason is journaled
                log.warning("request failed", client_id=cid, error=text)
                base = {**_base(owner.instrument, cid, ts), "reason": text, "kind": classify(exc)}
                if cancel:
                    event: OrderEvent = OrderCancelRejected(**base)
                elif amend:
                    event = OrderAmendRejected(**base)
                else:
                    event = OrderRejected(**base)
                self.on_event(event)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _later(self, owner: Owner, event: OrderEvent) -> None:
        """Answer a refused request after the strategy's callback returns, like a venue."""
        owner.undelivered += 1

        def deliver() -> None:
            owner.undelivered -= 1
            owner.deliver(event)

        asyncio.get_running_loop().call_soon(deliver)

    async def drain(self) -> None:
        """Wait for every request in flight to be handed to the venue."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- venue events -------------------------------------------------------------------

    def on_event(self, event: OrderEvent) -> None:
        cid = event.client_id
        if cid not in self.orders and event.venue_order_id in self.by_venue_id:
            cid = self.by_venue_id[event.venue_order_id]
        if cid not in self.orders and cid in self.replacing:
            cid = self.replacing[cid]  # the replacement, before its amend was answered
        if cid in self.replaced and isinstance(event, OrderCanceled):
            # the old half of a cancel-replace amend: expected, not news
            self.stats.late_cancels_ignored += 1
            return
        m = self.orders.get(cid)
        if m is None:
            self.stats.unknown_events += 1
            log.info("event for an unknown order", client_id=cid, kind=type(event).__name__)
            return
        if isinstance(event, Fill):
            if not self.fills.first_time(event):
                self.stats.duplicate_fills += 1
                return
            self.stats.fills += 1
        try:
            if not m.order.apply(event):  # a trade id this order already counted
                self.stats.duplicate_fills += 1
                return
        except InvalidTransitionError as exc:
            # The venue's word stands; our record was behind. Keep the fill, log the rest.
            self.stats.invalid_events += 1
            log.warning("order event out of order", client_id=cid, error=str(exc))
            if not isinstance(event, Fill):
                return
        if event.venue_order_id:
            self.by_venue_id[event.venue_order_id] = m.order.client_id
        if isinstance(event, OrderAmended | OrderAmendRejected):
            for new in [n for n, old in self.replacing.items() if old == cid]:
                del self.replacing[new]
        if isinstance(event, OrderAmended) and event.new_client_id:
            self._rekey(cid, event.new_client_id)
            if m.order.status is OrderStatus.PENDING_CANCEL:
                # the cancel went to the replaced order; the replacement needs its own
                request = CancelRequest(event.new_client_id, m.instrument, event.venue_order_id)
                self._send(
                    m.owner,
                    event.new_client_id,
                    event.ts_local,
                    self.venue.cancel(request),
                    cancel=True,
                )
        for observe in self.observers:
            try:
                observe(m, event)
            except Exception as exc:  # a journal or notice failure must not hide the event
                self.stats.observer_errors += 1
                log.error(
                    "order event observer failed",
                    client_id=cid,
                    kind=type(event).__name__,
                    error=f"{type(exc).__name__}: {exc}",
                )
        m.owner.deliver(event)

    def _rekey(self, old: str, new: str) -> None:
        if vid := self.orders[old].order.venue_order_id:
            # a fill of the replacement may have bound its venue id to the old key
            self.by_venue_id[vid] = new
        m = self.orders.pop(old)
        self.orders[new] = m
        self.replaced[old] = new
        m.tag = decode_client_id(new) or m.tag

    # --- views and reconciliation ---------------------------------------------------------

    def open_orders(self, owner: Owner | None = None) -> list[Managed]:
        return [
            m
            for m in self.orders.values()
            if not m.order.status.is_terminal and (owner is None or m.owner is owner)
        ]

    def adopt(self, report: OrderReport, owner: Owner, ts: int) -> Order:
        """Take over an order found at the venue whose client id says it is `owner`'s."""
        cid = report.client_id or f"venue:{report.venue_order_id}"
        order = Order(
            client_id=cid,
            instrument_id=report.instrument_id,
            side=report.side,
            quantity=report.quantity,
            price=report.price,
            ts_created=ts,
            venue_order_id=report.venue_order_id,
            status=OrderStatus.PARTIALLY_FILLED if report.filled else OrderStatus.OPEN,
            filled=report.filled,
            acknowledged=True,
            ts_acknowledged=ts,
        )
        self.orders[cid] = Managed(order, owner, decode_client_id(cid), owner.instrument)
        self.by_venue_id[report.venue_order_id] = cid
        return order

    def forget_closed(self, keep: int = 1000) -> None:
        """Drop finished orders beyond the newest `keep` (memory stays flat over days)."""
        closed = [c for c, m in self.orders.items() if m.order.status.is_terminal]
        for cid in closed[: max(len(closed) - keep, 0)]:
            m = self.orders.pop(cid)
            if m.order.venue_order_id:
                self.by_venue_id.pop(m.order.venue_order_id, None)
        for new, old in list(self.replacing.items()):
            if old not in self.orders:
                del self.replacing[new]
        # ids of cancel-replaced halves, kept while their order is managed (a late cancel
        # of the old half is expected; a listing under the old venue id is not adopted)
        for old_id, new_id in list(self.replaced.items()):
            if new_id not in self.orders and new_id not in self.replaced:
                del self.replaced[old_id]
        for vid, cid in list(self.by_venue_id.items()):
            if cid not in self.orders and cid not in self.replaced:
                del self.by_venue_id[vid]


def _base(inst: Instrument, cid: str, ts: int) -> dict[str, Any]:
    return {"ts_exchange": ts, "ts_local": ts, "instrument_id": inst.id, "client_id": cid}
