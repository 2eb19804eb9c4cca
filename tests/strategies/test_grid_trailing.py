"""Maintaining the one buy: trailing, the 2× rule, the amend deadband and cooldowns."""

from __future__ import annotations

from typing import Any

from falconet.core.enums import Side
from falconet.core.errors import ErrorKind
from falconet.core.ids import Intent
from falconet.strategies.grid import Grid
from falconet.strategies.testing import FakeContext, Request
from tests.strategies.test_grid_harness import (
    PAPER,
    live,
    make_ctx,
    make_grid,
    move,
    started,
    tick,
    with_flags,
)


def amends(reqs: list[Request]) -> list[Request]:
    return [r for r in reqs if r.kind == "amend"]


def without_sells(grid: Grid | None = None, **ctx_kw: Any) -> tuple[Grid, FakeContext]:
    """A grid with its buy at 99.01 resting and no sell (the sell was canceled)."""
    grid, ctx = started(grid, **ctx_kw)
    ctx.cancel_ack(live(ctx, Side.SELL)[0].client_id, grid)
    assert ctx.take() == []
    return grid, ctx


def test_buy_trails_up_behind_the_ask_when_no_sell_rests() -> None:
    grid, ctx = without_sells()
    (amend,) = amends(move(ctx, grid, "101.00", "101.01"))
    assert amend.client_id == live(ctx, Side.BUY)[0].client_id
    assert amend.price == PAPER.price("100.00")  # 101.01 × 0.99


def test_buy_never_trails_down_with_the_market() -> None:
    grid, ctx = without_sells()
    assert amends(move(ctx, grid, "95.00", "95.01")) == []
    assert amends(tick(ctx, grid, 30)) == []


def test_buy_moves_down_to_restore_two_intervals_under_the_closest_sell() -> None:
    grid, ctx = started(make_grid(interval="5"))  # sell 105.00, buy 95.01
    (amend,) = amends(move(ctx, grid, "104.00", "104.01"))
    # 2 × 5 % of the bid 104.00 = 10.40 under the sell at 105.00
    assert amend.price == PAPER.price("94.60")


def _far_sell(grid: Grid, ctx: FakeContext, price: str) -> None:
    cid = ctx.submit(Side.SELL, PAPER.price(price), 100, intent=Intent.GRID_SELL, level=1)
    ctx.accept(cid, grid)
    ctx.take()


def test_buy_trails_up_while_far_from_the_closest_sell() -> None:
    grid, ctx = without_sells()
    _far_sell(grid, ctx, "103.00")
    (amend,) = amends(move(ctx, grid, "101.50", "101.51"))
    assert amend.price == PAPER.price("100.49")  # 101.51 × 0.99, still > 2 intervals under


def test_trailing_stops_two_intervals_under_the_closest_sell() -> None:
    grid, ctx = without_sells()
    _far_sell(grid, ctx, "103.00")
    (amend,) = amends(move(ctx, grid, "102.00", "102.01"))
    # 102.01 × 0.99 = 100.99 would be closer than 2 × 1.02 to 103.00: capped at 100.96
    assert amend.price == PAPER.price("100.96")


def test_amend_deadband_is_ten_ticks() -> None:
    grid, ctx = without_sells()
    assert amends(move(ctx, grid, "100.08", "100.09")) == []  # 99.09: 8 ticks up
    (amend,) = amends(move(ctx, grid, "100.10", "100.11"))  # 99.11: 10 ticks up
    assert amend.price == PAPER.price("99.11")


def test_tick_exact_grid_corrects_the_spacing_by_a_single_tick() -> None:
    grid, ctx = started(make_grid(min_move_ticks=1, min_move_fraction=0))  # buy at 99.00
    # 2 × 1 % of the bid 100.50 under the sell at 101.00 is 98.99: one tick down
    (amend,) = amends(move(ctx, grid, "100.50", "100.51"))
    assert amend.price == PAPER.price("98.99")


def test_the_deadband_holds_back_a_one_tick_correction() -> None:
    grid, ctx = make_grid(), make_ctx()
    grid.on_start(ctx)
    for req in ctx.take():
        ctx.accept(req.client_id, grid)
    assert amends(ctx.take()) == []


def _amended(grid: Grid, ctx: FakeContext) -> str:
    (amend,) = amends(move(ctx, grid, "101.00", "101.01"))
    new_id = ctx.amend_ack(amend.client_id, grid, price=amend.price)
    ctx.take()
    return new_id


def test_in_place_amend_cools_the_order_for_two_seconds() -> None:
    grid, ctx = without_sells(amend_keeps_id=True)
    cid = _amended(grid, ctx)
    assert amends(move(ctx, grid, "102.00", "102.01", seconds=1.5)) == []
    (amend,) = amends(move(ctx, grid, "102.00", "102.01", seconds=0.6))
    assert amend.client_id == cid


def test_cancel_replace_amend_cools_both_ids_for_ten_seconds() -> None:
    grid, ctx = without_sells()
    old = live(ctx, Side.BUY)[0].client_id
    new = _amended(grid, ctx)
    assert new != old and grid.tracker.buy is not None and grid.tracker.buy.client_id == new
    assert grid.tracker.cooling(old, ctx.now_ns) and grid.tracker.cooling(new, ctx.now_ns)
    assert amends(move(ctx, grid, "102.00", "102.01", seconds=9.5)) == []
    (amend,) = amends(move(ctx, grid, "102.00", "102.01", seconds=0.6))
    assert amend.client_id == new


def _amend_rejected(reason: str, kind: ErrorKind) -> tuple[Grid, FakeContext, str]:
    grid, ctx = without_sells()
    (amend,) = amends(move(ctx, grid, "101.00", "101.01"))
    ctx.amend_reject(amend.client_id, grid, reason=reason, kind=kind)
    return grid, ctx, amend.client_id


def test_amend_rate_limit_cools_the_order_for_ten_seconds() -> None:
    grid, ctx, cid = _amend_rejected("rate limit exceeded", ErrorKind.RATE_LIMIT)
    assert ctx.take() == []
    assert amends(tick(ctx, grid, 9.5)) == []
    assert [a.client_id for a in amends(tick(ctx, grid, 0.6))] == [cid]


def test_amend_rejected_otherwise_cools_the_order_for_two_seconds() -> None:
    grid, ctx, cid = _amend_rejected("price band", ErrorKind.OTHER)
    assert amends(tick(ctx, grid, 1.5)) == []
    assert [a.client_id for a in amends(tick(ctx, grid, 0.6))] == [cid]


def test_amend_on_a_gone_order_cancels_it_and_drops_tracking() -> None:
    grid, ctx, cid = _amend_rejected("Order not found", ErrorKind.UNKNOWN_ORDER)
    assert [(r.kind, r.client_id) for r in ctx.take()] == [("cancel", cid)]
    assert grid.tracker.buy is None
    assert not grid.tracker.cooling(cid, ctx.now_ns + 600_000_000)
    ctx.cancel_ack(cid, grid)
    assert Side.BUY in [r.side for r in ctx.take() if r.kind == "submit"]


def test_amend_skipped_only_clears_the_pending_amend() -> None:
    grid, ctx = without_sells()
    (amend,) = amends(move(ctx, grid, "101.00", "101.01"))
    assert amends(move(ctx, grid, "102.00", "102.01")) == []  # one amend at a time
    ctx.amend_skip(amend.client_id, grid)
    (again,) = amends(ctx.take())  # no cooldown: the next cycle may amend at once
    assert again.price == PAPER.price("100.99")


def test_amend_needs_quote_for_the_new_price() -> None:
    grid, ctx = without_sells(quote="99.50")  # holds 99.01 for the buy at 99.01
    assert amends(move(ctx, grid, "101.00", "101.01")) == []
    ctx.set_balances("10", "101")
    assert len(amends(move(ctx, grid, "101.00", "101.01"))) == 1


def test_an_amended_buy_we_do_not_track_is_not_adopted() -> None:
    grid, _ = without_sells()
    grid.tracker.buy = None
    grid.tracker.amended("fn.grid.grid_buy.0.zz", "fn.grid.grid_buy.0.zy", 9900, 100, 0)
    assert grid.tracker.buy is None


def _lagging_sell(track: bool) -> tuple[Grid, FakeContext]:
    """The pair went out; the buy is acknowledged, the venue does not list the sell yet."""
    grid = make_grid(flags=with_flags(PAPER, track_pending_sells=track))
    ctx = make_ctx()
    grid.on_start(ctx)
    sell = next(r for r in ctx.take() if r.side is Side.SELL)
    del ctx.orders[sell.client_id]
    ctx.accept(live(ctx, Side.BUY)[0].client_id, grid)
    ctx.take()
    return grid, ctx


def test_unlisted_sells_anchor_the_buy_where_pending_sells_are_tracked() -> None:
    grid, ctx = _lagging_sell(track=True)
    assert amends(move(ctx, grid, "100.50", "100.51")) == []  # held 2× under 101.00


def test_unlisted_sells_are_not_anchors_elsewhere() -> None:
    grid, ctx = _lagging_sell(track=False)
    (amend,) = amends(move(ctx, grid, "100.50", "100.51"))
    assert amend.price == PAPER.price("99.50")
