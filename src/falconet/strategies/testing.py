"""A scripted venue for strategy unit tests: a `Context` that records every request and
lets the test play the venue's answers (acks, fills, cancels, rejects) back into the
strategy, with the open-order view kept consistent.

    ctx = FakeContext(inst, bid="100.0", ask="100.1", base="1", quote="1000")
    strategy.on_start(ctx); strategy.on_book(ctx)
    buy = ctx.last("submit", side=Side.BUY)
    ctx.accept(buy.client_id); ctx.fill(buy.client_id, strategy)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderEvent,
    OrderRejected,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode, decode_client_id
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.strategies.api import Balances, Fees, OpenOrder, Quote, Strategy


@dataclass(frozen=True)
class Request:
    """One thing the strategy asked for."""

    kind: str  # submit | cancel | amend | reconcile
    client_id: str = ""
    side: Side | None = None
    price: int | None = None
    size: int | None = None
    tif: TimeInForce | None = None
    order_type: OrderType | None = None
    reduce_only: bool = False
    intent: Intent = Intent.NONE
    level: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class FakeContext:
    """`strategies.api.Context` for tests. Prices and sizes are instrument units; the
    constructor and `set_*` helpers also take decimal text."""

    def __init__(
        self,
        instrument: Instrument,
        *,
        bid: str | int | None = None,
        ask: str | int | None = None,
        base: str | Decimal | None = "0",
        quote: str | Decimal | None = "0",
        maker_fee: str = "0",
        taker_fee: str = "0",
        now_ns: int = 0,
        strategy_code: StrategyCode = StrategyCode.MANUAL,
        amend_keeps_id: bool = False,
    ) -> None:
        self.instrument = instrument
        self._now = now_ns
        self.code = strategy_code
        self.amend_keeps_id = (
            amend_keeps_id  # True: in-place amends (Kraken); False: cancel-replace
        )
        self._bid = self._px(bid)
        self._ask = self._px(ask)
        self._balances = Balances(
            base_total=_d(base), base_free=_d(base), quote_total=_d(quote), quote_free=_d(quote)
        )
        self._fees = Fees(Decimal(maker_fee), Decimal(taker_fee))
        self.requests: list[Request] = []
        self.orders: dict[str, OpenOrder] = {}
        self.saved = 0  # state_changed() calls
        self._seq = itertools.count(1)
        self._trades = itertools.count(1)

    # --- Context ------------------------------------------------------------------------

    @property
    def now_ns(self) -> int:
        return self._now

    def best_bid(self) -> int | None:
        return self._bid

    def best_ask(self) -> int | None:
        return self._ask

    def levels(self, side: Side, n: int) -> list[tuple[int, int]]:
        px = self._bid if side is Side.BUY else self._ask
        return [] if px is None else [(px, 1)][:n]

    def position(self) -> int:
        base = self._balances.base_total or Decimal(0)
        return int(base.scaleb(self.instrument.size_decimals))

    def open_orders(self) -> list[OpenOrder]:
        return [o for o in self.orders.values() if not o.status.is_terminal]

    def order(self, client_id: str) -> OpenOrder | None:
        return self.orders.get(client_id)

    def balances(self) -> Balances:
        return self._balances

    def fees(self) -> Fees:
        return self._fees

    def state_changed(self) -> None:
        self.saved += 1

    def submit(
        self,
        side: Side,
        price: int | None,
        size: int,
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        order_type: OrderType = OrderType.LIMIT,
        reduce_only: bool = False,
        intent: Intent = Intent.NONE,
        level: int = 0,
    ) -> str:
        tag = OrderTag(self.code, intent, seq=next(self._seq), level=level)
        cid = tag.encode(IdFormat.TEXT)
        self.requests.append(
            Request("submit", cid, side, price, size, tif, order_type, reduce_only, intent, level)
        )
        self.orders[cid] = OpenOrder(
            client_id=cid,
            side=side,
            price=price or 0,
            quantity=size,
            filled=0,
            status=OrderStatus.PENDING_NEW,
            request_pending=False,
            intent=intent,
            level=level,
            strategy=self.code,
        )
        return cid

    def cancel(self, client_id: str) -> None:
        self.requests.append(Request("cancel", client_id))
        if client_id in self.orders:
            self.orders[client_id] = replace(self.orders[client_id], request_pending=True)

    def amend(self, client_id: str, *, price: int | None = None, size: int | None = None) -> None:
        self.requests.append(Request("amend", client_id, price=price, size=size))
        if client_id in self.orders:
            self.orders[client_id] = replace(self.orders[client_id], request_pending=True)

    def reconcile(
        self,
        bids: Sequence[Quote],
        asks: Sequence[Quote],
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        replace: bool = False,
    ) -> None:
        self.requests.append(
            Request("reconcile", extra={"bids": list(bids), "asks": list(asks), "replace": replace})
        )

    # --- test controls --------------------------------------------------------------------

    def _px(self, value: str | int | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        return self.instrument.price(value)

    def set_book(self, bid: str | int | None, ask: str | int | None) -> None:
        self._bid, self._ask = self._px(bid), self._px(ask)

    def set_balances(
        self,
        base: str | Decimal | None,
        quote: str | Decimal | None,
        *,
        base_free: str | Decimal | None = None,
        quote_free: str | Decimal | None = None,
    ) -> None:
        self._balances = Balances(
            base_total=_d(base),
            base_free=_d(base if base_free is None else base_free),
            quote_total=_d(quote),
            quote_free=_d(quote if quote_free is None else quote_free),
        )

    def advance(self, ns: int) -> None:
        self._now += ns

    def add_foreign_order(self, side: Side, price: str, size: str) -> OpenOrder:
        """An order on the instrument that falconet did not place."""
        cid = f"manual-{next(self._seq)}"
        order = OpenOrder(
            client_id=cid,
            side=side,
            price=self.instrument.price(price),
            quantity=self.instrument.size(size),
            filled=0,
            status=OrderStatus.OPEN,
            request_pending=False,
            intent=Intent.NONE,
            level=0,
            strategy=None,
        )
        self.orders[cid] = order
        return order

    def last(self, kind: str, *, side: Side | None = None) -> Request:
        """The newest request of `kind` (and `side`); AssertionError if there is none."""
        for req in reversed(self.requests):
            if req.kind == kind and (side is None or req.side is side):
                return req
        raise AssertionError(f"no {kind} request{f' on the {side} side' if side else ''}")

    def take(self) -> list[Request]:
        """Every request since the last call."""
        out, self.requests = self.requests, []
        return out

    def _base(self, cid: str) -> dict[str, Any]:
        return {
            "ts_exchange": self._now,
            "ts_local": self._now,
            "instrument_id": self.instrument.id,
            "client_id": cid,
            "venue_order_id": cid,
        }

    def _set(self, cid: str, **changes: Any) -> None:
        self.orders[cid] = replace(self.orders[cid], **changes)

    def accept(self, cid: str, strategy: Strategy) -> None:
        self._set(cid, status=OrderStatus.OPEN)
        strategy.on_order(self, OrderAccepted(**self._base(cid)))

    def reject(
        self,
        cid: str,
        strategy: Strategy,
        reason: str = "rejected",
        kind: ErrorKind = ErrorKind.OTHER,
    ) -> None:
        self._set(cid, status=OrderStatus.REJECTED)
        strategy.on_order(self, OrderRejected(**self._base(cid), reason=reason, kind=kind))

    def cancel_ack(self, cid: str, strategy: Strategy, reason: str = "") -> None:
        self._set(cid, status=OrderStatus.CANCELED, request_pending=False)
        strategy.on_order(self, OrderCanceled(**self._base(cid), reason=reason))

    def amend_ack(
        self, cid: str, strategy: Strategy, *, price: int | None = None, size: int | None = None
    ) -> str:
        """The venue amended the order; returns its client id afterwards (a new one on
        cancel-replace venues)."""
        old = self.orders[cid]
        new_price = old.price if price is None else price
        new_size = old.quantity if size is None else size
        new_cid = cid
        if not self.amend_keeps_id:
            tag = decode_client_id(cid)
            intent = tag.intent if tag else Intent.NONE
            level = tag.level if tag else 0
            new_cid = OrderTag(self.code, intent, seq=next(self._seq), level=level).encode(
                IdFormat.TEXT
            )
            self.orders[new_cid] = replace(old, client_id=new_cid)
            del self.orders[cid]
        self._set(new_cid, price=new_price, quantity=new_size, request_pending=False)
        strategy.on_order(
            self,
            OrderAmended(
                **self._base(cid),
                price=new_price,
                quantity=new_size,
                new_client_id=None if new_cid == cid else new_cid,
            ),
        )
        return new_cid

    def amend_reject(
        self,
        cid: str,
        strategy: Strategy,
        reason: str = "rejected",
        kind: ErrorKind = ErrorKind.OTHER,
    ) -> None:
        self._set(cid, request_pending=False)
        event = OrderAmendRejected(**self._base(cid), reason=reason, kind=kind)
        strategy.on_order(self, event)

    def amend_skip(self, cid: str, strategy: Strategy) -> None:
        self._set(cid, request_pending=False)
        o = self.orders[cid]
        strategy.on_order(
            self, OrderAmendSkipped(**self._base(cid), price=o.price, quantity=o.quantity)
        )

    def fill(
        self,
        cid: str,
        strategy: Strategy,
        *,
        size: int | None = None,
        price: int | None = None,
        fee: str = "0",
        fee_currency: str = "",
        trade_id: str | None = None,
    ) -> Fill:
        """Fill (part of) an order, move the balances as the venue would, tell the strategy."""
        o = self.orders[cid]
        qty = o.quantity - o.filled if size is None else size
        px = o.price if price is None else price
        filled = o.filled + qty
        status = OrderStatus.FILLED if filled >= o.quantity else OrderStatus.PARTIALLY_FILLED
        self._set(cid, filled=filled, status=status)
        inst = self.instrument
        value = inst.price_decimal(px) * inst.size_decimal(qty)
        b = self._balances
        sign = 1 if o.side is Side.BUY else -1
        fee_d = Decimal(fee)
        base_fee = fee_d if fee_currency == inst.base else Decimal(0)
        quote_fee = fee_d if fee_currency != inst.base else Decimal(0)
        self.set_balances(
            (b.base_total or Decimal(0)) + sign * inst.size_decimal(qty) - base_fee,
            (b.quote_total or Decimal(0)) - sign * value - quote_fee,
        )
        event = Fill(
            **self._base(cid),
            trade_id=trade_id or f"t{next(self._trades)}",
            side=o.side,
            price=px,
            size=qty,
            fee=fee_d,
            fee_currency=fee_currency or inst.quote,
        )
        strategy.on_fill(self, event)
        return event

    def deliver(self, strategy: Strategy, event: OrderEvent) -> None:
        """Hand any prepared order event to the strategy."""
        if isinstance(event, Fill):
            strategy.on_fill(self, event)
        else:
            strategy.on_order(self, event)


def _d(value: str | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)
