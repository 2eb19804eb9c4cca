"""One symbol of a paper venue: the simulator running its market, our orders in it, and
the translation of the simulator's logs into venue events."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.core.enums import Liquidity, OrderType, Side, TimeInForce
from falconet.core.events import (
    BookSnapshot,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderRejected,
    Trade,
)
from falconet.core.instrument import Instrument
from falconet.sim import layout as L
from falconet.sim.asset import SimAsset

BOOK_LEVELS = 20

SIM_TIF = {
    TimeInForce.GTC: L.TIF_GTC,
    TimeInForce.DAY: L.TIF_GTC,
    TimeInForce.POST_ONLY: L.TIF_POST_ONLY,
    TimeInForce.IOC: L.TIF_IOC,
    TimeInForce.FOK: L.TIF_FOK,
}


@dataclass
class PaperOrder:
    client_id: str
    venue_order_id: str
    side: Side
    price: int  # 0 for market orders
    quantity: int
    tif: TimeInForce
    order_type: OrderType = OrderType.LIMIT
    filled: int = 0
    accepted: bool = False
    sim_id: int = 0
    sim_offset: int = 0  # filled before it entered the current simulator
    amends: list[tuple[int, int]] = field(default_factory=list)  # sent, unanswered
    cancel_sent: bool = False

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled


@dataclass
class SymbolSession:
    instrument: Instrument  # as the venue publishes it (ids in events)
    sim: SimAsset
    chunk: int
    chunk_start_ns: int
    start_price: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    orders: dict[str, PaperOrder] = field(default_factory=dict)  # open, by client id
    by_sim: dict[int, str] = field(default_factory=dict)
    # orders carried into a new chunk or a restarted session: their acceptance is old news
    carried: set[int] = field(default_factory=set)
    # cancels and amends waiting for the simulator to finish the order's previous request
    # (it takes one at a time per order, as its local view allows)
    deferred: dict[int, list[tuple[int, int] | None]] = field(default_factory=dict)
    busy: set[int] = field(default_factory=set)  # a request sent since the last advance
    ev_cursor: int = 0
    tr_cursor: int = 0
    last_top: tuple[int | None, int | None] = (None, None)

    @property
    def end_ns(self) -> int:
        return int(self.sim.data.ts_local[-1]) if self.sim.data.rows else self.chunk_start_ns

    def submit(self, order: PaperOrder, *, carried: bool = False) -> None:
        order_type = L.TYPE_MARKET if order.order_type is OrderType.MARKET else L.TYPE_LIMIT
        # a carried order already rests: it must not be refused for crossing at the seam
        tif = L.TIF_GTC if carried else SIM_TIF[order.tif]
        order.sim_offset = order.filled
        order.sim_id = self.sim.submit(
            order.side.sign, order.price, order.remaining, tif=tif, order_type=order_type
        )
        self.orders[order.client_id] = order
        self.by_sim[order.sim_id] = order.client_id
        if carried:
            self.carried.add(order.sim_id)

    def cancel(self, order: PaperOrder) -> None:
        self._request(order, None)

    def amend(self, order: PaperOrder, price: int, quantity: int) -> None:
        self._request(order, (price, quantity))

    def _request(self, order: PaperOrder, op: tuple[int, int] | None) -> None:
        queue = self.deferred.get(order.sim_id)
        if queue is None and order.sim_id not in self.busy and self.sim.request_ok(order.sim_id):
            self._send(order, op)
        else:
            self.deferred.setdefault(order.sim_id, []).append(op)

    def _send(self, order: PaperOrder, op: tuple[int, int] | None) -> None:
        self.busy.add(order.sim_id)
        if op is None:
            order.cancel_sent = True
            self.sim.cancel(order.sim_id)
            return
        price, quantity = op
        order.amends.append(op)
        # the simulator counts only what it filled itself
        self.sim.amend(order.sim_id, price, quantity - order.sim_offset)

    def send_deferred(self) -> None:
        """Send each order's next waiting request if the simulator can take it now."""
        for sim_id in list(self.deferred):
            cid = self.by_sim.get(sim_id)
            if cid is None:  # the order ended meanwhile: nothing left to cancel or amend
                del self.deferred[sim_id]
                continue
            if sim_id not in self.busy and self.sim.request_ok(sim_id):
                queue = self.deferred[sim_id]
                self._send(self.orders[cid], queue.pop(0))
                if not queue:
                    del self.deferred[sim_id]

    def advance(self, until: int) -> None:
        self.sim.advance(until, record=False)
        self.busy.clear()  # what was sent is now in the simulator's own view

    def top(self) -> tuple[int | None, int | None]:
        return self.sim.best_bid(), self.sim.best_ask()

    def book(self, ts: int) -> BookSnapshot:
        return BookSnapshot(
            ts_exchange=ts,
            ts_local=ts,
            instrument_id=self.instrument.id,
            bids=self.sim.levels(Side.BUY, BOOK_LEVELS),
            asks=self.sim.levels(Side.SELL, BOOK_LEVELS),
        )

    def trades(self) -> list[Trade]:
        """The market's trades since the last call (the newest 4,096 if more)."""
        out: list[Trade] = []
        end = int(self.sim.S[L.S_NTR])
        ring = self.sim.TR
        tu = self.sim.tick_units
        for k in range(max(self.tr_cursor, end - ring.shape[0]), end):
            ts, side, tick, qty = (int(x) for x in ring[k % ring.shape[0]])
            out.append(
                Trade(
                    ts_exchange=ts,
                    ts_local=ts,
                    instrument_id=self.instrument.id,
                    price=tick * tu,
                    size=qty,
                    aggressor=None if side == 0 else (Side.BUY if side > 0 else Side.SELL),
                )
            )
        self.tr_cursor = end
        return out

    def order_events(self, next_trade_id: int) -> list[OrderEvent]:
        """Our orders' events since the last call; fills are numbered from `next_trade_id`."""
        n = int(self.sim.S[L.S_NEV])
        rows = self.sim.EV[self.ev_cursor : n].tolist()
        self.ev_cursor = n
        out: list[OrderEvent] = []
        for row in rows:
            event = self._event(row, next_trade_id)
            if event is not None:
                out.append(event)
                if isinstance(event, Fill):
                    next_trade_id += 1
        return out

    def _event(self, row: list[int], trade_no: int) -> OrderEvent | None:
        kind, sim_id = row[L.EV_KIND], row[L.EV_ID]
        cid = self.by_sim.get(sim_id)
        if kind == L.E_SENT or cid is None:
            return None
        order = self.orders[cid]
        ts_x, ts = row[L.EV_XTS], row[L.EV_TS]
        base: dict[str, Any] = {
            "ts_exchange": ts_x,
            "ts_local": ts,
            "instrument_id": self.instrument.id,
            "client_id": cid,
            "venue_order_id": order.venue_order_id,
        }
        tu = self.sim.tick_units
        reason_code = row[L.EV_REASON]
        reason = self.sim.config.venue.reason(reason_code)
        why = self.sim.config.venue.kind(reason_code)
        if kind == L.E_ACCEPTED:
            if sim_id in self.carried:
                self.carried.discard(sim_id)
                return None
            order.accepted = True
            return OrderAccepted(**base)
        if kind == L.E_FILL:
            size, price = row[L.EV_QTY], row[L.EV_TICK] * tu
            order.filled += size
            order.accepted = True  # a crossing order that rests was never acknowledged
            maker = bool(row[L.EV_MAKER])
            rate = self.maker_fee if maker else self.taker_fee
            if row[L.EV_LEAVES] <= 0:
                self._close(cid)
            return Fill(
                **base,
                trade_id=f"T{trade_no}",
                side=order.side,
                price=price,
                size=size,
                fee=self.instrument.notional(price, size) * rate,
                fee_currency=self.instrument.quote,
                liquidity=Liquidity.MAKER if maker else Liquidity.TAKER,
            )
        if kind in (L.E_REJECTED, L.E_EXPIRED, L.E_CANCELED):
            self._close(cid)
            if kind == L.E_CANCELED:
                return OrderCanceled(**base, reason=reason)
            if kind == L.E_EXPIRED and reason_code != L.RS_POST_ONLY:
                return OrderExpired(**base)
            return OrderRejected(**base, reason=reason, kind=why)
        if kind == L.E_CANCEL_REJECTED:
            order.cancel_sent = False
            return OrderCancelRejected(**base, reason=reason, kind=why)
        if kind == L.E_AMENDED:
            if order.amends:
                order.price, order.quantity = order.amends.pop(0)
            return OrderAmended(**base, price=order.price, quantity=order.quantity)
        if order.amends:
            order.amends.pop(0)
        return OrderAmendRejected(**base, reason=reason, kind=why)

    def _close(self, cid: str) -> None:
        order = self.orders.pop(cid, None)
        if order is not None:
            self.by_sim.pop(order.sim_id, None)
            self.carried.discard(order.sim_id)
            self.deferred.pop(order.sim_id, None)

    def carry_into(self, nxt: SymbolSession) -> None:
        """Move our resting orders into the next chunk's simulator."""
        for order in self.orders.values():
            # one not yet acknowledged is sent afresh, so its acknowledgement still comes
            # requests the old simulator had not answered are sent again, then the waiting
            unanswered: list[tuple[int, int] | None] = list(order.amends)
            if order.cancel_sent:
                unanswered.append(None)
            order.amends, order.cancel_sent = [], False
            waiting = unanswered + self.deferred.get(order.sim_id, [])
            nxt.submit(order, carried=order.accepted)
            if waiting:
                nxt.deferred[order.sim_id] = waiting
