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

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Rounding, Side, TimeInForce
from falconet.core.events import (
    Event,
    Fill,
    OrderEvent,
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
    open: bool = False  # a cycle is running: spot was bought, a short is (being) built
    spot_order: str | None = None  # the spot buy whose fills this cycle hedges
    target: int = 0  # perp size units bought on spot in this cycle
    short_sent: int = 0  # perp size units of shorts sent in this cycle
    short_filled: int = 0  # perp size units short from our hedge fills (net of covers)
    covering: bool = False  # a spot sell came: buy the short back once nothing works
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
        for k in ("target", "short_sent", "short_filled", "cycles"):
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
        order = fill.venue_order_id or fill.client_id
        if fill.side is Side.BUY:
            if not st.open:
                st.open, st.spot_order, st.cycles = True, order, st.cycles + 1
                st.target = st.short_sent = 0
                st.covering = False
            elif st.spot_order != order or st.covering:
                self.ignored_buys += 1  # one short per cycle
                self._persist()
                return
            st.target += self.perp.floor_size(self.spot.size_decimal(fill.size))
            self._top_up()
        elif st.open and not st.covering:
            st.covering = True
            if st.working is not None and st.working_side == Side.SELL.value:
                # the short is still working: stop it, cover what it did once it ends
                self.oms.cancel(self.owner, st.working, self.now_ns())
            self._cover()
        self._persist()

    def _top_up(self) -> None:
        """Short what the cycle's spot buys added, one order at a time. The first order
        is raised to the venue's minimum order value; later remainders below it wait."""
        st = self.state
        if st.working is not None or st.covering:
            return
        need = st.target - st.short_sent
        if need <= 0:
            return
        price = self._touch(Side.SELL) or self._spot_price_on_perp()
        least = self.perp.min_size_for_notional(price) if price > 0 else need
        if need < least:
            if st.short_sent:
                return
            need = least
        st.short_sent += need
        self._send(Side.SELL, need, Intent.HEDGE_OPEN, reduce_only=False)

    def _cover(self) -> None:
        st = self.state
        if not st.covering or st.working is not None:
            return  # a short still working: covered when it ends
        if st.short_filled > 0:
            self._send(Side.BUY, st.short_filled, Intent.HEDGE_CLOSE, reduce_only=True)
        else:
            self._end_cycle()

    def _end_cycle(self) -> None:
        st = self.state
        st.open = st.covering = False
        st.spot_order, st.target, st.short_sent = None, 0, 0

    def _spot_price_on_perp(self) -> int:
        mid = self.market.book.best_bid or self.market.book.best_ask
        return mid or 0

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
        self._submit(side, size, price, order_type, tif, intent, reduce_only=reduce_only)

    def _submit(
        self,
        side: Side,
        size: int,
        price: int | None,
        order_type: OrderType,
        tif: TimeInForce,
        intent: Intent,
        *,
        reduce_only: bool,
    ) -> None:
        # `working` is set before the OMS can answer (a refusal arrives on the next tick)
        cid = self.oms.submit(
            self.owner, side, price, size, tif=tif, order_type=order_type,
            reduce_only=reduce_only, intent=intent, level=0, ts=self.now_ns(),
        )  # fmt: skip
        self.state.working, self.state.working_side = cid, side.value
        log.info(
            "hedge order",
            hedge=self.key,
            side=side.value,
            size=self.perp.size_str(size),
            price=self.perp.price_str(price) if price else "market",
            reduce_only=reduce_only,
        )

    # --- perp order events ----------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if not isinstance(event, OrderEvent):
            return
        st = self.state
        if isinstance(event, Fill):
            st.short_filled += event.size if event.side is Side.SELL else -event.size
            st.short_filled = max(st.short_filled, 0)
        if isinstance(event, OrderRejected):
            log.warning("hedge order rejected", hedge=self.key, reason=event.reason)
        m = self.oms.orders.get(st.working) if st.working else None
        if st.working is not None and (m is None or m.order.status.is_terminal):
            unfilled = 0 if m is None else m.order.quantity - m.order.filled
            side = st.working_side
            st.working = st.working_side = None
            if side == Side.SELL.value:
                st.short_sent -= unfilled  # what did not become short may be sent again
                if isinstance(event, OrderRejected) and st.short_filled == 0:
                    self._end_cycle()  # nothing was shorted: the cycle never started
                    st.cycles -= 1
                elif st.covering:
                    self._cover()
            elif isinstance(event, OrderRejected):
                # a refused cover: the venue's position decides at the next start
                # (`sync_position`); no resend loop here
                st.covering = False
            elif st.covering:
                self._cover()
        self._persist()

    def sync_position(self, venue_size: int | None) -> None:
        """At start-up, with the venue's perp position: a short it no longer has (closed
        by hand, liquidated, covered while we were down) is not ours to cover."""
        st = self.state
        venue_short = max(-(venue_size or 0), 0)
        if st.short_filled > venue_short:
            log.warning(
                "hedge short larger than the venue's: taking the venue's",
                hedge=self.key,
                ours=self.perp.size_str(st.short_filled),
                venue=self.perp.size_str(venue_short),
            )
            st.short_filled = venue_short
            if st.short_filled == 0 and st.working is None:
                self._end_cycle()
            self._persist()

    # --- shutdown ---------------------------------------------------------------------------

    async def close(self, wait_s: float = 0.5) -> None:
        """Cancel working hedge orders, wait (briefly) for them to end, then close the
        short with a reduce-only IOC limit through the book (called before the engine
        stops taking new orders)."""
        for m in self.oms.open_orders(self.owner):
            self.oms.cancel(self.owner, m.order.client_id, self.now_ns())
        deadline = time.monotonic() + wait_s
        while self.oms.open_orders(self.owner) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        st = self.state
        st.working = st.working_side = None
        if st.short_filled > 0:
            st.covering = True  # the close's fill ends the cycle: the next start is fresh
            self._close_short()
        elif st.open:
            self._end_cycle()
        self._persist()

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
        self._submit(
            Side.BUY, size, price, OrderType.LIMIT, TimeInForce.IOC, Intent.HEDGE_CLOSE,
            reduce_only=True,
        )  # fmt: skip
        log.info("hedge closed at shutdown", hedge=self.key, size=self.perp.size_str(size))

    def _persist(self) -> None:
        self._save(self.key, self.state.to_dict())

    def snapshot(self) -> dict[str, Any]:
        return {**self.state.to_dict(), "ignored_buys": self.ignored_buys}


def perp_symbol(spot_symbol: str) -> str:
    """The perp hedging a spot pair: the coin before the slash ("HYPE/USDC" → "HYPE")."""
    return spot_symbol.split("/", 1)[0].upper()
