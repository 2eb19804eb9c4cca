"""What the grid does with each answer from the venue: acks, rejects, cancels, amends,
expiries and fills. Each handler updates tracking and the persistent state; the caller
then runs a cycle."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from falconet.core.enums import Side
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import Intent, StrategyCode, decode_client_id
from falconet.observe.log import get_logger
from falconet.strategies.api import Context
from falconet.strategies.grid import timing
from falconet.strategies.grid.accumulation import undo_placement
from falconet.strategies.grid.fills import Verdict, book_buy, book_sell

if TYPE_CHECKING:
    from falconet.strategies.grid.strategy import Grid

log = get_logger("grid")


def is_ours(grid: Grid, client_id: str) -> bool:
    tag = decode_client_id(client_id)
    if tag is not None:
        return tag.strategy is StrategyCode.GRID
    tr = grid.tracker
    known = (
        tr.placement(client_id) is not None
        or (tr.buy is not None and tr.buy.client_id == client_id)
        or client_id in tr.known_sells
    )
    return known or grid.flags.adopt_untagged


def order_side(grid: Grid, ctx: Context, client_id: str) -> Side | None:
    tr = grid.tracker
    placement = tr.placement(client_id)
    if placement is not None:
        return placement.side
    if tr.buy is not None and tr.buy.client_id == client_id:
        return Side.BUY
    if client_id in tr.recent_sells or client_id in tr.known_sells:
        return Side.SELL
    tag = decode_client_id(client_id)
    if tag is not None and tag.intent in (Intent.GRID_BUY, Intent.GRID_SELL):
        return Side.BUY if tag.intent is Intent.GRID_BUY else Side.SELL
    return next((o.side for o in ctx.open_orders() if o.client_id == client_id), None)


def handle_order(grid: Grid, ctx: Context, event: OrderEvent) -> bool:
    """Apply one order event; False if the order is not the grid's."""
    cid = event.client_id
    if not is_ours(grid, cid):
        return False
    tr, now = grid.tracker, ctx.now_ns
    side = order_side(grid, ctx, cid)
    if isinstance(event, OrderAccepted):
        tr.accepted(cid, side, now)
    elif isinstance(event, OrderRejected):
        _placement_failed(grid, ctx, cid, side, event.kind, event.reason)
    elif isinstance(event, OrderExpired):
        if tr.placement(cid) is not None or cid in tr.sell_plans:
            _placement_failed(grid, ctx, cid, side, ErrorKind.OTHER, "expired")
        else:
            _gone(grid, ctx, cid, side, expired=True)
    elif isinstance(event, OrderCanceled):
        _gone(grid, ctx, cid, side, expired=False)
    elif isinstance(event, OrderAmended):
        new_id = event.new_client_id or cid
        tr.amended(cid, new_id, event.price, event.quantity, now)
        basis = grid.state.sell_basis.pop(cid, None)
        if basis is not None:
            grid.state.set_basis(new_id, basis)
            ctx.state_changed()
    elif isinstance(event, OrderAmendRejected):
        if tr.amend_rejected(cid, event.kind, now):
            # The venue no longer has it: cancel our record so a new buy can go out.
            live = any(o.client_id == cid for o in ctx.open_orders())
            if live and cid not in tr.cancel_in_flight:
                ctx.cancel(cid)
                tr.cancel_sent(cid, now)
    elif isinstance(event, OrderAmendSkipped):
        tr.amend_skipped(cid)
    elif isinstance(event, OrderCancelRejected):
        tr.cancel_in_flight.discard(cid)
    return True


def _placement_failed(
    grid: Grid, ctx: Context, cid: str, side: Side | None, kind: ErrorKind, reason: str
) -> None:
    tr, now = grid.tracker, ctx.now_ns
    tr.rejected(cid, side)
    no_funds = kind is ErrorKind.INSUFFICIENT_FUNDS
    if side is Side.BUY:
        limited = kind is ErrorKind.RATE_LIMIT
        span = timing.BUY_COOLDOWN_RATE_LIMIT_NS if limited else timing.BUY_COOLDOWN_OTHER_NS
        tr.cool_buys(span, now)
        if no_funds:
            grid.gates.set_capital_low()
    elif side is Side.SELL:
        plan = tr.sell_plans.pop(cid, None)
        changed = plan is not None and undo_placement(grid.state, ctx.instrument, plan)
        # A refused re-submission of an expired sell is queued again, basis kept.
        requeued = cid in tr.resubmits and tr.resubmit_refused(cid, now) is not None
        if not requeued and grid.state.sell_basis.pop(cid, None) is not None:
            changed = True
        if changed:
            ctx.state_changed()
        if no_funds and grid.flags.sell_failure_sets_asset_low:
            grid.gates.set_asset_low(ctx.balances().base_total, reason)
    log.debug("grid order refused", client_id=cid, kind=kind.value, reason=reason)


def _gone(grid: Grid, ctx: Context, cid: str, side: Side | None, *, expired: bool) -> None:
    tr = grid.tracker
    known = tr.known_sells.get(cid)
    remaining = 0
    if known is not None:
        remaining = known.size - max(known.filled, tr.filled_total(cid))
    tr.canceled(cid, side)
    tr.sell_plans.pop(cid, None)
    if side is not Side.SELL:
        return
    if expired and grid.flags.remaintain_expired_sells and known is not None and remaining > 0:
        # re-submitted for what it had left; keeps its basis until then
        tr.queue_expired(replace(known, size=remaining, filled=0))
    elif grid.state.sell_basis.pop(cid, None) is not None:
        ctx.state_changed()


def _order_done(grid: Grid, ctx: Context, fill: Fill, filled: int) -> bool:
    """Whether this fill completed its order. A listed order is done only when the venue
    says so (terminal, or filled to its quantity): a partial fill never finishes it. An
    order no longer listed is done once the fills counted reach the full quantity the
    grid knew it by (later fills of a batch can still be on their way); with no known
    quantity, at once."""
    order = next((o for o in ctx.open_orders() if o.client_id == fill.client_id), None)
    if order is not None:
        return order.status.is_terminal or order.filled >= order.quantity
    size = grid.tracker.known_size(fill.client_id)
    return size is None or filled >= size


def handle_fill(grid: Grid, ctx: Context, fill: Fill) -> bool:
    """Count one fill (at most once, see fills.py); False if nothing changed."""
    if not is_ours(grid, fill.client_id):
        return False
    state, tr, inst = grid.state, grid.tracker, ctx.instrument
    verdict = grid.fills.classify(state, fill)
    log.debug("grid fill", trade_id=fill.trade_id, verdict=verdict.value, ts=fill.ts_exchange)
    if verdict in (Verdict.DUPLICATE, Verdict.COVERED):
        return False
    key = grid.fills.watermark_key(fill)
    maker_fee = grid.refresh_maker_fee(ctx)
    before_start = verdict is Verdict.REPLAY
    done = _order_done(
        grid, ctx, fill, tr.add_fill(fill.client_id, fill.size, before_start=before_start)
    )
    state.count(fill.side is Side.BUY, inst.size_decimal(fill.size))
    if fill.side is Side.BUY:
        same = grid.fills.last_buy_order == fill.client_id
        book_buy(state, inst, grid.flags, fill, maker_fee, same_order=same)
        grid.fills.last_buy_order = fill.client_id
        if verdict is Verdict.LIVE:
            grid.gates.expect_base(inst.size_decimal(fill.size))
        if done:
            tr.finished(fill.client_id, Side.BUY)
            tr.release_sell()  # a fresh sell goes out with the next buy
            grid.gates.just_filled_buy = True
    else:
        profit = book_sell(state, inst, grid.flags, fill, maker_fee)
        log.debug("grid sell filled", profit=str(profit))
        if done:
            tr.finished(fill.client_id, Side.SELL)
            state.sell_basis.pop(fill.client_id, None)
    state.advance(fill.ts_exchange, key)
    ctx.state_changed()
    return True
