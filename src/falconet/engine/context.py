"""`LiveContext`: the strategy API over the engine — the venue's latest book and account,
the OMS's orders. One per runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from falconet.core.enums import BookSide, InstrumentKind, OrderType, Side, TimeInForce
from falconet.core.events import margin_asset
from falconet.core.ids import Intent, decode_client_id
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import Gate, Managed, OrderManager, Owner
from falconet.risk import EntryRisk, Proposal, RiskEngine
from falconet.strategies.api import Balances, Fees, OpenOrder, Quote

if TYPE_CHECKING:
    from falconet.core.clock import Clock


class LiveContext:
    def __init__(
        self,
        owner: Owner,
        oms: OrderManager,
        market: MarketState,
        account: Account,
        clock: Clock,
        fees: Fees | None,
        on_state_changed: Callable[[], None],
    ) -> None:
        self.owner = owner
        self.instrument: Instrument = owner.instrument
        self.oms = oms
        self.market = market
        self.account = account
        self.clock = clock
        self._fees = fees
        self._state_changed = on_state_changed
        self.risk: RiskEngine | None = None
        self.risk_entry: EntryRisk | None = None
        # local time of the book update the strategy is reacting to, while in on_book
        self.trigger_ns: int | None = None
        self.time_scale = 1.0  # venue-clock seconds per wall second (a fast paper venue)
        # reduce-only orders skip the risk rules, like the kill switch's closes (a
        # hedge's covers and its close at shutdown only ever shrink its short)
        self.reduce_only_ungated = False

    def attach_risk(self, risk: RiskEngine, entry: EntryRisk) -> None:
        """Every order from now on passes `risk` before the OMS."""
        self.risk, self.risk_entry = risk, entry

    def wall_ns_since(self, ts_ns: int, now_ns: int) -> int:
        """Wall-clock ns from `ts_ns` to `now_ns`, both on the venue's clock (which a fast
        paper venue runs `time_scale` times faster than the wall)."""
        elapsed = now_ns - ts_ns
        return elapsed if self.time_scale == 1.0 else int(elapsed / self.time_scale)

    def _latency_ns(self, now_ns: int) -> int | None:
        """Wall time since the book update this callback answers (None outside on_book)."""
        return None if self.trigger_ns is None else self.wall_ns_since(self.trigger_ns, now_ns)

    def book_ts(self) -> int:
        return self.market.book.ts_local

    @property
    def now_ns(self) -> int:
        return self.clock.now_ns()

    def best_bid(self) -> int | None:
        return self.market.book.best_bid

    def best_ask(self) -> int | None:
        return self.market.book.best_ask

    def levels(self, side: Side, n: int) -> list[tuple[int, int]]:
        return self.market.book.levels(BookSide.BID if side is Side.BUY else BookSide.ASK, n)

    def position(self) -> int:
        pos = self.account.positions.get(self.instrument.id)
        if pos is not None:
            return pos.size
        if self.instrument.kind is InstrumentKind.PERP:
            return 0
        total, _ = self.account.balance(self.instrument.base)
        return 0 if total is None else int(total.scaleb(self.instrument.size_decimals))

    def balances(self) -> Balances:
        inst = self.instrument
        if inst.kind is InstrumentKind.PERP:
            # A perp's "base" is the long position (what a long-only grid or MM may sell);
            # its quote is the margin account's collateral.
            pos = self.account.positions.get(inst.id)
            held = inst.size_decimal(max(pos.size, 0)) if pos is not None else Decimal(0)
            quote_total, quote_free = self.account.balance(margin_asset(inst.quote))
            return Balances(held, held, quote_total, quote_free)
        base_total, base_free = self.account.balance(inst.base)
        quote_total, quote_free = self.account.balance(inst.quote)
        return Balances(base_total, base_free, quote_total, quote_free)

    def fees(self) -> Fees:
        if self._fees is None:
            raise LookupError(f"no fee rates known for {self.instrument.id}")
        return self._fees

    def state_changed(self) -> None:
        self._state_changed()

    def open_orders(self) -> list[OpenOrder]:
        inst = self.instrument.id
        return [view_of(m) for m in self.oms.open_orders() if m.instrument.id == inst]

    def order(self, client_id: str) -> OpenOrder | None:
        m = self.oms.orders.get(client_id)
        return view_of(m) if m is not None and m.owner is self.owner else None

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
        now = self.now_ns
        market = order_type is OrderType.MARKET
        order = Proposal(side, None if market else price, size, reduce_only)
        return self.oms.submit(
            self.owner,
            side,
            price,
            size,
            tif=tif,
            order_type=order_type,
            reduce_only=reduce_only,
            intent=intent,
            level=level,
            ts=now,
            gate=None if reduce_only and self.reduce_only_ungated else self._gate(order, now),
        )

    def cancel(self, client_id: str) -> None:
        self.oms.cancel(self.owner, client_id, self.now_ns)

    def amend(self, client_id: str, *, price: int | None = None, size: int | None = None) -> None:
        m = self.oms.orders.get(client_id)
        current = m.order.quantity if m is not None else 0
        size = current if size is None else size
        now = self.now_ns
        gate = None
        if m is not None:
            new_price = price if price is not None else m.order.price
            left = max(size - m.order.filled, 0)  # what the amended order may still add
            order = Proposal(m.order.side, new_price, left, m.order.reduce_only, client_id)
            gate = self._gate(order, now)
        self.oms.amend(self.owner, client_id, price, size, now, gate)

    def _gate(self, order: Proposal, now: int) -> Gate | None:
        """The risk engine's word on `order`, asked by the OMS after its own checks."""
        risk, entry = self.risk, self.risk_entry
        if risk is None or entry is None:
            return None

        def gate() -> tuple[str, str] | None:
            refusal = risk.check(entry, order, now, latency_ns=self._latency_ns(now))
            return None if refusal is None else (refusal.rule, refusal.reason)

        return gate

    def reconcile(
        self,
        bids: Sequence[Quote],
        asks: Sequence[Quote],
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        replace: bool = False,
    ) -> None:
        """Diff mode keeps each live or unacknowledged order matching a quote and cancels
        the other live ones; replace cancels all. Missing quotes go bid 0, ask 0, bid 1 …"""
        wanted: dict[Side, list[Quote | None]] = {Side.BUY: list(bids), Side.SELL: list(asks)}
        for m in self.oms.open_orders(self.owner):
            o = m.order
            live = o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
            pending_new = o.status is OrderStatus.PENDING_NEW
            quotes = wanted[o.side]
            key: Quote = (o.price or 0, o.quantity)
            if not replace and (live or pending_new) and key in quotes:
                quotes[quotes.index(key)] = None
            elif live:
                self.cancel(o.client_id)
        for i in range(max(len(bids), len(asks))):
            for side, intent in ((Side.BUY, Intent.MM_BID), (Side.SELL, Intent.MM_ASK)):
                quotes = wanted[side]
                if i < len(quotes) and quotes[i] is not None:
                    price, size = quotes[i]  # type: ignore[misc]
                    self.submit(side, price, size, tif=tif, intent=intent, level=i)


def view_of(m: Managed) -> OpenOrder:
    o = m.order
    tag = m.tag or decode_client_id(o.client_id)
    return OpenOrder(
        client_id=o.client_id,
        side=o.side,
        price=o.price or 0,
        quantity=o.quantity,
        filled=o.filled,
        status=o.status,
        request_pending=o.status in (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_AMEND),
        intent=tag.intent if tag else Intent.NONE,
        level=tag.level if tag else 0,
        strategy=tag.strategy if tag else None,
        venue_order_id=o.venue_order_id,
        created_ns=o.ts_created,
        acknowledged_ns=o.ts_acknowledged,
        updated_ns=o.ts_updated,
    )


def fee_rates(
    maker: Decimal | None, taker: Decimal | None, venue: tuple[str, str] | None
) -> Fees | None:
    """Config override, else what the venue reported. None when neither gives a rate:
    strategies then fall back as their docs say (the MM to the taker fee, then 0.26 %)."""
    if venue is not None:
        vm, vt = Decimal(venue[0]), Decimal(venue[1])
        return Fees(maker if maker is not None else vm, taker if taker is not None else vt)
    if maker is None and taker is None:
        return None
    # one side configured, the venue silent: the configured rate stands for both
    known = maker if maker is not None else taker
    assert known is not None
    return Fees(maker if maker is not None else known, taker if taker is not None else known)
