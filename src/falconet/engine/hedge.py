"""Auto-hedge: a spot grid's fills hedged with a perp short on the same venue.

One `Hedger` per hedged entry (the seed kept one global hedge state for every symbol; here
each symbol has its own). Rules, as in the seed:
- a spot **buy** fill with no hedge open opens a perp **short** of the filled size;
- a spot **sell** fill with a hedge open buys back what the short actually filled
  (reduce-only), or cancels a short that has not filled yet;
- a second buy while a hedge is open is ignored (one short per cycle);
- orders are limits at the perp's touch (best bid for the short, best ask for the cover),
  taking liquidity; with no perp book, a market order;
- on shutdown, hedge orders are canceled and the short is closed with a reduce-only order.

The perp's minimum order value (10 USDC) can exceed a small grid fill: the short is then
sized up to the minimum, and the cover buys back that size. State (open, sizes, working
order) is saved after every change, so a restart resumes the same cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Rounding, Side, TimeInForce
from falconet.core.events import (
    Event,
    Fill,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.engine.market import MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.observe.log import get_logger

log = get_logger("hedge")

MARKET_SLIPPAGE = Decimal("0.05")  # the venue's own market orders are limits 5% through the mid


@dataclass
class HedgeState:
    open: bool = False  # a cycle is running: a short was sent for a spot buy
    short_sent: int = 0  # perp size units the open order asked for
    short_filled: int = 0  # perp size units short from our hedge fills (net of covers)
    working: str | None = None  # client id of the hedge order in flight, if any
    working_side: str | None = None
    cycles: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> HedgeState:
        if not data:
            return cls()
        known = {k: data[k] for k in vars(cls()) if k in data}
        for k in ("short_sent", "short_filled", "cycles"):
            if k in known:
                known[k] = int(known[k])
        return cls(**known)


class Hedger:
    def __init__(
        self,
        key: str,
        spot: Instrument,
        perp: Instrument,
        oms: OrderManager,
        market: MarketState,
        *,
        now_ns: Callable[[], int],
        save: Callable[[str, dict[str, Any]], None],
        load: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self.key = key
        self.spot = spot
        self.perp = perp
        self.oms = oms
        self.market = market
        self.now_ns = now_ns
        self._save = save
        self.owner = Owner(key, StrategyCode.HEDGE, perp, self.on_event)
        self.state = HedgeState.from_dict(load(key))
        self.ignored_buys = 0

    # --- spot fills -----------------------------------------------------------------------

    def on_spot_fill(self, fill: Fill) -> None:
        if fill.price <= 0 or fill.size <= 0:
            return
        st = self.state
        if fill.side is Side.BUY:
            if st.open:
                self.ignored_buys += 1
                return
            size = self._perp_size(fill)
            if size <= 0:
                log.warning("spot fill too small to hedge", hedge=self.key)
                return
            st.open, st.short_sent = True, size
            st.cycles += 1
            self._send(Side.SELL, size, Intent.HEDGE_OPEN, reduce_only=False)
        elif st.open:
            if st.working is not None and st.working_side == Side.SELL.value:
                # the short has not (fully) filled: stop it, cover what it did
                self.oms.cancel(self.owner, st.working, self.now_ns())
            if st.short_filled > 0:
                self._send(Side.BUY, st.short_filled, Intent.HEDGE_CLOSE, reduce_only=True)
            else:
                st.open = False
        self._persist()

    def _perp_size(self, fill: Fill) -> int:
        """The spot fill's size in perp lots, raised to the perp's minimum order value."""
        qty = self.spot.size_decimal(fill.size)
        size = self.perp.floor_size(qty)
        price = self._touch(Side.SELL) or self.perp.round_price(self.spot.price_decimal(fill.price))
        if price > 0:
            size = max(size, self.perp.min_size_for_notional(price))
        return size

    # --- orders -----------------------------------------------------------------------------

    def _touch(self, side: Side) -> int | None:
        bid, _, ask, _ = self.market.top()
        return bid if side is Side.SELL else ask

    def _send(self, side: Side, size: int, intent: Intent, *, reduce_only: bool) -> None:
        price = self._touch(side)
        if price is None:
            order_type, tif = OrderType.MARKET, TimeInForce.IOC
        else:
            # a marketable limit at the touch (GTC, as the seed sends it)
            order_type, tif = OrderType.LIMIT, TimeInForce.GTC
        cid = self.oms.submit(
            self.owner,
            side,
            price,
            size,
            tif=tif,
            order_type=order_type,
            reduce_only=reduce_only,
            intent=intent,
            level=0,
            ts=self.now_ns(),
        )
        self.state.working, self.state.working_side = cid, side.value
        log.info(
            "hedge order",
            hedge=self.key,
            side=side.value,
            size=self.perp.size_str(size),
            price=self.perp.price_str(price) if price else "market",
        )

    # --- perp order events ----------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if not isinstance(event, OrderEvent):
            return
        st = self.state
        if isinstance(event, Fill):
            st.short_filled += event.size if event.side is Side.SELL else -event.size
            st.short_filled = max(st.short_filled, 0)
            if event.side is Side.BUY and st.short_filled == 0:
                st.open = False
        elif isinstance(event, OrderRejected | OrderCanceled | OrderExpired) and (
            event.client_id == st.working or st.working is None
        ):
            if st.working_side == Side.SELL.value and st.short_filled == 0:
                st.open = False  # nothing was shorted: the cycle never started
            if isinstance(event, OrderRejected):
                log.warning("hedge order rejected", hedge=self.key, reason=event.reason)
        order = self.oms.orders.get(st.working) if st.working else None
        if order is None or order.order.status.is_terminal:
            st.working = st.working_side = None
        self._persist()

    # --- shutdown ---------------------------------------------------------------------------

    def close_requests(self) -> None:
        """Cancel working hedge orders and close the short with a reduce-only order
        (called before the engine stops taking new orders)."""
        for m in self.oms.open_orders(self.owner):
            self.oms.cancel(self.owner, m.order.client_id, self.now_ns())
        if self.state.short_filled > 0:
            self._close_short()

    def _close_short(self) -> None:
        size = self.state.short_filled
        ask = self._touch(Side.BUY)
        if ask is None:
            self._send(Side.BUY, size, Intent.HEDGE_CLOSE, reduce_only=True)
            return
        # an IOC limit through the book, like the venue's own market orders
        price = self.perp.round_price(
            self.perp.price_decimal(ask) * (1 + MARKET_SLIPPAGE), Rounding.UP
        )
        cid = self.oms.submit(
            self.owner,
            Side.BUY,
            price,
            size,
            tif=TimeInForce.IOC,
            order_type=OrderType.LIMIT,
            reduce_only=True,
            intent=Intent.HEDGE_CLOSE,
            level=0,
            ts=self.now_ns(),
        )
        self.state.working, self.state.working_side = cid, Side.BUY.value
        log.info("hedge closed at shutdown", hedge=self.key, size=self.perp.size_str(size))

    def _persist(self) -> None:
        self._save(self.key, self.state.to_dict())

    def snapshot(self) -> dict[str, Any]:
        return {**self.state.to_dict(), "ignored_buys": self.ignored_buys}


def perp_symbol(spot_symbol: str) -> str:
    """The perp hedging a spot pair: the coin before the slash ("HYPE/USDC" → "HYPE")."""
    return spot_symbol.split("/", 1)[0].upper()
