"""The strategy context over the simulator: what `Strategy` callbacks see in a backtest.

Reads come straight from the kernel's state arrays; requests are written into its
command buffer and take effect when the runner next advances the simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import FalconetError
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode, decode_client_id
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.sim import layout as L
from falconet.sim.asset import SimAsset
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


class OrderRequestError(FalconetError):
    """A request the strategy made that cannot be sent (unknown order, bad price)."""


class SimContext:
    """`strategies.api.Context` implemented by one simulated instrument."""

    def __init__(self, asset: SimAsset, strategy_code: StrategyCode) -> None:
        self.asset = asset
        self.instrument: Instrument = asset.instrument
        self.strategy_code = strategy_code
        self._S = asset.S
        self._tick = asset.tick_units

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
            )
            for o in self.asset.open_orders()
        ]

    def _order_id(self, client_id: str) -> int:
        tag = decode_client_id(client_id)
        if tag is None:
            raise OrderRequestError(f"unknown client order id {client_id!r}")
        return tag.seq

    def _check_price(self, price: int) -> None:
        if price <= 0 or price % self._tick:
            raise OrderRequestError(
                f"price {self.instrument.price_str(price)} is not a positive multiple of the "
                f"tick {self.instrument.price_str(self._tick)}"
            )

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
        if order_type not in (OrderType.LIMIT, OrderType.MARKET):
            raise OrderRequestError(f"the simulator does not trigger {order_type} orders")
        if size <= 0 or size % self.instrument.lot:
            raise OrderRequestError(
                f"size {self.instrument.size_str(size)} is not a positive multiple of the lot"
            )
        market = order_type is OrderType.MARKET
        if not market:
            if price is None:
                raise OrderRequestError("a limit order needs a price")
            self._check_price(price)
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
        return self.client_id(order_id, int(intent), level)

    def cancel(self, client_id: str) -> None:
        self.asset.cancel(self._order_id(client_id))

    def amend(self, client_id: str, *, price: int | None = None, size: int | None = None) -> None:
        order_id = self._order_id(client_id)
        current = next((o for o in self.asset.open_orders() if o.order_id == order_id), None)
        if current is None:
            raise OrderRequestError(f"order {client_id} is not open")
        new_price = current.price if price is None else price
        self._check_price(new_price)
        self.asset.amend(order_id, new_price, current.quantity if size is None else size)

    def reconcile(
        self,
        bids: Sequence[Quote],
        asks: Sequence[Quote],
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        replace: bool = False,
    ) -> None:
        if self._tick != 1:
            for price, _ in (*bids, *asks):
                self._check_price(price)
        self.asset.quotes(
            bids,
            asks,
            tif=TIF[tif],
            replace=replace,
            intent_bid=Intent.MM_BID,
            intent_ask=Intent.MM_ASK,
        )
