"""`Grid`: one trailing buy under the market and a ladder of sells above it.

Each cycle (a top-of-book change, any order event or fill, a first start, a 1 s timer)
rebuilds the grid's view of its orders and then either places a sell/buy pair (no buy
resting), maintains the one buy (trail it up, or restore the 2× spacing under the closest
sell), or cancels duplicate buys. The rules are those of dio's grid (`suicide_grid`);
the choices made where it leaves room are in docs/strategies/grid.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from falconet.core.enums import Rounding, Side, TimeInForce
from falconet.core.events import BalanceUpdate, Fill, OrderEvent
from falconet.core.ids import Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.observe.log import get_logger
from falconet.strategies.api import Balances, Context, Strategy, Wakeup
from falconet.strategies.fear_greed import FearGreedSource
from falconet.strategies.grid import timing
from falconet.strategies.grid.accumulation import SellPlan, apply_placement, plan_sell
from falconet.strategies.grid.fills import FillFilter
from falconet.strategies.grid.gates import BalanceGates
from falconet.strategies.grid.handlers import handle_fill, handle_order
from falconet.strategies.grid.params import GridParams
from falconet.strategies.grid.prices import (
    buy_price,
    double_distance,
    min_move,
    sell_price,
    spacing_price,
)
from falconet.strategies.grid.reservations import QuoteReservations
from falconet.strategies.grid.resolution import Resolver
from falconet.strategies.grid.state import GridState, StateFormatError
from falconet.strategies.grid.tracking import OrderTracker, Placement
from falconet.strategies.grid.trailing import maintain_buy
from falconet.strategies.grid.view import GridView, build_view

log = get_logger("grid")

MAX_LEVEL = 255


class Grid(Strategy):
    name: ClassVar[str] = "grid"
    code: ClassVar[StrategyCode] = StrategyCode.GRID

    def __init__(
        self,
        params: GridParams,
        *,
        fear_greed: FearGreedSource | None = None,
        reservations: QuoteReservations | None = None,
    ) -> None:
        self.params = params
        self.flags = params.flags
        self.wakeup = Wakeup(every_ms=timing.TIMER_MS, on_book=True)
        self.state = GridState()
        self.tracker = OrderTracker()
        self.gates = BalanceGates()
        self.resolver = Resolver(params, fear_greed)
        self.fills = FillFilter()
        self.reservations = reservations if reservations is not None else QuoteReservations()
        self.qty = 0  # size units, set at start from the instrument
        self.maker_fee = params.maker_fee if params.maker_fee is not None else Decimal(0)
        self._owner = ""
        self._fee_unknown_logged = False

    # --- lifecycle ----------------------------------------------------------------------

    def snapshot_state(self) -> dict[str, Any] | None:
        return self.state.to_json() if self.params.persist else None

    def restore_state(self, state: dict[str, Any]) -> None:
        if not self.params.persist:
            return
        try:
            self.state = GridState.from_json(state)
        except StateFormatError as exc:
            log.warning("saved grid state unreadable, starting fresh", error=str(exc))
            self.state = GridState()

    def replay_from(self) -> int | None:
        # fills from the watermark on; the ones it already counted are recognised (covers)
        return self.state.last_fill_ts if self.params.persist else None

    def on_start(self, ctx: Context) -> None:
        """A first start (no watermark) sets the watermark to now, so fills from before
        it are never counted and a restart replays from here, and runs a cycle. A
        restart does the setup only: the fills missed while down are delivered right
        after this returns, and the first cycle must see them (the next sell is pinned to
        the last buy fill)."""
        self.qty = self.params.qty_units(ctx.instrument)
        self._owner = ctx.instrument.id
        restart = self.state.last_fill_ts is not None
        if not restart:
            self.state.last_fill_ts = ctx.now_ns
            self.state.last_fill_ids = []
            ctx.state_changed()
        self.fills.start(ctx.now_ns, self.state)
        self.tracker.seed_fills(ctx.open_orders())
        if not restart:
            self.cycle(ctx)

    def on_stop(self, ctx: Context) -> None:
        self.reservations.set(self._owner, Decimal(0))

    def on_timer(self, ctx: Context) -> None:
        self.cycle(ctx)

    def on_book(self, ctx: Context) -> None:
        self.cycle(ctx)

    def on_balance(self, ctx: Context, update: BalanceUpdate) -> None:
        self.cycle(ctx)

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        if handle_order(self, ctx, event):
            self.cycle(ctx)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if handle_fill(self, ctx, fill):
            self.cycle(ctx)

    # --- helpers shared with the handlers -----------------------------------------------

    def refresh_maker_fee(self, ctx: Context) -> Decimal:
        """Config override, else the venue's fee as the context reports it; while the
        context knows none (LookupError), the last one known (0 until then)."""
        if self.params.maker_fee is None:
            try:
                self.maker_fee = ctx.fees().maker
            except LookupError as exc:
                if not self._fee_unknown_logged:
                    log.warning(
                        "maker fee unknown: using the last known",
                        fee=str(self.maker_fee),
                        error=str(exc),
                    )
                    self._fee_unknown_logged = True
            else:
                self._fee_unknown_logged = False
        return self.maker_fee

    def view(self, ctx: Context) -> GridView:
        return build_view(ctx.open_orders(), self.flags, self.tracker.evicted)

    def buy_size(self, inst: Instrument, price: int) -> int:
        """The configured qty, grown to the venue's minimum notional at `price`."""
        if self.params.dynamic_buy_sizing and inst.min_notional > 0 and price > 0:
            return max(self.qty, int(inst.min_size_for_notional(price)))
        return self.qty

    def sell_base(self, inst: Instrument, price: int) -> int:
        """What the next sell covers: the last buy's filled size, at least the qty."""
        size = self.buy_size(inst, price)
        last = self.state.last_buy_fill_qty
        if last is not None and last > 0:
            size = max(size, int(inst.floor_size(last)))
        return size

    def next_sell(self, inst: Instrument, bid: int) -> tuple[int, SellPlan]:
        """The next sell's price (pinned to the last buy fill, else the bid) and plan."""
        last = self.state.last_buy_fill_price
        ref = bid if last is None else int(inst.round_price(last, Rounding.NEAREST))
        price = sell_price(inst, ref, bid, self.resolver.grid_interval)
        plan = plan_sell(
            inst,
            self.flags,
            qty=self.sell_base(inst, price),
            price=price,
            sell_mult=self.params.sell_mult,
            buffer=self.resolver.buffer,
            profit=self.state.accumulated_profit,
        )
        return price, plan

    def min_move(self, inst: Instrument, price: int) -> Decimal:
        """The amend deadband at `price`."""
        p = self.params
        gi = self.resolver.grid_interval
        return min_move(inst, price, gi, p.min_move_ticks, p.min_move_fraction)

    def base_available(self, inst: Instrument, bal: Balances, view: GridView) -> Decimal | None:
        """Base the grid may sell: balance + expected credit − reserved − resting sells
        (the last term where the venue uses the reserved-base guard)."""
        if bal.base_total is None:
            return None
        out = bal.base_total + self.gates.anticipated - self.state.reserved_base
        if self.flags.use_reserved_base_guard:
            out -= inst.size_decimal(view.locked_in_sells)
        return out

    def quote_available(self, bal: Balances) -> Decimal | None:
        """Quote total minus what every grid on this account holds for its buys."""
        if bal.quote_total is None:
            return None
        return bal.quote_total - self.reservations.total()

    def sync_reservations(self, inst: Instrument, view: GridView) -> None:
        held = view.buy_value(inst)
        listed = {o.client_id for o in view.buys}
        for p in self.tracker.pending_of(Side.BUY):
            if p.client_id not in listed:
                held += inst.notional(p.price, p.size)
        buy = self.tracker.buy
        if buy is not None and not view.buys and self.tracker.placement(buy.client_id) is None:
            held += inst.notional(buy.price, buy.remaining)  # absent, not yet a ghost
        self.reservations.set(self._owner, held)

    # --- the cycle ----------------------------------------------------------------------

    def cycle(self, ctx: Context) -> None:
        inst = ctx.instrument
        now = ctx.now_ns
        tr, gates = self.tracker, self.gates
        bal = ctx.balances()
        gates.observe_base(bal.base_total)
        bid, ask = ctx.best_bid(), ctx.best_ask()
        if bid is None and ask is None:
            return  # waiting for a price
        bid = bid if bid is not None else ask
        ask = ask if ask is not None else bid
        assert bid is not None and ask is not None
        mid = (Decimal(bid) + Decimal(ask)) / 2
        self.resolver.observe(mid.scaleb(-inst.price_decimals))
        view = self.view(ctx)
        self.sync_reservations(inst, view)
        quote = self.quote_available(bal)

        if gates.asset_low:
            _, plan = self.next_sell(inst, bid)
            if gates.recover_asset(
                self.base_available(inst, bal, view),
                inst.size_decimal(plan.size),
                bal.base_total,
                requires_change=self.flags.asset_low_requires_balance_change,
            ):
                tr.release_sell()
        if gates.check_capital(quote):
            tr.buy_cooldown_until = 0
            tr.buy_in_flight = tr.sell_in_flight = False
        mid_units = int(mid)
        need = inst.notional(mid_units, self.buy_size(inst, mid_units))
        if gates.blocks(quote, need):
            return

        tr.housekeeping(now)
        best = view.best_buy
        if tr.track_buys(best, now):
            self.sync_reservations(inst, view)
            quote = self.quote_available(bal)
        if tr.evict_stale_sells(view.sells, bid, now):
            log.info("stale sells evicted", bid=inst.price_str(bid))
            view = self.view(ctx)
        tr.remember_sells(view.sells, now)
        self.refresh_maker_fee(ctx)
        if self.flags.check_stale_balance and (bal.base_total is None or bal.quote_total is None):
            return
        self._remaintain_sells(ctx, bid)
        self._decide(ctx, view, bal, bid, ask, quote)
        self.sync_reservations(inst, view)  # this cycle's new buys are in `pending`

    def _decide(
        self,
        ctx: Context,
        view: GridView,
        bal: Balances,
        bid: int,
        ask: int,
        quote: Decimal | None,
    ) -> None:
        tr = self.tracker
        if tr.buy_pending():
            return
        count = len(view.buys) or (1 if tr.buy is not None else 0)
        if count > 1:
            self._cancel_duplicates(ctx, view)
        elif count == 0:
            self._place_pair(ctx, view, bal, bid, ask, quote)
        else:
            maintain_buy(self, ctx, view, bid, ask, quote)

    def _cancel_duplicates(self, ctx: Context, view: GridView) -> None:
        tr, now = self.tracker, ctx.now_ns
        if tr.cancel_in_flight or tr.amend_pending:
            return
        if any(tr.cooling(o.client_id, now) for o in view.buys):
            return  # a fresh amend: the venue may still list the old id beside the new
        log.info("duplicate grid buys: canceling all", count=len(view.buys))
        for o in view.buys:
            if not o.request_pending:
                ctx.cancel(o.client_id)
                tr.cancel_sent(o.client_id, now)
        tr.buy = None

    # --- placing a pair -----------------------------------------------------------------

    def _place_pair(
        self,
        ctx: Context,
        view: GridView,
        bal: Balances,
        bid: int,
        ask: int,
        quote: Decimal | None,
    ) -> None:
        inst, now, tr = ctx.instrument, ctx.now_ns, self.tracker
        sell_placed = False
        if bal.base_total is not None and not tr.sell_blocked(now) and not self.gates.asset_low:
            sell_placed = self._place_sell(ctx, view, bal, bid)
        anchors = tr.anchor_prices(view.sell_ids(), self.flags.track_pending_sells)
        active = sell_placed or tr.sell_in_flight or bool(view.sells) or bool(anchors)
        if not active:
            log.debug("buy skipped: no sell placed or resting")
            return
        if now < tr.buy_cooldown_until or tr.buy_in_flight:
            return
        gi = self.resolver.grid_interval
        price = buy_price(inst, ask, gi)
        sells = [o.price for o in view.sells] + tr.anchor_prices(view.sell_ids(), True)
        if sells:
            # Straight to where the 2× rule would move it at once, and never at or above
            # one of our sells (a spread wider than the interval would put it there).
            closest = min(sells)
            exact = spacing_price(inst, closest, double_distance(bid, gi))
            if price >= closest or price - exact >= self.min_move(inst, price):
                price = min(price, exact)
        if price <= 0:
            return
        size = self.buy_size(inst, price)
        if quote is None or quote < inst.notional(price, size):
            # Balances lag: try anyway, at most every 2 s, and let the venue decide.
            if tr.forced_buy_at is not None and now - tr.forced_buy_at < timing.FORCED_BUY_EVERY_NS:
                return
            tr.forced_buy_at = now
        cid = ctx.submit(
            Side.BUY, price, size, tif=TimeInForce.POST_ONLY, intent=Intent.GRID_BUY, level=0
        )
        tr.submitted(Placement(cid, Side.BUY, price, size, now))
        log.debug(
            "grid buy placed",
            price=inst.price_str(price),
            size=inst.size_str(size),
            next_2x=str(double_distance(bid, gi)),
        )

    def _place_sell(self, ctx: Context, view: GridView, bal: Balances, bid: int) -> bool:
        """Sell first: True if a sell went out (or a whole share was retained)."""
        inst, now, tr, gates = ctx.instrument, ctx.now_ns, self.tracker, self.gates
        price, plan = self.next_sell(inst, bid)
        others = bool(view.sells) or bool(tr.anchor_prices(view.sell_ids(), True))
        if (
            gates.resuming
            and self.flags.use_accumulation_sells
            and not gates.just_filled_buy
            and not plan.accumulates
            and others
        ):
            # Just recovered: no 1:1 sell that no buy paid for; the resting ladder anchors.
            return False
        available = self.base_available(inst, bal, view)
        if self.flags.use_reserved_base_guard and (
            available is None or available < inst.size_decimal(plan.size)
        ):
            gates.set_asset_low(bal.base_total, "base does not cover the next sell")
            return False
        if plan.size == 0:
            apply_placement(self.state, inst, plan)
            tr.sell_key_at = now
            log.info("whole share retained", shares=inst.size_str(plan.retained))
            gates.after_sell()
            ctx.state_changed()
            return True
        level = min(MAX_LEVEL, len(view.sells) + len(tr.pending_of(Side.SELL)) + 1)
        cid = ctx.submit(
            Side.SELL,
            price,
            plan.size,
            tif=TimeInForce.POST_ONLY,
            intent=Intent.GRID_SELL,
            level=level,
        )
        tr.submitted(Placement(cid, Side.SELL, price, plan.size, now, level))
        basis = self.state.last_buy_fill_price
        if basis is not None:
            self.state.set_basis(cid, basis)
        if apply_placement(self.state, inst, plan):
            tr.sell_plans[cid] = plan
            log.info(
                "accumulation sell",
                size=inst.size_str(plan.size),
                retained=inst.size_str(plan.retained),
                debit=str(plan.debit),
            )
        gates.after_sell()
        ctx.state_changed()
        return True

    def _remaintain_sells(self, ctx: Context, bid: int) -> None:
        """Re-submit sells the venue expired (day orders), at their price and remaining
        size: one per cycle, since one placement per side may be in flight; the others
        wait in the queue. One the market is through is dropped with its basis (a new
        pair follows the next buy)."""
        tr = self.tracker
        if not self.flags.remaintain_expired_sells:
            return
        while (item := tr.next_resubmit(ctx.now_ns)) is not None:
            old = item.sell
            if old.price <= bid:
                if self.state.sell_basis.pop(old.client_id, None) is not None:
                    ctx.state_changed()
                continue
            cid = ctx.submit(
                Side.SELL,
                old.price,
                old.size,
                tif=TimeInForce.POST_ONLY,
                intent=Intent.GRID_SELL,
                level=old.level,
            )
            placement = Placement(cid, Side.SELL, old.price, old.size, ctx.now_ns, old.level)
            tr.submitted(placement, resubmit=item)
            basis = self.state.sell_basis.pop(old.client_id, None)
            if basis is not None:
                self.state.set_basis(cid, basis)
                ctx.state_changed()
            return
