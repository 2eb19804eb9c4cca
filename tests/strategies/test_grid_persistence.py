"""Fills count once, across restarts too; the saved state round-trips."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.events import Fill
from falconet.core.orders import OrderStatus
from falconet.strategies.grid import Grid, GridState
from falconet.strategies.grid.prices import sell_price
from falconet.strategies.testing import FakeContext
from tests.strategies.test_grid_harness import (
    PAPER,
    S,
    event_fields,
    live,
    make_ctx,
    make_grid,
    started,
    submits,
    tick,
)

D = Decimal


def _sell_filled() -> tuple[Grid, FakeContext, Fill]:
    """Bought at 99.01, sold the pinned sell at 100.00: 0.99 profit."""
    grid, ctx = started()
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    sell = submits(ctx.take(), Side.SELL)[0]
    ctx.accept(sell.client_id, grid)
    ctx.advance(S)
    fill = ctx.fill(sell.client_id, grid)
    ctx.take()
    assert grid.state.accumulated_profit == D("0.99")
    return grid, ctx, fill


def _restarted(saved: dict[str, object], later_s: int = 60) -> tuple[Grid, FakeContext]:
    grid = make_grid()
    grid.restore_state(json.loads(json.dumps(saved)))
    ctx = make_ctx(now_ns=1000 * S + later_s * S)
    grid.on_start(ctx)
    ctx.take()
    return grid, ctx


def test_a_fill_delivered_twice_is_counted_once() -> None:
    grid, ctx, fill = _sell_filled()
    saved = ctx.saved
    ctx.deliver(grid, fill)
    assert grid.state.accumulated_profit == D("0.99")
    assert ctx.saved == saved and ctx.take() == []


def test_every_counted_fill_asks_for_a_save() -> None:
    grid, ctx = started()
    before = ctx.saved
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    assert ctx.saved > before


def test_a_restarted_grid_skips_fills_its_watermark_covers() -> None:
    grid, _, fill = _sell_filled()
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx = _restarted(snapshot)
    ctx.deliver(again, fill)  # the venue replays its recent fills
    assert again.state.accumulated_profit == D("0.99")


def test_counted_fills_are_totalled_and_the_replay_starts_at_the_watermark() -> None:
    grid, _, fill = _sell_filled()
    assert (grid.state.fills_counted, grid.state.base_bought, grid.state.base_sold) == (
        2,
        D("1.00"),
        D("1.00"),
    )
    assert grid.replay_from() == fill.ts_exchange
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx = _restarted(snapshot)
    ctx.deliver(again, fill)
    assert again.state.fills_counted == 2  # the covered fill is not counted again
    assert make_grid().replay_from() is None  # no watermark yet: nothing to replay


def test_a_restarted_grid_counts_fills_it_missed_while_down() -> None:
    grid, _, fill = _sell_filled()
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx2 = _restarted(snapshot)
    missed = Fill(
        **{**event_fields(ctx2, "fn.grid.grid_buy.0.zz"), "ts_exchange": fill.ts_exchange + S},
        trade_id="t-missed",
        side=Side.BUY,
        price=PAPER.price("98.50"),
        size=100,
    )
    ctx2.deliver(again, missed)
    assert again.state.last_buy_fill_price == D("98.50")
    assert again.gates.anticipated == 0  # the balance already holds it


def _fill(ctx: FakeContext, cid: str, ts: int, trade: str, side: Side, price: str) -> Fill:
    return Fill(
        **{**event_fields(ctx, cid), "ts_exchange": ts},
        trade_id=trade,
        side=side,
        price=PAPER.price(price),
        size=100,
    )


def test_fills_before_the_first_start_are_never_counted() -> None:
    grid, ctx = make_grid(), make_ctx(now_ns=1000 * S)
    grid.on_start(ctx)
    saved = ctx.saved
    for ts, trade in ((900 * S, "t-old"), (950 * S, "t-newer")):
        ctx.deliver(grid, _fill(ctx, "fn.grid.grid_sell.1.zz", ts, trade, Side.SELL, "105.00"))
    assert grid.state.accumulated_profit == 0 and grid.state.last_sell_fill_price is None
    assert grid.state.fills_counted == 0 and grid.state.base_sold == 0
    assert grid.state.last_fill_ts == 1000 * S and ctx.saved == saved  # nothing to save
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx2 = _restarted(snapshot)  # replayed again after a restart: still not counted
    ctx2.deliver(again, _fill(ctx2, "fn.grid.grid_sell.1.zz", 950 * S, "t-newer", Side.SELL, "105"))
    assert again.state.fills_counted == 0 and again.state.last_sell_fill_price is None


def test_a_first_start_sets_the_watermark_to_its_start_time_and_saves_it() -> None:
    grid, ctx = make_grid(), make_ctx(now_ns=1000 * S)
    assert grid.replay_from() is None  # nothing was ever saved
    grid.on_start(ctx)
    assert grid.state.last_fill_ts == 1000 * S and grid.state.last_fill_ids == []
    assert ctx.saved >= 1
    assert grid.replay_from() == 1000 * S  # a restart replays from the first start


def test_a_restart_before_any_counted_fill_counts_the_fills_missed_while_down() -> None:
    grid, ctx = make_grid(), make_ctx(now_ns=1000 * S)
    grid.on_start(ctx)
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx2 = _restarted(snapshot)  # 60 s later
    assert again.replay_from() == 1000 * S
    missed = _fill(ctx2, "fn.grid.grid_buy.0.zz", 1030 * S, "t-missed", Side.BUY, "99.50")
    ctx2.deliver(again, missed)
    ctx2.deliver(again, missed)  # and once more, live
    state = again.state
    assert (state.fills_counted, state.base_bought, state.base_sold) == (1, D("1.00"), D(0))
    assert state.last_buy_fill_price == D("99.50") and state.last_fill_ts == 1030 * S
    assert again.gates.anticipated == 0  # the balance already holds it


def test_a_restarted_grid_cycles_only_after_the_fills_it_missed() -> None:
    grid, _, fill = _sell_filled()  # the last buy filled at 99.01
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again = make_grid()
    again.restore_state(json.loads(json.dumps(snapshot)))
    ctx = make_ctx(bid="103.00", ask="103.01", now_ns=fill.ts_exchange + 60 * S)
    again.on_start(ctx)
    assert ctx.take() == []  # set-up only: no sell pinned to the stale 99.01
    # the engine hands over what it missed right after on_start: a buy at 103.00
    missed = _fill(ctx, "fn.grid.grid_buy.0.zz", fill.ts_exchange + 30 * S, "tm", Side.BUY, "103")
    ctx.deliver(again, missed)
    (sell,) = submits(ctx.take(), Side.SELL)
    assert sell.price == sell_price(PAPER, PAPER.price("103.00"), PAPER.price("103.00"), D(1))
    assert again.state.sell_basis[sell.client_id] == D("103.00")


def test_a_restarted_grid_with_nothing_missed_starts_on_the_next_event() -> None:
    grid, _, _ = _sell_filled()
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx = _restarted(snapshot)
    assert ctx.take() == []
    assert submits(tick(ctx, again), Side.BUY) != []  # the timer runs the first cycle


def test_a_fill_of_this_run_counts_even_after_a_newer_one() -> None:
    grid, ctx = started()
    sell, buy = live(ctx, Side.SELL)[0], live(ctx, Side.BUY)[0]
    now = ctx.now_ns
    ctx.advance(11 * S)
    # delivered out of venue-time order (a REST catch-up after a stream gap, say)
    ctx.deliver(grid, _fill(ctx, sell.client_id, now + 10 * S, "ts", Side.SELL, "101.00"))
    ctx.deliver(grid, _fill(ctx, buy.client_id, now + 5 * S, "tb", Side.BUY, "99.01"))
    assert grid.state.fills_counted == 2 and grid.state.last_buy_fill_price == D("99.01")
    assert grid.state.last_fill_ts == now + 10 * S  # the watermark never moves back


def test_fills_missed_while_down_count_in_any_order() -> None:
    grid, _, fill = _sell_filled()
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx = _restarted(snapshot)
    later = _fill(ctx, "fn.grid.grid_buy.0.b", fill.ts_exchange + 20 * S, "b", Side.BUY, "98")
    earlier = _fill(ctx, "fn.grid.grid_buy.0.a", fill.ts_exchange + 10 * S, "a", Side.BUY, "99")
    ctx.deliver(again, later)
    ctx.deliver(again, earlier)
    assert again.state.fills_counted == 4 and again.state.base_bought == D("3.00")
    ctx.deliver(again, fill)  # counted before the restart: still covered
    assert again.state.fills_counted == 4


def test_watermark_remembers_every_trade_at_its_instant() -> None:
    state = GridState()
    state.advance(10, "a/1")
    state.advance(10, "b/2")
    assert state.covers(10, "a/1") and state.covers(10, "b/2") and state.covers(9, "x")
    assert not state.covers(10, "c/3") and not state.covers(11, "a/1")
    state.advance(5, "old")  # never moves back
    assert state.last_fill_ts == 10


def test_state_round_trips_through_json() -> None:
    state = GridState(
        reserved_base=D("0.15"),
        accumulated_profit=D("0.482716"),
        last_fill_ts=123,
        last_fill_ids=["c/t1"],
        last_buy_fill_price=D("41.23"),
        last_buy_fill_qty=D("0.35"),
        last_sell_fill_price=D("41.61"),
        last_sell_fill_qty=D("0.34"),
    )
    state.set_basis("fn.grid.grid_sell.2.x", D("41.23"))
    text = json.dumps(state.to_json())
    assert GridState.from_json(json.loads(text)) == state
    assert '"0.482716"' in text  # exact decimal text, never a float


def test_dio_state_numbers_are_read_exactly() -> None:
    doc = json.loads(
        '{"reserved_base": 0.15, "accumulated_profit": 0.482716,'
        ' "last_fill_oid": "355883830672", "last_buy_fill_price": 41.23}'
    )
    state = GridState.from_json(doc)
    assert state.reserved_base == D("0.15") and state.accumulated_profit == D("0.482716")
    assert state.last_buy_fill_price == D("41.23") and state.last_fill_ts is None


def test_unreadable_state_starts_fresh() -> None:
    grid = make_grid()
    grid.restore_state({"reserved_base": "lots"})
    assert grid.state == GridState()


def test_state_is_not_kept_when_base_accumulation_is_off() -> None:
    grid = make_grid(persist=False)
    grid.restore_state({"reserved_base": "1"})
    assert grid.state.reserved_base == 0 and grid.snapshot_state() is None


def test_a_partly_filled_buy_stays_until_it_completes() -> None:
    grid, ctx = started()
    buy = live(ctx, Side.BUY)[0]
    ctx.fill(buy.client_id, grid, size=40)
    assert submits(ctx.take()) == []
    assert grid.tracker.buy is not None
    ctx.set_book("99.00", "99.01")
    ctx.fill(buy.client_id, grid)
    sell = submits(ctx.take(), Side.SELL)[0]
    assert sell.size == PAPER.size("1") and grid.state.last_buy_fill_qty == D("1")


def _ladder() -> tuple[Grid, FakeContext, str]:
    """Two buys filled (99.01 then 98.02); returns the sell pinned to the first one."""
    grid, ctx = started()
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    reqs = submits(ctx.take())
    first_sell = next(r for r in reqs if r.side is Side.SELL)
    for req in reqs:
        ctx.accept(req.client_id, grid)
    ctx.take()
    ctx.set_book("98.00", "98.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    ctx.take()
    assert grid.state.last_buy_fill_price == D("98.02")
    return grid, ctx, first_sell.client_id


def test_a_sell_is_costed_at_the_buy_it_was_pinned_to() -> None:
    grid, ctx, sell = _ladder()
    ctx.fill(sell, grid)  # at 100.00, bought at 99.01
    assert grid.state.accumulated_profit == D("0.99")


def test_the_pinned_cost_basis_survives_a_restart() -> None:
    grid, ctx, sell = _ladder()
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again, ctx2 = _restarted(snapshot, later_s=1)
    ctx2.orders = ctx.orders
    ctx2.fill(sell, again)
    assert again.state.accumulated_profit == D("0.99")


def test_a_partial_fill_never_finishes_an_order_still_listed() -> None:
    grid, ctx, sell = _ladder()  # the sell at 100.00 is pinned to 99.01; the last buy 98.02
    tick(ctx, grid, 11)  # past the recent-sell memory: only the venue's listing knows it
    for part in (30, 40, 30):
        ctx.fill(sell, grid, size=part)
        ctx.take()
        tick(ctx, grid, 1)
    # every part costed at the pinned 99.01: 0.99 in all
    assert grid.state.accumulated_profit == D("0.99")
    assert sell not in grid.state.sell_basis  # the last part finished it


def test_an_order_no_longer_listed_finishes_when_its_fills_reach_its_quantity() -> None:
    grid, ctx, sell = _ladder()
    tick(ctx, grid, 11)
    order = ctx.orders[sell]
    # the venue's view is ahead of the fill events: the order is already gone
    ctx.orders[sell] = replace(order, status=OrderStatus.FILLED, filled=order.quantity)
    for n, part in enumerate((30, 40, 30)):
        fields = event_fields(ctx, sell)
        ctx.deliver(
            grid, Fill(**fields, trade_id=f"p{n}", side=Side.SELL, price=order.price, size=part)
        )
        assert (sell in grid.state.sell_basis) == (n < 2)
    assert grid.state.accumulated_profit == D("0.99")


def test_an_order_partly_filled_before_a_restart_finishes_with_its_last_fill() -> None:
    grid, ctx, sell = _ladder()
    ctx.fill(sell, grid, size=40)
    snapshot = grid.snapshot_state()
    assert snapshot is not None
    again = make_grid()
    again.restore_state(json.loads(json.dumps(snapshot)))
    ctx2 = make_ctx(bid="98.00", ask="98.01", now_ns=ctx.now_ns + S)
    ctx2.orders = ctx.orders  # listed as 40 of 100 filled
    again.on_start(ctx2)
    tick(ctx2, again)
    ctx2.fill(sell, again)  # the other 60
    assert again.state.accumulated_profit == D("0.99")
    assert sell not in again.state.sell_basis
