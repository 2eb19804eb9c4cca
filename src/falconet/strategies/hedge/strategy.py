"""Auto-hedge: a spot grid's fills hedged with a perp short on the same venue account.

A strategy on two instruments: it follows the spot entry's fills (`on_linked_fill`) and
trades the perp (its context's instrument). One per hedged entry (the seed kept one
global hedge state for every symbol; here each symbol has its own). Rules, as in the seed:
- a spot **buy** fill with no hedge open opens a perp **short** of the filled size;
- a spot **sell** fill with a hedge open buys back what the short actually filled
  (reduce-only), or cancels a short that has not filled yet;
- a second buy while a hedge is open is ignored (one short per cycle);
- orders are limits at the perp's touch (best bid for the short, best ask for the cover),
  taking liquidity; with no perp book, a market order;
- on shutdown (its orders already canceled by the engine), the short is closed with a
  reduce-only order.

The perp's minimum order value can exceed a small grid fill: the short is then sized up
to the minimum, and the cover buys back that size. State (open, sizes, working order) is
saved after every change, so a restart resumes the same cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from falconet.core.enums import OrderType, Rounding, Side, TimeInForce
from falconet.core.events import (
    Fill,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.observe.log import get_logger
from falconet.strategies.api import Context, Strategy

log = get_logger("hedge")

# The close at shutdown is an IOC limit this far through the touch, like a venue's own
# market orders (5% through the mid).
MARKET_SLIPPAGE = Decimal("0.05")
ENDS = (OrderCanceled, OrderRejected, OrderExpired)  # events after which an order is over


INT_FIELDS = ("target", "short_sent", "short_filled", "working_size", "working_filled", "cycles")


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
    working_size: int = 0  # the working order's size and what of it filled so far
    working_filled: int = 0
    cycles: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> HedgeState:
        if not data:
            return cls()
        known = {k: data[k] for k in vars(cls()) if k in data}
        for k in INT_FIELDS:
            if k in known:
                known[k] = int(known[k])
        return cls(**known)


class HedgeStrategy(Strategy):
    name: ClassVar[str] = "hedge"
    code: ClassVar[StrategyCode] = StrategyCode.HEDGE

    def __init__(self, spot: Instrument, perp: Instrument) -> None:
        self.spot = spot
        self.perp = perp
        self.state = HedgeState()
        self.ignored_buys = 0

    # --- lifecycle ----------------------------------------------------------------------------

    def restore_state(self, state: dict[str, Any]) -> None:
        self.state = HedgeState.from_dict(state)

    def snapshot_state(self) -> dict[str, Any]:
        return self.state.to_dict()

    def snapshot(self) -> dict[str, Any]:
        return {**self.state.to_dict(), "ignored_buys": self.ignored_buys}

    def on_start(self, ctx: Context) -> None:
        """A (re)start: the venue's position says what our shorts filled while we were
        down (their fills are not replayed to a hedge), within what the cycle sent."""
        st = self.state
        if st.working is not None:
            order = ctx.order(st.working)
            if order is None:  # it ended while we were down: the venue no longer lists it
                self._working_ended(ctx, None, unfilled=0)
            else:  # adopted: its fills so far are as the venue lists them
                st.working_filled = order.filled
        venue_short = max(-ctx.position(), 0)
        if st.open and st.short_filled < min(venue_short, st.short_sent):
            log.warning(
                "hedge short filled while down: taking the venue's",
                hedge=self.perp.id,
                ours=self.perp.size_str(st.short_filled),
                venue=self.perp.size_str(venue_short),
            )
            st.short_filled = min(venue_short, st.short_sent)
            ctx.state_changed()
        self._sync_position(ctx, ctx.position())

    def _sync_position(self, ctx: Context, venue_size: int) -> None:
        """With the venue's perp position: a short it no longer has (closed by hand,
        liquidated, covered while we were down) is not ours to cover."""
        st = self.state
        venue_short = max(-venue_size, 0)
        if st.short_filled > venue_short:
            log.warning(
                "hedge short larger than the venue's: taking the venue's",
                hedge=self.perp.id,
                ours=self.perp.size_str(st.short_filled),
                venue=self.perp.size_str(venue_short),
            )
            st.short_filled = venue_short
            if st.short_filled == 0 and st.working is None:
                self._end_cycle()
            ctx.state_changed()

    # --- spot fills -----------------------------------------------------------------------

    def on_linked_fill(self, ctx: Context, fill: Fill) -> None:
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
                ctx.state_changed()
                return
            st.target += self.perp.floor_size(self.spot.size_decimal(fill.size))
            self._top_up(ctx)
        elif st.open and not st.covering:
            st.covering = True
            if st.working is not None and st.working_side == Side.SELL.value:
                # the short is still working: stop it, cover what it did once it ends
                ctx.cancel(st.working)
            self._cover(ctx)
        ctx.state_changed()

    def _top_up(self, ctx: Context) -> None:
        """Short what the cycle's spot buys added, one order at a time. The first order
        is raised to the venue's minimum order value; later remainders below it wait."""
        st = self.state
        if st.working is not None or st.covering:
            return
        need = st.target - st.short_sent
        if need <= 0:
            return
        price = ctx.best_bid() or ctx.best_ask() or 0
        least = self.perp.min_size_for_notional(price) if price > 0 else need
        if need < least:
            if st.short_sent:
                return
            need = least
        st.short_sent += need
        self._send(ctx, Side.SELL, need, Intent.HEDGE_OPEN, reduce_only=False)

    def _cover(self, ctx: Context) -> None:
        st = self.state
        if not st.covering or st.working is not None:
            return  # a short still working: covered when it ends
        if st.short_filled > 0:
            self._send(ctx, Side.BUY, st.short_filled, Intent.HEDGE_CLOSE, reduce_only=True)
        else:
            self._end_cycle()

    def _end_cycle(self) -> None:
        st = self.state
        st.open = st.covering = False
        st.spot_order, st.target, st.short_sent = None, 0, 0

    # --- orders -----------------------------------------------------------------------------

    def _send(
        self, ctx: Context, side: Side, size: int, intent: Intent, *, reduce_only: bool
    ) -> None:
        price = ctx.best_bid() if side is Side.SELL else ctx.best_ask()
        if price is None:
            order_type, tif = OrderType.MARKET, TimeInForce.IOC
        else:
            # a marketable limit at the touch (GTC, as the seed sends it)
            order_type, tif = OrderType.LIMIT, TimeInForce.GTC
        self._submit(ctx, side, size, price, order_type, tif, intent, reduce_only=reduce_only)

    def _submit(
        self,
        ctx: Context,
        side: Side,
        size: int,
        price: int | None,
        order_type: OrderType,
        tif: TimeInForce,
        intent: Intent,
        *,
        reduce_only: bool,
    ) -> None:
        # `working` is set before the venue can answer (a refusal arrives as an event)
        cid = ctx.submit(
            side, price, size, tif=tif, order_type=order_type, reduce_only=reduce_only,
            intent=intent,
        )  # fmt: skip
        st = self.state
        st.working, st.working_side, st.working_size, st.working_filled = cid, side.value, size, 0
        log.info(
            "hedge order",
            hedge=self.perp.id,
            side=side.value,
            size=self.perp.size_str(size),
            price=self.perp.price_str(price) if price else "market",
            reduce_only=reduce_only,
        )

    # --- perp order events ----------------------------------------------------------------

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        st = self.state
        st.short_filled += fill.size if fill.side is Side.SELL else -fill.size
        st.short_filled = max(st.short_filled, 0)
        if fill.client_id == st.working:
            st.working_filled += fill.size
            size = st.working_size or self._size_of(ctx, fill.client_id)
            if st.working_filled >= size:
                self._working_ended(ctx, fill, unfilled=0)
        ctx.state_changed()

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        if isinstance(event, OrderRejected):
            log.warning("hedge order rejected", hedge=self.perp.id, reason=event.reason)
        st = self.state
        if event.client_id == st.working and isinstance(event, ENDS):
            size = st.working_size or self._size_of(ctx, event.client_id)
            self._working_ended(ctx, event, unfilled=max(size - st.working_filled, 0))
        ctx.state_changed()

    @staticmethod
    def _size_of(ctx: Context, client_id: str) -> int:
        order = ctx.order(client_id)
        return order.quantity if order is not None else 0

    def _working_ended(self, ctx: Context, event: OrderEvent | None, *, unfilled: int) -> None:
        """The order in flight ended (filled, canceled, refused, expired): what comes next
        in the cycle. Decided from the events in their order, so a fill that came before
        the cancel is counted before the cover is sized."""
        st = self.state
        side = st.working_side
        st.working = st.working_side = None
        st.working_size = st.working_filled = 0
        rejected = isinstance(event, OrderRejected)
        if side == Side.SELL.value:
            st.short_sent -= unfilled  # what did not become short may be sent again
            if rejected and st.short_filled == 0:
                self._end_cycle()  # nothing was shorted: the cycle never started
                st.cycles -= 1
            elif st.covering:
                self._cover(ctx)
        elif rejected:
            # a refused cover: the venue's position decides at the next start
            # (`_sync_position`); no resend loop here
            st.covering = False
        elif st.covering:
            self._cover(ctx)

    # --- shutdown ---------------------------------------------------------------------------

    def on_shutdown(self, ctx: Context) -> None:
        """The engine canceled the hedge's orders and waited for them to end: close the
        short with a reduce-only IOC limit through the book."""
        st = self.state
        st.working = st.working_side = None
        st.working_size = st.working_filled = 0
        if st.short_filled > 0:
            st.covering = True  # the close's fill ends the cycle: the next start is fresh
            self._close_short(ctx)
        elif st.open:
            self._end_cycle()
        ctx.state_changed()

    def _close_short(self, ctx: Context) -> None:
        size = self.state.short_filled
        ask = ctx.best_ask()
        if ask is None:
            self._send(ctx, Side.BUY, size, Intent.HEDGE_CLOSE, reduce_only=True)
            return
        price = self.perp.round_price(
            self.perp.price_decimal(ask) * (1 + MARKET_SLIPPAGE), Rounding.UP
        )
        self._submit(
            ctx, Side.BUY, size, price, OrderType.LIMIT, TimeInForce.IOC, Intent.HEDGE_CLOSE,
            reduce_only=True,
        )  # fmt: skip
        log.info("hedge closed at shutdown", hedge=self.perp.id, size=self.perp.size_str(size))
