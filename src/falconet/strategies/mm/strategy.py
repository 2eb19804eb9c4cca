"""The adaptive market maker: one post-only buy below the market, a post-only sell at the
ask for every buy cycle, quotes that widen with the venue's fees.

Each trigger (book change, order event, fill, balance change, the 1 s timer) runs one
cycle: recovery flags, housekeeping, a scan of the open orders, the balance limits, then
either the pause (cancel buys, emergency sell) or the quoting rules. See docs/strategies/mm.md.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.events import BalanceUpdate, Fill, OrderAccepted, OrderEvent
from falconet.core.ids import Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.observe.log import get_logger
from falconet.strategies.api import Context, Strategy, Wakeup
from falconet.strategies.mm.pricing import (
    DEFAULT_MAKER_FEE,
    buy_is_funded,
    exposure_ok,
    is_post_only_safe,
    is_profitable,
    required_buy_price,
    resolve_maker_fee,
    usd_ok,
)
from falconet.strategies.mm.state import MarketMakerStatus, QuoteState, mm_side
from falconet.strategies.mm.tracking import OrderScan, scan_open_orders
from falconet.strategies.params import ParamError

log = get_logger("mm")

_SIDE_INTENT = {Side.BUY: Intent.MM_BID, Side.SELL: Intent.MM_ASK}


class MarketMaker(Strategy):
    """Adaptive market maker on one spot instrument.

    `qty` is the order size in the instrument's size units. The decimal settings also
    take text (as `--param` gives it) or integers; None means not configured.
    """

    name: ClassVar[str] = "mm"
    code: ClassVar[StrategyCode] = StrategyCode.MM
    wakeup: Wakeup = Wakeup(every_ms=1000, on_book=True)

    def __init__(
        self,
        qty: int = 1,
        *,
        maker_fee: Decimal | str | int | None = None,
        taker_fee: Decimal | str | int | None = None,
        min_usd_balance: Decimal | str | int | None = None,
        max_exposure: Decimal | str | int | None = None,
        status_every: int = 0,
    ) -> None:
        if qty <= 0:
            raise ParamError(f"mm: qty must be > 0 size units (got {qty})")
        self.qty = qty
        self.maker_fee_override = _decimal("maker_fee", maker_fee)
        self.taker_fee_override = _decimal("taker_fee", taker_fee)
        self.min_usd_balance = _decimal("min_usd_balance", min_usd_balance, non_negative=True)
        self.max_exposure = _decimal("max_exposure", max_exposure, non_negative=True)
        self.status_every = status_every  # cycles between debug status lines; 0: never
        self.maker_fee = DEFAULT_MAKER_FEE  # as resolved by the last cycle
        self.state = QuoteState()
        self._scan = OrderScan()
        self._cycles = 0
        self.pauses = 0  # times a limit breach paused quoting
        self._small_sell_logged = False  # an emergency sell too small for the venue
        self.emergency_sells = 0

    # --- callbacks ----------------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self._cycle(ctx)

    def on_book(self, ctx: Context) -> None:
        self._cycle(ctx)

    def on_timer(self, ctx: Context) -> None:
        self._cycle(ctx)

    def on_balance(self, ctx: Context, update: BalanceUpdate) -> None:
        self._cycle(ctx)

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        side = mm_side(event.client_id)
        if side is None:
            return  # not ours: other strategies' orders only count as locked funds
        refused_for_funds = self.state.apply(event, ctx.now_ns)
        if isinstance(event, OrderAccepted) and side is Side.BUY:
            price = next(
                (o.price for o in ctx.open_orders() if o.client_id == event.client_id), None
            )
            self.state.track(event.client_id, price)
            self.state.buy_placed()
        if refused_for_funds and side is Side.BUY:
            self.state.set_capital_low()
            log.info("buy refused for lack of quote: buys wait", symbol=ctx.instrument.symbol)
        elif refused_for_funds:
            self.state.set_asset_low(ctx.balances().base_total)
        self._cycle(ctx)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if mm_side(fill.client_id) is None:
            return
        self.state.filled(fill.client_id, fill.side)
        if fill.side is Side.BUY:
            self.state.buy_placed()
        self._cycle(ctx)

    # --- state for dashboards and tests --------------------------------------------------

    @property
    def capital_low(self) -> bool:
        return self.state.capital_low

    @property
    def asset_low(self) -> bool:
        return self.state.asset_low

    @property
    def paused(self) -> bool:
        return self.state.paused

    @property
    def buy_in_flight(self) -> bool:
        return self.state.buy_in_flight

    @property
    def sell_in_flight(self) -> bool:
        return self.state.sell_in_flight

    @property
    def amend_in_flight(self) -> bool:
        return self.state.amending is not None

    def status(self) -> MarketMakerStatus:
        s = self.state
        return MarketMakerStatus(
            maker_fee=self.maker_fee,
            buy_id=s.tracked_buy,
            buy_price=s.tracked_buy_price,
            mm_buys=len(self._scan.mm_buys),
            mm_sells=len(self._scan.mm_sells),
            buy_in_flight=s.buy_in_flight,
            sell_in_flight=s.sell_in_flight,
            amend_in_flight=s.amending is not None,
            pending_count=len(s.pending_placements),
            capital_low=s.capital_low,
            asset_low=s.asset_low,
            paused=s.paused,
        )

    def buy_price(self, inst: Instrument, bid: int, ask: int, fee: Decimal) -> int:
        """The buy price the rules ask for now (a hook for variants and tests)."""
        return required_buy_price(inst, bid, ask, fee)

    # --- the cycle ----------------------------------------------------------------------

    def _cycle(self, ctx: Context) -> None:
        bid, ask = ctx.best_bid(), ctx.best_ask()
        if bid is None or ask is None:
            return  # waiting for a price
        inst, state = ctx.instrument, self.state
        balances = ctx.balances()
        base, quote = balances.base_total, balances.quote_total
        mid = (inst.price_decimal(bid) + inst.price_decimal(ask)) / 2
        qty = inst.size_decimal(self.qty)

        # The flags are tested on the available balances, as they are set: the scan
        # comes first.
        state.housekeeping(ctx.now_ns)
        self.maker_fee = resolve_maker_fee(
            self.maker_fee_override, _venue_maker_fee(ctx), self.taker_fee_override
        )
        scan = self._scan = scan_open_orders(inst, ctx.open_orders(), state.canceled)
        # Balances are totals: what open orders lock is taken off here, once.
        avail_quote = None if quote is None else quote - scan.locked_quote
        avail_base = None if base is None else base - scan.locked_base
        buy_cost = inst.notional(max(0, self.buy_price(inst, bid, ask, self.maker_fee)), self.qty)
        for what in state.recover(inst.venue, base, avail_quote, buy_cost, qty):
            log.info("%s balance recovered", what, symbol=inst.symbol)
        if state.capital_low:
            return  # funds still short: nothing to do until a fill or cancel credits them
        if state.amending is not None and all(o.client_id != state.amending for o in scan.mm_buys):
            state.amending = None  # the order is gone; no amend result will come
        self._cycles += 1
        if self.status_every and self._cycles % self.status_every == 0:
            log.debug("status", symbol=inst.symbol, status=self.status())

        within_limits = usd_ok(
            self.min_usd_balance, avail_quote, inst.price_decimal(bid), qty, bool(scan.mm_buys)
        ) and exposure_ok(self.max_exposure, avail_base, qty, mid)
        if not within_limits:
            self._pause(ctx, scan, ask, avail_base)
            return
        if state.paused:
            log.info("limits ok again: quoting resumes", symbol=inst.symbol)
            state.paused = False

        if len(scan.mm_buys) > 1:
            for order in scan.mm_buys:
                self._cancel(ctx, order.client_id)
        elif not scan.mm_buys:
            if not state.buy_in_flight:
                self._quote_pair(ctx, bid, ask, base, avail_base, avail_quote)
        else:
            self._maintain_buy(ctx, scan, bid, ask, avail_quote)

    def _pause(self, ctx: Context, scan: OrderScan, ask: int, avail_base: Decimal | None) -> None:
        inst, state = ctx.instrument, self.state
        if not state.paused:
            state.paused = True
            self.pauses += 1
            self._small_sell_logged = False
            log.info("balance limit breached: quoting paused", symbol=inst.symbol)
        ids = [o.client_id for o in scan.mm_buys]
        if state.tracked_buy is not None and state.tracked_buy not in ids:
            ids.append(state.tracked_buy)
        for cid in ids:
            self._cancel(ctx, cid)
        state.untrack()
        # asset_low: the venue just refused a sell for lack of base; repeating it on every
        # cycle would only collect more refusals.
        if state.sell_in_flight or state.asset_low or avail_base is None or avail_base <= 0:
            return
        size = inst.floor_size(avail_base)
        if size <= 0:
            return
        if size < inst.min_size or inst.notional(ask, size) < inst.min_notional:
            # The venue would refuse it: nothing to send, and said once per pause.
            if not self._small_sell_logged:
                self._small_sell_logged = True
                log.info(
                    "emergency sell skipped: below the venue minimum",
                    symbol=inst.symbol,
                    size=inst.size_str(size),
                    value=str(inst.notional(ask, size)),
                    min_notional=str(inst.min_notional),
                )
            return
        self._submit(ctx, Side.SELL, ask, size)
        self.emergency_sells += 1
        log.info("emergency sell", symbol=inst.symbol, size=inst.size_str(size))

    def _quote_pair(
        self,
        ctx: Context,
        bid: int,
        ask: int,
        base: Decimal | None,
        avail_base: Decimal | None,
        avail_quote: Decimal | None,
    ) -> None:
        inst, state = ctx.instrument, self.state
        if avail_base is None or avail_quote is None:
            return  # never open a cycle on a guessed balance
        if self.qty < inst.min_size:
            return
        fee = self.maker_fee
        buy = self.buy_price(inst, bid, ask, fee)
        sell = ask
        if buy <= 0 or not is_profitable(inst, buy, sell, ask, fee):
            return
        if not is_post_only_safe(buy, sell, bid, ask):
            return
        # The sell goes first: the buy's counterpart is on the book before inventory grows.
        # None if this buy cycle's sell already went out before capital_low held the buy.
        sold = False
        if not state.sell_in_flight and not state.asset_low and not state.sell_owed_buy:
            if avail_base >= inst.size_decimal(self.qty):
                self._submit(ctx, Side.SELL, sell, self.qty)
                sold = True
            else:
                state.set_asset_low(base)
        state.pair_started(sold)
        cost = inst.notional(buy, self.qty)
        if buy_is_funded(avail_quote, cost, self.min_usd_balance):
            self._submit(ctx, Side.BUY, buy, self.qty)
        elif avail_quote < cost:
            # What the venue's "insufficient funds" would answer, without sending the order.
            state.set_capital_low()

    def _maintain_buy(
        self, ctx: Context, scan: OrderScan, bid: int, ask: int, avail_quote: Decimal | None
    ) -> None:
        state = self.state
        order = scan.mm_buys[0]
        busy = (
            order.status is OrderStatus.PENDING_NEW
            or order.request_pending
            or state.buy_in_flight
            or state.amending is not None
            or order.client_id in state.pending_cancels
        )
        if busy:
            return
        inst, fee = ctx.instrument, self.maker_fee
        target = self.buy_price(inst, bid, ask, fee)
        # Both are valid prices, so any difference is at least one tick.
        if target == order.price:
            return
        remaining = order.quantity - order.filled
        # The amend frees what the order locks now.
        freed = None if avail_quote is None else avail_quote + inst.notional(order.price, remaining)
        amendable = (
            target > 0
            and is_profitable(inst, target, ask, ask, fee)
            and is_post_only_safe(target, ask, bid, ask)
            and buy_is_funded(freed, inst.notional(target, remaining), self.min_usd_balance)
        )
        if amendable:
            ctx.amend(order.client_id, price=target)
            state.amending = order.client_id
        else:
            self._cancel(ctx, order.client_id)

    # --- requests -----------------------------------------------------------------------

    def _submit(self, ctx: Context, side: Side, price: int, size: int) -> None:
        cid = ctx.submit(
            side,
            price,
            size,
            tif=TimeInForce.POST_ONLY,
            order_type=OrderType.LIMIT,
            intent=_SIDE_INTENT[side],
        )
        self.state.placed(cid, side, ctx.now_ns)

    def _cancel(self, ctx: Context, cid: str) -> None:
        if cid in self.state.pending_cancels:
            return  # one cancel per order until it is answered or 30 s pass
        ctx.cancel(cid)
        self.state.cancel_sent(cid, ctx.now_ns)


def _venue_maker_fee(ctx: Context) -> Decimal | None:
    """The venue's maker fee as the context knows it now. The context plays the fee
    cache: live contexts refresh it from the venue; one with no figure yet raises
    LookupError."""
    try:
        return ctx.fees().maker
    except LookupError:
        return None


def _decimal(
    name: str, value: Decimal | str | int | None, *, non_negative: bool = False
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ParamError(f"mm: {name} {value!r} is not a decimal number") from None
    if not out.is_finite():
        raise ParamError(f"mm: {name} must be a finite number (got {value})")
    if non_negative and out < 0:
        raise ParamError(f"mm: {name} must be >= 0 (got {value})")
    return out
