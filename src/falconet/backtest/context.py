"""The strategy context over the simulator: what `Strategy` callbacks see in a backtest.

Reads come straight from the kernel's state arrays; requests are written into its
command buffer and take effect when the runner next advances the simulation. A request
that cannot go (off the tick or lot, an unknown order, a risk rule) is answered with a
rejection event after the callback returns, as the live engine answers it, and counted
by kind and rule for the summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    OrderAmendRejected,
    OrderCancelRejected,
    OrderEvent,
    OrderRejected,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode, decode_client_id
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.risk import EntryRisk, Proposal, RiskEngine
from falconet.sim import layout as L
from falconet.sim.asset import OrderView, SimAsset
from falconet.strategies.api import Balances, Fees, OpenOrder, Quote

TIF = {
    TimeInForce.GTC: L.TIF_GTC,
    TimeInForce.DAY: L.TIF_GTC,
    TimeInForce.POST_ONLY: L.TIF_POST_ONLY,
    TimeInForce.IOC: L.TIF_IOC,
    TimeInForce.FOK: L.TIF_FOK,
}
STATUS = {
    L.ST_PENDING: OrderStatus.PENDING_NEW,
    L.ST_NEW: OrderStatus.OPEN,
    L.ST_PARTIAL: OrderStatus.PARTIALLY_FILLED,
    L.ST_FILLED: OrderStatus.FILLED,
    L.ST_CANCELED: OrderStatus.CANCELED,
    L.ST_EXPIRED: OrderStatus.EXPIRED,
    L.ST_REJECTED: OrderStatus.REJECTED,
}


def _dec(x: float) -> Decimal:
    return Decimal(repr(round(x, 12)))


REFUSED_IDS = 1 << 40  # client ids of refused orders: above any kernel order id


class SimContext:
    """`strategies.api.Context` implemented by one simulated instrument."""

    def __init__(
        self,
        asset: SimAsset,
        strategy_code: StrategyCode,
        *,
        risk: RiskEngine | None = None,
        key: str | None = None,
    ) -> None:
        self.asset = asset
        self.instrument: Instrument = asset.instrument
        self.strategy_code = strategy_code
        self._S = asset.S
        self._tick = asset.tick_units
        self.risk = risk
        self.entry: EntryRisk | None = None
        # orders sent in this callback: the kernel takes them only when the run advances,
        # but the risk rules must count them (three buys in one callback are three)
        self.queued: list[OpenOrder] = []
        if risk is not None:
            view = _RiskView(self)
            self.entry = risk.add_entry(key or str(asset.instrument.id), "sim", view)
        self.refusals: list[OrderEvent] = []  # answered after the callback returns
        self.rejections: Counter[tuple[str, str]] = Counter()  # (kind, rule) of refused orders
        self._refused = 0

    @property
    def now_ns(self) -> int:
        return int(self._S[L.S_NOW])

    def best_bid(self) -> int | None:
        t = int(self._S[L.S_LBB])
        return None if t == L.NO_BID else t * self._tick

    def best_ask(self) -> int | None:
        t = int(self._S[L.S_LBA])
        return None if t == L.NO_ASK else t * self._tick

    def levels(self, side: Side, n: int) -> list[tuple[int, int]]:
        return self.asset.levels(side, n)

    def balances(self) -> Balances:
        """The simulated account: starting balances plus what the fills changed, minus
        what open orders lock (buys their value, sells their size)."""
        f = self.asset.F
        cfg = self.asset.config
        quote = (cfg.initial_balance or 0.0) + float(f[L.F_LBAL] - f[L.F_LFEE] - f[L.F_FUNDING])
        base = cfg.initial_base + float(f[L.F_LPOSF])
        unit = float(f[L.F_UNIT])
        locked_quote = locked_base = 0.0
        for o in self.asset.open_orders():
            if o.side is Side.BUY:
                locked_quote += self.instrument.price_float(o.price) * o.leaves * unit
            else:
                locked_base += o.leaves * unit
        return Balances(
            base_total=_dec(base),
            base_free=_dec(base - locked_base),
            quote_total=_dec(quote),
            quote_free=_dec(quote - locked_quote),
        )

    def fees(self) -> Fees:
        fees = self.asset.config.fees
        return Fees(maker=_dec(fees.maker), taker=_dec(fees.taker))

    def state_changed(self) -> None:
        """Nothing to save in a backtest: the run is its own record."""

    def position(self) -> int:
        return int(self._S[L.S_LPOS])

    def book_ts(self) -> int:
        return self.now_ns  # the simulated book is always the latest

    def client_id(self, order_id: int, intent: int, level: int) -> str:
        tag = OrderTag(self.strategy_code, Intent(intent), seq=order_id, level=level)
        return tag.encode(IdFormat.TEXT)

    def open_orders(self) -> list[OpenOrder]:
        return [
            OpenOrder(
                client_id=self.client_id(o.order_id, o.intent, o.level),
                side=o.side,
                price=o.price,
                quantity=o.quantity,
                filled=o.filled,
                status=STATUS[o.status],
                request_pending=o.pending in (L.R_CANCEL, L.R_AMEND),
                intent=Intent(o.intent),
                level=o.level,
                strategy=self.strategy_code,
                venue_order_id=str(o.order_id),
                created_ns=o.created_ns,
                acknowledged_ns=o.acknowledged_ns,
                updated_ns=o.updated_ns,
            )
            for o in self.asset.open_orders()
        ]

    def order(self, client_id: str) -> OpenOrder | None:
        """Live orders only: the kernel does not keep ended ones."""
        return next((o for o in self.open_orders() if o.client_id == client_id), None)

    # --- refusals ---------------------------------------------------------------------------

    def _refuse(
        self, kind: ErrorKind, reason: str, *, intent: Intent, level: int, rule: str = ""
    ) -> str:
        """A new order that does not reach the simulator: its client id, answered with a
        rejection once the callback returns."""
        self._refused += 1
        cid = self.client_id(REFUSED_IDS + self._refused, int(intent), level)
        base = self._event_base(cid)
        self.refusals.append(OrderRejected(**base, reason=reason, kind=kind, rule=rule))
        self.rejections[(kind.value, rule)] += 1
        return cid

    def _refuse_request(
        self, client_id: str, kind: ErrorKind, reason: str, *, amend: bool, rule: str = ""
    ) -> None:
        base = {**self._event_base(client_id), "reason": reason, "kind": kind, "rule": rule}
        event = OrderAmendRejected(**base) if amend else OrderCancelRejected(**base)
        self.refusals.append(event)

    def _event_base(self, client_id: str) -> dict[str, Any]:
        now = self.now_ns
        return {
            "ts_exchange": now,
            "ts_local": now,
            "instrument_id": self.instrument.id,
            "client_id": client_id,
        }

    def take_refusals(self) -> list[OrderEvent]:
        """The refusals of the callback that just returned."""
        out, self.refusals = self.refusals, []
        return out

    def _queue(self, cid: str, side: Side, price: int, size: int) -> None:
        if self.entry is not None:
            pending = OrderStatus.PENDING_NEW
            self.queued.append(OpenOrder(cid, side, price, size, 0, pending, False, Intent.NONE, 0))

    def _order_id(self, client_id: str) -> int | None:
        tag = decode_client_id(client_id)
        return None if tag is None or tag.seq >= REFUSED_IDS else tag.seq

    def _price_problem(self, price: int) -> str | None:
        if price <= 0 or price % self._tick:
            return (
                f"price {self.instrument.price_str(price)} is not a positive multiple of the "
                f"tick {self.instrument.price_str(self._tick)}"
            )
        return None

    def _risk_refusal(self, order: Proposal) -> tuple[str, str] | None:
        if self.risk is None or self.entry is None:
            return None
        refusal = self.risk.check(self.entry, order, self.now_ns)
        return None if refusal is None else (refusal.rule, refusal.reason)

    # --- requests -----------------------------------------------------------------------------

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
        def refuse(kind: ErrorKind, reason: str, rule: str = "") -> str:
            return self._refuse(kind, reason, intent=intent, level=level, rule=rule)

        if order_type not in (OrderType.LIMIT, OrderType.MARKET):
            reason = f"the simulator does not trigger {order_type} orders"
            return refuse(ErrorKind.INVALID_REQUEST, reason)
        if size <= 0 or size % self.instrument.lot:
            lot = self.instrument.size_str(size)
            reason = f"size {lot} is not a positive multiple of the lot"
            return refuse(ErrorKind.BAD_PRECISION, reason)
        market = order_type is OrderType.MARKET
        if not market:
            if price is None:
                return refuse(ErrorKind.INVALID_REQUEST, "a limit order needs a price")
            problem = self._price_problem(price)
            if problem is not None:
                return refuse(ErrorKind.BAD_PRECISION, problem)
        refused = self._risk_refusal(Proposal(side, None if market else price, size, reduce_only))
        if refused is not None:
            return refuse(ErrorKind.RISK, refused[1], refused[0])
        order_id = self.asset.submit(
            side.sign,
            0 if market or price is None else price,
            size,
            tif=L.TIF_IOC if market else TIF[tif],
            order_type=L.TYPE_MARKET if market else L.TYPE_LIMIT,
            reduce_only=reduce_only,
            intent=int(intent),
            level=level,
        )
        cid = self.client_id(order_id, int(intent), level)
        self._queue(cid, side, price or 0, size)
        return cid

    def cancel(self, client_id: str) -> None:
        order_id = self._order_id(client_id)
        if order_id is None:
            reason = f"unknown client order id {client_id!r}"
            self._refuse_request(client_id, ErrorKind.UNKNOWN_ORDER, reason, amend=False)
            return
        self.asset.cancel(order_id)

    def cancel_all(self) -> None:
        self.asset.cancel_all()

    def amend(self, client_id: str, *, price: int | None = None, size: int | None = None) -> None:
        order_id = self._order_id(client_id)
        current = next((o for o in self.asset.open_orders() if o.order_id == order_id), None)
        if order_id is None or current is None:
            reason = f"order {client_id} is not open"
            self._refuse_request(client_id, ErrorKind.UNKNOWN_ORDER, reason, amend=True)
            return
        new_price = current.price if price is None else price
        new_size = current.quantity if size is None else size
        problem = self._price_problem(new_price)
        if problem is not None:
            self._refuse_request(client_id, ErrorKind.BAD_PRECISION, problem, amend=True)
            return
        refused = self._risk_refusal(
            Proposal(current.side, new_price, max(new_size - current.filled, 0), replaces=client_id)
        )
        if refused is not None:
            rule, reason = refused
            self._refuse_request(client_id, ErrorKind.RISK, reason, amend=True, rule=rule)
            return
        self.asset.amend(order_id, new_price, new_size)

    def reconcile(
        self,
        bids: Sequence[Quote],
        asks: Sequence[Quote],
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        replace: bool = False,
    ) -> None:
        """The kernel diffs the quotes against what rests; quotes it would newly place go
        through the same checks as `submit` first (a refused one is left out)."""
        if self.risk is not None:  # (a plain backtest skips this: it is the hot path)
            orders = [] if replace else self.asset.open_orders()
            bids = self._checked(Side.BUY, bids, Intent.MM_BID, orders)
            asks = self._checked(Side.SELL, asks, Intent.MM_ASK, orders)
        elif self._tick != 1:
            bids = self._on_tick(bids, Intent.MM_BID)
            asks = self._on_tick(asks, Intent.MM_ASK)
        self.asset.quotes(
            bids,
            asks,
            tif=TIF[tif],
            replace=replace,
            intent_bid=Intent.MM_BID,
            intent_ask=Intent.MM_ASK,
        )

    def _on_tick(self, quotes: Sequence[Quote], intent: Intent) -> list[Quote]:
        """The quotes whose price is on the tick; each other one is refused."""
        out: list[Quote] = []
        for level, (price, size) in enumerate(quotes):
            problem = self._price_problem(price)
            if problem is None:
                out.append((price, size))
            else:
                self._refuse(ErrorKind.BAD_PRECISION, problem, intent=intent, level=level)
        return out

    def _checked(
        self, side: Side, quotes: Sequence[Quote], intent: Intent, orders: list[OrderView]
    ) -> list[Quote]:
        resting = [(o.price, o.quantity) for o in orders if o.side is side]
        out: list[Quote] = []
        for level, (price, size) in enumerate(quotes):
            if (price, size) in resting:
                resting.remove((price, size))
                out.append((price, size))
                continue
            problem = self._price_problem(price) if self._tick != 1 else None
            if problem is not None:
                self._refuse(ErrorKind.BAD_PRECISION, problem, intent=intent, level=level)
                continue
            refused = self._risk_refusal(Proposal(side, price, size))
            if refused is not None:
                rule, reason = refused
                self._refuse(ErrorKind.RISK, reason, rule=rule, intent=intent, level=level)
                continue
            self._queue(f"quote:{side.value}:{level}", side, price, size)
            out.append((price, size))
        return out


class _RiskView:
    """The context as the risk engine sees it: the kernel's open orders plus the ones
    queued in the current callback."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        self.instrument = ctx.instrument

    def best_bid(self) -> int | None:
        return self.ctx.best_bid()

    def best_ask(self) -> int | None:
        return self.ctx.best_ask()

    def position(self) -> int:
        return self.ctx.position()

    def open_orders(self) -> list[OpenOrder]:
        return [*self.ctx.open_orders(), *self.ctx.queued]

    def book_ts(self) -> int:
        return self.ctx.book_ts()
