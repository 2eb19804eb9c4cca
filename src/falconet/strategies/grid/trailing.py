"""Maintaining the one buy: trail it up behind the ask, keep it two intervals under the
closest sell, never let it drift down on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from falconet.core.orders import OrderStatus
from falconet.strategies.api import Context, OpenOrder
from falconet.strategies.grid.prices import buy_price, double_distance, spacing_price
from falconet.strategies.grid.view import GridView

if TYPE_CHECKING:
    from falconet.strategies.grid.strategy import Grid


def maintain_buy(
    grid: Grid, ctx: Context, view: GridView, bid: int, ask: int, quote: Decimal | None
) -> None:
    """With a closest sell S above the buy B and `double` = 2 intervals of the bid:
    if S − B > double, trail B up to one interval under the ask (but no closer to S
    than `double`); if S − B ≤ double, move B to exactly S − double (this may lower
    it). With no sell above, only trail up."""
    inst = ctx.instrument
    buy = view.best_buy
    if buy is None or buy.status is OrderStatus.PENDING_NEW:
        return  # tracked but not listed, or not acknowledged: nothing to amend yet
    gi = grid.resolver.grid_interval
    current = buy.price
    anchors = [o.price for o in view.sells]
    anchors += grid.tracker.anchor_prices(view.sell_ids(), grid.flags.track_pending_sells)
    above = [p for p in anchors if p > current]
    proposed = buy_price(inst, ask, gi)
    if above:
        closest = min(above)
        double = double_distance(bid, gi)
        exact = spacing_price(inst, closest, double)
        if closest - current > double:
            if proposed > current:  # never trail down
                target = exact if closest - proposed <= double else proposed
                amend_buy(grid, ctx, buy, target, quote)
        else:
            amend_buy(grid, ctx, buy, exact, quote)  # restore the 2× spacing
    elif proposed > current:
        amend_buy(grid, ctx, buy, proposed, quote)


def amend_buy(grid: Grid, ctx: Context, buy: OpenOrder, target: int, quote: Decimal | None) -> None:
    """Amend if allowed: nothing in flight, no cooldown, a move of at least the deadband,
    and enough quote for the new price."""
    inst, now, tr = ctx.instrument, ctx.now_ns, grid.tracker
    cid = buy.client_id
    if target <= 0 or target == buy.price:
        return
    if cid in tr.amend_pending or buy.request_pending or tr.cooling(cid, now):
        return
    if abs(target - buy.price) < grid.min_move(inst, buy.price):
        return
    remaining = buy.quantity - buy.filled
    # The buy's own hold comes back when it moves.
    own = inst.notional(buy.price, remaining)
    if quote is not None and quote + own < inst.notional(target, remaining):
        return
    ctx.amend(cid, price=target)
    tr.amend_sent(cid, now)
