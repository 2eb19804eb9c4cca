"""Placing the sell/buy pair: prices, order, sizes and the conditions on each leg."""

from __future__ import annotations

from decimal import Decimal

import pytest

from falconet.core.enums import Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.ids import Intent, StrategyCode
from falconet.core.orders import OrderStatus
from falconet.strategies.api import OpenOrder
from falconet.strategies.grid import GridParamError
from tests.strategies.test_grid_harness import (
    HYPE,
    KRAKEN,
    LIGHTER,
    PAPER,
    TQQQ,
    kinds,
    live,
    make_ctx,
    make_grid,
    move,
    started,
    submits,
    tick,
    with_flags,
)


def test_sell_is_placed_before_the_buy() -> None:
    grid, ctx = make_grid(), make_ctx()
    grid.on_start(ctx)
    reqs = ctx.take()
    assert kinds(reqs) == [("submit", Side.SELL), ("submit", Side.BUY)]
    sell, buy = reqs
    assert (sell.intent, sell.level, sell.tif) == (Intent.GRID_SELL, 1, TimeInForce.POST_ONLY)
    assert (buy.intent, buy.level, buy.tif) == (Intent.GRID_BUY, 0, TimeInForce.POST_ONLY)


def test_sell_one_interval_over_the_bid_and_buy_one_under_the_ask() -> None:
    grid, ctx = make_grid(), make_ctx(bid="100.00", ask="100.01")
    grid.on_start(ctx)
    sell, buy = ctx.take()
    assert sell.price == PAPER.price("101.00")  # 100.00 × 1.01
    assert buy.price == PAPER.price("99.01")  # 100.01 × 0.99 = 99.0099
    assert sell.size == buy.size == PAPER.size("1")


def test_buy_never_goes_at_or_above_a_sell_when_the_spread_is_wide() -> None:
    grid, ctx = make_grid(interval="0.05"), make_ctx(bid="100.00", ask="100.30")
    grid.on_start(ctx)
    sell, buy = ctx.take()
    assert sell.price == PAPER.price("100.05")  # 100.00 × 1.0005
    # 100.30 × 0.9995 = 100.25 would sit above the sell: two intervals under it instead
    assert buy.price == PAPER.price("99.95")


def test_without_the_deadband_a_new_buy_goes_straight_to_the_two_interval_price() -> None:
    grid, ctx = make_grid(min_move_ticks=1, min_move_fraction=0), make_ctx()
    grid.on_start(ctx)
    sell, buy = ctx.take()
    assert (sell.price, buy.price) == (PAPER.price("101.00"), PAPER.price("99.00"))


def test_sell_is_pinned_to_the_last_buy_fill_price() -> None:
    grid, ctx = started()
    buy = live(ctx, Side.BUY)[0]
    ctx.set_book("99.00", "99.01")
    ctx.fill(buy.client_id, grid)  # at 99.01
    sell, new_buy = submits(ctx.take())
    assert sell.side is Side.SELL and sell.price == PAPER.price("100.00")  # 99.01 × 1.01
    assert new_buy.side is Side.BUY and new_buy.price == PAPER.price("98.02")


def test_ladder_level_counts_the_resting_sells() -> None:
    grid, ctx = started()
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    assert submits(ctx.take(), Side.SELL)[0].level == 2


def test_no_orders_while_there_is_no_price() -> None:
    grid, ctx = make_grid(), make_ctx(bid=None, ask=None)
    grid.on_start(ctx)
    assert ctx.take() == []


def test_one_sided_book_uses_that_price_for_both_sides() -> None:
    grid, ctx = make_grid(), make_ctx(bid=None, ask="100.01")
    grid.on_start(ctx)
    sell, buy = ctx.take()
    assert sell.price == PAPER.price("101.01") and buy.price == PAPER.price("99.01")


def test_buy_is_skipped_when_no_sell_could_be_placed() -> None:
    grid, ctx = make_grid(), make_ctx(base="0")
    grid.on_start(ctx)
    assert ctx.take() == []
    assert grid.gates.asset_low


def test_buy_goes_out_when_a_sell_already_rests() -> None:
    grid, ctx = started(base="1")
    buy = live(ctx, Side.BUY)[0]
    ctx.cancel_ack(buy.client_id, grid)  # the one coin is in the resting sell
    assert kinds(ctx.take()) == [("submit", Side.BUY)]


def test_only_one_sell_per_buy_cycle() -> None:
    grid, ctx = started()
    ctx.reject(
        live(ctx, Side.BUY)[0].client_id,
        grid,
        reason="post only would cross",
        kind=ErrorKind.POST_ONLY_WOULD_CROSS,
    )
    for _ in range(5):
        assert submits(tick(ctx, grid, 1.0), Side.SELL) == []


def test_unfunded_buy_is_tried_at_most_every_two_seconds() -> None:
    grid, ctx = make_grid(), make_ctx(quote="50")  # less than 99.01
    grid.on_start(ctx)
    first = submits(ctx.take(), Side.BUY)
    assert len(first) == 1
    ctx.cancel_ack(first[0].client_id, grid)
    assert submits(ctx.take(), Side.BUY) == []
    assert submits(tick(ctx, grid, 1.0), Side.BUY) == []
    assert len(submits(tick(ctx, grid, 1.1), Side.BUY)) == 1


def test_buy_reject_cools_buys_for_two_seconds() -> None:
    grid, ctx = started()
    ctx.reject(
        live(ctx, Side.BUY)[0].client_id,
        grid,
        reason="post only would cross",
        kind=ErrorKind.POST_ONLY_WOULD_CROSS,
    )
    assert submits(ctx.take(), Side.BUY) == []
    assert submits(tick(ctx, grid, 1.5), Side.BUY) == []
    assert len(submits(tick(ctx, grid, 0.6), Side.BUY)) == 1


def test_buy_rate_limit_cools_buys_for_ten_seconds() -> None:
    grid, ctx = started()
    ctx.reject(
        live(ctx, Side.BUY)[0].client_id,
        grid,
        reason="Too many cumulative requests",
        kind=ErrorKind.RATE_LIMIT,
    )
    for _ in range(9):
        assert submits(tick(ctx, grid, 1.0), Side.BUY) == []
    assert len(submits(tick(ctx, grid, 1.1), Side.BUY)) == 1


def test_nothing_new_while_a_buy_placement_awaits_its_ack() -> None:
    grid, ctx = make_grid(), make_ctx()
    grid.on_start(ctx)
    ctx.take()
    assert move(ctx, grid, "105.00", "105.01") == []
    assert tick(ctx, grid, 1.0) == []


def test_dynamic_buy_size_meets_the_minimum_notional() -> None:
    grid = make_grid(HYPE, qty="0.1")
    ctx = make_ctx(HYPE, bid="41.23", ask="41.24")
    grid.on_start(ctx)
    sell, buy = ctx.take()
    assert buy.price == HYPE.price("40.828")  # 41.24 × 0.99, five significant figures
    assert buy.size == HYPE.size("0.25")  # ceil_lot(10 / 40.828)
    for req in (sell, buy):
        assert req.price is not None and req.size is not None
        assert HYPE.notional(req.price, req.size) >= 10


def test_configured_qty_kept_when_above_the_minimum_notional() -> None:
    grid = make_grid(HYPE, qty="1")
    ctx = make_ctx(HYPE, bid="41.23", ask="41.24")
    grid.on_start(ctx)
    assert submits(ctx.take(), Side.BUY)[0].size == HYPE.size("1")


@pytest.mark.parametrize(
    ("inst", "qty", "expected"),
    [(LIGHTER, "0.0015", "0.001"), (LIGHTER, "0.0004", "0.001"), (TQQQ, "1.7", "1")],
)
def test_qty_floored_to_the_lot_on_ibkr_and_lighter(inst: object, qty: str, expected: str) -> None:
    from falconet.core.instrument import Instrument

    assert isinstance(inst, Instrument)
    assert make_grid(inst, qty=qty).params.qty_units(inst) == inst.size(expected)


def test_qty_that_is_not_a_lot_multiple_is_refused_elsewhere() -> None:
    with pytest.raises(GridParamError, match="qty"):
        make_grid(KRAKEN, qty="0.000000015").params.qty_units(KRAKEN)


def test_kraken_waits_while_a_balance_is_unknown() -> None:
    grid, ctx = make_grid(KRAKEN, qty="0.001"), make_ctx(KRAKEN, bid="60000.0", ask="60000.1")
    ctx.set_balances("1", None)
    grid.on_start(ctx)
    assert ctx.take() == []


def test_hyperliquid_trades_with_an_unknown_quote_balance() -> None:
    grid, ctx = make_grid(HYPE, qty="1"), make_ctx(HYPE, bid="41.23", ask="41.24")
    ctx.set_balances("5", None)
    grid.on_start(ctx)
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_duplicate_grid_buys_are_all_canceled() -> None:
    grid, ctx = started()
    extra = ctx.submit(Side.BUY, PAPER.price("98.00"), 100, intent=Intent.GRID_BUY)
    ctx.take()
    ctx.accept(extra, grid)
    cancels = {r.client_id for r in ctx.take() if r.kind == "cancel"}
    assert cancels == {o.client_id for o in live(ctx, Side.BUY)}
    assert len(cancels) == 2


def test_duplicates_wait_for_a_fresh_amend_to_settle() -> None:
    grid, ctx = started(amend_keeps_id=True)
    ctx.fill(live(ctx, Side.SELL)[0].client_id, grid)
    ctx.take()
    amend = next(r for r in move(ctx, grid, "101.00", "101.01") if r.kind == "amend")
    ctx.amend_ack(amend.client_id, grid, price=amend.price)
    extra = ctx.submit(Side.BUY, PAPER.price("98.00"), 100, intent=Intent.GRID_BUY)
    ctx.accept(extra, grid)
    assert [r for r in ctx.take() if r.kind == "cancel"] == []
    assert len([r for r in tick(ctx, grid, 2.1) if r.kind == "cancel"]) == 2


def test_orders_of_other_strategies_are_ignored() -> None:
    grid, ctx = started()
    mm = OpenOrder(
        client_id="mm-bid",
        side=Side.BUY,
        price=PAPER.price("99.50"),
        quantity=100,
        filled=0,
        status=OrderStatus.OPEN,
        request_pending=False,
        intent=Intent.MM_BID,
        level=0,
        strategy=StrategyCode.MM,
    )
    ctx.orders[mm.client_id] = mm
    assert [r for r in tick(ctx, grid) if r.kind == "cancel"] == []


def test_untagged_orders_are_ignored_by_default() -> None:
    grid, ctx = started()
    ctx.add_foreign_order(Side.BUY, "98.00", "1")
    assert [r for r in tick(ctx, grid) if r.kind == "cancel"] == []


def test_untagged_orders_count_as_grid_orders_when_the_flags_say_so() -> None:
    grid = make_grid(flags=with_flags(PAPER, adopt_untagged=True))
    grid, ctx = started(grid)
    foreign = ctx.add_foreign_order(Side.BUY, "98.00", "1")
    cancels = {r.client_id for r in tick(ctx, grid) if r.kind == "cancel"}
    assert foreign.client_id in cancels and len(cancels) == 2


def test_sell_size_covers_the_last_buy_fill() -> None:
    grid, ctx = started(
        grid=make_grid(HYPE, qty="0.1"), ctx=make_ctx(HYPE, bid="41.23", ask="41.24")
    )
    buy = live(ctx, Side.BUY)[0]
    assert buy.quantity == HYPE.size("0.25")
    ctx.set_book("40.5", "40.51")
    ctx.fill(buy.client_id, grid)
    assert submits(ctx.take(), Side.SELL)[0].size == HYPE.size("0.25")
    assert grid.state.last_buy_fill_qty == Decimal("0.25")
