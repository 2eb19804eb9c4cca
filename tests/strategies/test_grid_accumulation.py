"""Accumulation: sell sizes, the profit gate, reserved base and profit accounting."""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.errors import ErrorKind
from falconet.core.instrument import Instrument
from falconet.strategies.grid import VENUE_FLAGS, GridState
from falconet.strategies.grid.accumulation import (
    SellPlan,
    cost_basis,
    ibkr_commission,
    plan_sell,
    sell_profit,
)
from tests.strategies.test_grid_harness import (
    HYPE,
    KRAKEN,
    PAPER,
    SPY,
    TQQQ,
    kinds,
    live,
    make_ctx,
    make_grid,
    started,
    submits,
)

D = Decimal


def _plan(
    inst: Instrument, qty: str, price: str, mult: str, profit: str, buffer: str = "0.01"
) -> SellPlan:
    return plan_sell(
        inst,
        VENUE_FLAGS[inst.venue],
        qty=int(inst.size(qty)),
        price=int(inst.price(price)),
        sell_mult=D(mult),
        buffer=D(buffer),
        profit=D(profit),
    )


def test_worked_example_retains_the_floored_sliver_once_profit_covers_it() -> None:
    # 0.35 × 0.999 = 0.34965 floors to 0.34; the 0.01 left costs 0.01 × 41.23 = 0.4123
    assert _plan(HYPE, "0.35", "41.23", "0.999", "0.4222") == SellPlan(HYPE.size("0.35"))
    plan = _plan(HYPE, "0.35", "41.23", "0.999", "0.4223")
    assert plan == SellPlan(HYPE.size("0.34"), HYPE.size("0.01"), D("0.4123"))
    assert plan.accumulates


def test_sell_mult_of_one_always_sells_one_to_one() -> None:
    assert _plan(HYPE, "0.35", "41.23", "1", "1000") == SellPlan(HYPE.size("0.35"))


def test_floored_sell_below_the_minimum_notional_sells_one_to_one() -> None:
    assert _plan(HYPE, "0.25", "40", "0.96", "100") == SellPlan(HYPE.size("0.25"))


def test_sliver_of_the_whole_order_is_not_retained_outside_whole_share_venues() -> None:
    assert _plan(PAPER, "0.01", "100", "0.5", "100") == SellPlan(PAPER.size("0.01"))


def test_accumulation_sell_moves_the_sliver_to_reserved_base_and_debits_profit() -> None:
    grid, ctx = make_grid(qty="0.35", sell_mult=D("0.999")), make_ctx()
    grid.restore_state({"accumulated_profit": "2"})
    grid.on_start(ctx)
    sell = submits(ctx.take(), Side.SELL)[0]
    assert sell.size == PAPER.size("0.34")
    assert grid.state.reserved_base == D("0.01")
    assert grid.state.accumulated_profit == D("2") - D("0.01") * D("101.00")
    assert ctx.saved >= 1


def test_no_accumulation_sell_before_profit_covers_cost_and_buffer() -> None:
    grid, ctx = make_grid(qty="0.35", sell_mult=D("0.999")), make_ctx()
    grid.restore_state({"accumulated_profit": "1.01"})  # 1.01 + 0.01 buffer needed
    grid.on_start(ctx)
    assert submits(ctx.take(), Side.SELL)[0].size == PAPER.size("0.35")
    assert grid.state.reserved_base == 0


def test_a_refused_accumulation_sell_is_booked_back() -> None:
    grid, ctx = make_grid(qty="0.35", sell_mult=D("0.999")), make_ctx()
    grid.restore_state({"accumulated_profit": "2"})
    grid.on_start(ctx)
    ctx.reject(
        submits(ctx.take(), Side.SELL)[0].client_id,
        grid,
        reason="post only",
        kind=ErrorKind.POST_ONLY_WOULD_CROSS,
    )
    assert grid.state.accumulated_profit == D("2") and grid.state.reserved_base == 0


def test_reserved_base_guard_counts_the_reserved_coins() -> None:
    grid, ctx = make_grid(qty="0.35", sell_mult=D("0.999")), make_ctx(base="0.5")
    grid.restore_state({"accumulated_profit": "2", "reserved_base": "0.2"})
    grid.on_start(ctx)
    assert ctx.take() == []  # 0.5 − 0.2 = 0.3 < 0.34
    assert grid.gates.asset_low


def test_kraken_sells_qty_times_sell_mult_without_a_profit_gate() -> None:
    grid = make_grid(KRAKEN, qty="0.001", sell_mult=D("0.9"))
    ctx = make_ctx(KRAKEN, bid="60000.0", ask="60000.1")
    grid.on_start(ctx)
    assert submits(ctx.take(), Side.SELL)[0].size == KRAKEN.size("0.0009")
    assert grid.state.reserved_base == 0 and grid.state.accumulated_profit == 0


def test_alpaca_sells_one_to_one() -> None:
    grid = make_grid(SPY, qty="2", sell_mult=D("0.5"))
    ctx = make_ctx(SPY, bid="500.00", ask="500.01")
    grid.restore_state({"accumulated_profit": "10000"})
    grid.on_start(ctx)
    assert submits(ctx.take(), Side.SELL)[0].size == SPY.size("2")


def test_ibkr_retains_a_whole_share_instead_of_selling_it() -> None:
    grid, ctx = make_grid(TQQQ, qty="1"), make_ctx(TQQQ, bid="50.00", ask="50.01")
    grid.restore_state({"accumulated_profit": "100"})
    grid.on_start(ctx)
    assert kinds(ctx.take()) == [("submit", Side.BUY)]  # no sell: the share is kept
    assert grid.state.reserved_base == 1
    assert grid.state.accumulated_profit == D("100") - D("50.50")


def test_ibkr_accumulation_sells_all_shares_but_one() -> None:
    grid, ctx = make_grid(TQQQ, qty="5"), make_ctx(TQQQ, bid="50.00", ask="50.01")
    grid.restore_state({"accumulated_profit": "100"})
    grid.on_start(ctx)
    assert submits(ctx.take(), Side.SELL)[0].size == TQQQ.size("4")
    assert grid.state.reserved_base == 1


def test_ibkr_tiered_commission_per_leg() -> None:
    assert ibkr_commission(D(100), D(50)) == D("0.35")
    assert ibkr_commission(D(1000), D(50)) == D("3.5")
    assert ibkr_commission(D(10), D(1)) == D("0.35")  # the per-order minimum
    assert ibkr_commission(D(1000), D("0.2")) == D("2")  # capped at 1 % of value
    flags = VENUE_FLAGS[TQQQ.venue]
    profit = sell_profit(flags, sell=D(52), basis=D(50), qty=D(10), maker_fee=D(0))
    assert profit == D(20) - D("0.35") - D("0.35")


def test_sell_fill_adds_profit_net_of_maker_fees_on_both_legs() -> None:
    grid, ctx = started(ctx=make_ctx(maker_fee="0.001"))
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)  # bought at 99.01
    sell = submits(ctx.take(), Side.SELL)[0]  # pinned at 100.00
    ctx.accept(sell.client_id, grid)
    ctx.fill(sell.client_id, grid)
    assert grid.state.accumulated_profit == D("0.99") - D("0.09901") - D("0.1")
    assert grid.state.last_sell_fill_price == D("100.00")


def test_a_losing_sell_adds_no_profit() -> None:
    flags = VENUE_FLAGS[PAPER.venue]
    assert sell_profit(flags, sell=D(99), basis=D(100), qty=D(1), maker_fee=D(0)) == 0
    assert sell_profit(flags, sell=D(101), basis=None, qty=D(1), maker_fee=D(0)) == 0
    assert sell_profit(flags, sell=D("100.1"), basis=D(100), qty=D(1), maker_fee=D("0.01")) == 0


def test_cost_basis_prefers_the_buy_the_sell_was_pinned_to() -> None:
    state = GridState(last_buy_fill_price=D(95), last_sell_fill_price=D(100))
    state.set_basis("pinned", D(98))
    assert cost_basis(state, "pinned", D(101)) == D(98)
    assert cost_basis(state, "other", D(101)) == D(100)  # a rising ladder
    assert cost_basis(state, "other", D(99)) == D(95)  # else the last buy


def test_hyperliquid_buy_fee_in_base_comes_out_of_reserved_base() -> None:
    grid = make_grid(HYPE, qty="1")
    ctx = make_ctx(HYPE, bid="41.23", ask="41.24", maker_fee="0.0004")
    grid.restore_state({"reserved_base": "0.5"})
    grid, ctx = started(grid, ctx)
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    assert grid.state.reserved_base == D("0.5") - D("0.0004")


def test_a_fee_reported_in_base_is_taken_as_reported() -> None:
    grid, ctx = started(make_grid(HYPE, qty="1"), make_ctx(HYPE, bid="41.23", ask="41.24"))
    grid.state.reserved_base = D("0.5")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid, fee="0.0007", fee_currency="HYPE")
    assert grid.state.reserved_base == D("0.4993")


def test_a_buy_fee_charged_in_quote_takes_no_base_on_a_base_fee_venue() -> None:
    # Hyperliquid normally takes buy fees in base; this fill says the fee was USDC
    grid = make_grid(HYPE, qty="1")
    ctx = make_ctx(HYPE, bid="41.23", ask="41.24", maker_fee="0.0004")
    grid, ctx = started(grid, ctx)
    grid.state.reserved_base = D("0.5")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid, fee="0.0165", fee_currency="USDC")
    assert grid.state.reserved_base == D("0.5")
    assert grid.state.last_buy_fill_qty == D("1")  # the buy itself was booked


def test_paper_buys_pay_fees_in_quote() -> None:
    grid, ctx = started(ctx=make_ctx(maker_fee="0.001"))
    grid.state.reserved_base = D("0.5")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    assert grid.state.reserved_base == D("0.5")
