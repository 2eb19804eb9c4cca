"""Our orders as the venue knows them: client id (the cloid) ↔ venue oid, what has been
reported to the engine, and cancel-replace chains.

Each order's lifecycle events are told to the engine once, whichever path brings them
first: the answer to our request, the orderUpdates stream, or a reconcile after a
reconnect.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from falconet.core.enums import Side, TimeInForce
from falconet.core.instrument import Instrument

KEEP_DONE = 5_000  # finished orders remembered (late stream messages still map)


@dataclass(slots=True)
class LiveOrder:
    client_id: str
    instrument: Instrument
    side: Side
    price: int | None
    quantity: int  # total, as the engine counts it (fills before an amend included)
    tif: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    oid: int | None = None
    filled: int = 0
    accepted: bool = False
    accepted_ns: int = 0  # local time it was accepted (0: before this session)
    done: bool = False  # a terminal event (rejected/canceled) was reported
    replaced_by: str | None = None  # cancel-replace: the replacement's client id
    inflight: bool = False  # our request for it has not been answered yet
    amending: bool = False  # a cancel-replace for it is in flight
    gone_reason: str | None = None  # canceled by the venue while an amend was in flight
    filled_before: int = 0  # filled before this venue order existed (cancel-replace)
    unresolved: bool = False  # our request went unanswered: settled by orderStatus(cloid)


@dataclass(slots=True)
class PendingAmend:
    """A cancel-replace whose answer was lost: settled later by orderStatus (the new
    cloid, or the old oid when the replacement keeps the client id)."""

    order: LiveOrder  # the order being amended
    successor: LiveOrder  # the replacement (the same record when new_cid is None)
    new_cid: str | None
    price: int
    quantity: int
    client_id: str  # the request's client id (for the events)
    venue_order_id: str | None  # the request's venue order id
    filled_at_send: int  # the order's fills when the modify was sent
    old_oid: int | None
    size_wire: str  # the replacement's size as sent


class OrderTracker:
    def __init__(self) -> None:
        self.by_cid: OrderedDict[str, LiveOrder] = OrderedDict()
        self.by_oid: dict[int, LiveOrder] = {}

    def add(self, order: LiveOrder) -> LiveOrder:
        self.by_cid[order.client_id.lower()] = order
        if order.oid is not None:
            self.by_oid[order.oid] = order
        self._trim()
        return order

    def get(self, client_id: str | None) -> LiveOrder | None:
        return self.by_cid.get(client_id.lower()) if client_id else None

    def find(self, oid: int | None, cloid: str | None) -> LiveOrder | None:
        if oid is not None and oid in self.by_oid:
            return self.by_oid[oid]
        return self.get(cloid)

    def bind(self, order: LiveOrder, oid: int) -> None:
        order.oid = oid
        self.by_oid[oid] = order

    def unbind(self, order: LiveOrder, oid: int) -> None:
        """Forget an oid the order no longer has (the old half of a same-id amend)."""
        if self.by_oid.get(oid) is order:
            del self.by_oid[oid]

    def current_client_id(self, order: LiveOrder) -> str:
        """The id the engine knows the order by now: the end of its replace chain."""
        seen = 0
        while order.replaced_by is not None and seen < 64:
            nxt = self.get(order.replaced_by)
            if nxt is None:
                return order.replaced_by
            order = nxt
            seen += 1
        return order.client_id

    def open(self) -> list[LiveOrder]:
        """Orders the engine believes may be resting (accepted, not finished)."""
        return [
            o
            for o in self.by_cid.values()
            if o.accepted and not o.done and o.replaced_by is None and o.filled < o.quantity
        ]

    def _trim(self) -> None:
        if len(self.by_cid) <= KEEP_DONE * 2:
            return
        for cid in [c for c, o in self.by_cid.items() if o.done][: len(self.by_cid) // 2]:
            o = self.by_cid.pop(cid)
            if o.oid is not None:
                self.by_oid.pop(o.oid, None)
