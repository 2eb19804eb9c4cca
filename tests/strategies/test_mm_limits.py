"""Balance limits and the pause, and the capital_low / asset_low recovery flags."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from falconet.core.enums import Side, Venue
from falconet.core.errors import ErrorKind
from falconet.core.events import BalanceUpdate
from falconet.core.orders import OrderStatus
from falconet.strategies.mm import MarketMaker
from tests.strategies.test_mm_support import (
    ETH,
    HYPE,
    S,
    acked_pair,
    kinds,
    make_ctx,
    make_mm,
    px,
    started,
    submits,
    sz,
)

# --- the pause --------------------------------------------------------------------------


def test_usd_breach_cancels_mm_buys_and_sells_free_base_at_the_ask() -> None:
    mm, ctx, _, buy = acked_pair(min_usd_balance="9000")
    ctx.set_balances("10", "9050")  # 9050 - 99.88 locked < 9000
    mm.on_book(ctx)
    assert mm.paused
    reqs = ctx.take()
    assert kinds(reqs) == [("cancel", None), ("submit", Side.SELL)]
    assert reqs[0].client_id == buy
    emergency = reqs[1]
    # 10 base, 1 locked in the resting sell: 9 free, at the best ask
    assert (emergency.price, emergency.size) == (px("100.10"), sz("9"))
    assert mm.status().buy_id is None  # tracking cleared


def test_usd_limit_reserves_the_next_buy_when_none_is_open() -> None:
    # 1099.99 - 100.00 (bid x qty) < 1000
    mm, ctx = started(ctx=make_ctx(quote="1099.99"), min_usd_balance="1000")
    assert mm.paused
    assert submits(ctx.take(), Side.BUY) == []


def test_exposure_breach_pauses() -> None:
    # (10 - 1) * 100.05 = 900.45 > 900
    mm, ctx = started(max_exposure="900")
    assert mm.paused
    reqs = ctx.take()
    assert kinds(reqs) == [("submit", Side.SELL)]
    assert reqs[0].size == sz("10")


def test_exposure_within_limit_quotes() -> None:
    mm, _ = started(max_exposure="900.45")
    assert not mm.paused


def test_limit_with_unknown_balance_is_a_breach() -> None:
    mm, ctx, _, buy = acked_pair(min_usd_balance="1")
    ctx.set_balances("10", None)
    mm.on_book(ctx)
    assert mm.paused
    reqs = ctx.take()
    assert [(r.kind, r.client_id) for r in reqs[:1]] == [("cancel", buy)]
    assert kinds(reqs[1:]) == [("submit", Side.SELL)]  # the base is known: it is sold


def test_emergency_sell_floored_to_the_lot() -> None:
    mm, ctx = started(ctx=make_ctx(base="3.00057"), max_exposure="0")
    [sell] = ctx.take()
    assert sell.size == sz("3.0005")
    assert mm.paused


def test_no_emergency_sell_below_the_minimum_size() -> None:
    mm, ctx = started(ctx=make_ctx(base="0.00099", quote="10"), min_usd_balance="100")
    assert mm.paused
    assert ctx.take() == []


def test_no_emergency_sell_below_the_minimum_order_value() -> None:
    inst = replace(ETH, min_notional=Decimal("10"))
    ctx = make_ctx(instrument=inst, base="0.05", quote="10")  # 0.05 x 100.10 = 5.005 < 10
    mm = MarketMaker(qty=sz("0.01"), min_usd_balance="100")
    mm.on_start(ctx)
    assert mm.paused
    mm.on_book(ctx)
    assert submits(ctx.take(), Side.SELL) == [] and mm.emergency_sells == 0
    ctx.set_balances("0.1", "10")  # 0.1 x 100.10 = 10.01: the venue takes it
    mm.on_book(ctx)
    (sell,) = submits(ctx.take(), Side.SELL)
    assert sell.size == sz("0.1")


def test_no_emergency_sell_while_a_sell_is_in_flight() -> None:
    mm, ctx = started(min_usd_balance="9000")
    ctx.take()
    ctx.set_balances("10", "9050")
    mm.on_book(ctx)  # the opening sell is not acknowledged yet
    assert kinds(ctx.take()) == [("cancel", None)]


def test_emergency_sell_once_then_nothing_free() -> None:
    mm, ctx, _, _ = acked_pair(min_usd_balance="9000")
    ctx.set_balances("10", "9050")
    mm.on_book(ctx)
    emergency = submits(ctx.take(), Side.SELL)[0].client_id
    ctx.accept(emergency, mm)  # all base is now locked in sells
    ctx.take()
    mm.on_book(ctx)
    assert submits(ctx.take()) == []


def test_no_buys_while_paused_and_quoting_resumes_when_limits_hold() -> None:
    mm, ctx, _, buy = acked_pair(min_usd_balance="9000")
    ctx.set_balances("10", "9050")
    mm.on_book(ctx)
    ctx.cancel_ack(buy, mm)
    assert submits(ctx.take(), Side.BUY) == []
    ctx.set_balances("10", "9200")  # 9200 - 100 >= 9000
    mm.on_book(ctx)
    assert not mm.paused
    assert len(submits(ctx.take(), Side.BUY)) == 1
    assert mm.pauses == 1


# --- recovery flags ---------------------------------------------------------------------


def test_insufficient_funds_buy_reject_sets_capital_low_and_skips_cycles() -> None:
    mm, ctx = started()
    buy = submits(ctx.take(), Side.BUY)[0].client_id
    ctx.set_balances("10", "99")  # below mid x qty = 100.05
    ctx.reject(buy, mm, reason="EOrder:Insufficient funds", kind=ErrorKind.INSUFFICIENT_FUNDS)
    assert mm.capital_low
    ctx.set_book("100.00", "100.30")
    mm.on_book(ctx)
    assert ctx.take() == []


def test_capital_low_clears_when_quote_covers_price_times_qty() -> None:
    mm, ctx = started()
    buy = submits(ctx.take(), Side.BUY)[0].client_id
    ctx.set_balances("10", "99")
    ctx.reject(buy, mm, reason="insufficient balance", kind=ErrorKind.INSUFFICIENT_FUNDS)
    ctx.set_balances("10", "100.05")  # exactly mid x qty
    mm.on_book(ctx)
    assert not mm.capital_low
    assert len(submits(ctx.take(), Side.BUY)) == 1


def test_capital_low_clears_on_the_available_quote_that_set_it() -> None:
    # 150 quote, 100 of it locked in another strategy's buy: one MM buy (~99.88) is not
    # affordable, though the total quote is above mid x qty
    mm, ctx = make_mm("1"), make_ctx(quote="150")
    foreign = ctx.add_foreign_order(Side.BUY, "50.00", "2")
    mm.on_start(ctx)
    assert kinds(ctx.take()) == [("submit", Side.SELL)] and mm.capital_low
    for _ in range(5):
        ctx.advance(S)
        mm.on_timer(ctx)
        assert ctx.take() == [] and mm.capital_low  # no clear-then-set, no sell each time
    ctx.orders[foreign.client_id] = replace(foreign, status=OrderStatus.CANCELED)
    ctx.advance(S)
    mm.on_timer(ctx)
    assert not mm.capital_low
    # the buy cycle's sell already went out: the resumed pair sends only its buy
    assert kinds(ctx.take()) == [("submit", Side.BUY)]


def test_one_sell_per_buy_cycle_while_capital_low() -> None:
    mm, ctx = started()
    reqs = ctx.take()
    sell, buy = submits(reqs, Side.SELL)[0].client_id, submits(reqs, Side.BUY)[0].client_id
    ctx.accept(sell, mm)
    # the venue knows better than the balances we see: the buy is refused, again and again
    for _ in range(3):
        ctx.reject(buy, mm, reason="EOrder:Insufficient funds", kind=ErrorKind.INSUFFICIENT_FUNDS)
        reqs = ctx.take()
        assert kinds(reqs) == [("submit", Side.BUY)]
        buy = reqs[0].client_id
    ctx.accept(buy, mm)
    ctx.fill(buy, mm)  # the buy cycle completes: the next pair has its own sell
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_other_rejects_do_not_set_flags() -> None:
    mm, ctx = started()
    for r in ctx.take():
        ctx.reject(
            r.client_id,
            mm,
            reason="post-only order would have crossed",
            kind=ErrorKind.POST_ONLY_WOULD_CROSS,
        )
    assert not mm.capital_low
    assert not mm.asset_low


def test_insufficient_sell_reject_sets_asset_low_and_blocks_sells() -> None:
    mm, ctx = started()
    sell = submits(ctx.take(), Side.SELL)[0].client_id
    ctx.reject(sell, mm, reason="insufficient balance", kind=ErrorKind.INSUFFICIENT_FUNDS)
    assert mm.asset_low
    buy = next(o.client_id for o in ctx.open_orders() if o.side is Side.BUY)
    ctx.cancel_ack(buy, mm)  # no buy: a new pair would start with a sell
    assert kinds(ctx.take()) == [("submit", Side.BUY)]


def test_asset_low_needs_a_balance_increase_outside_hyperliquid() -> None:
    mm, ctx = started()
    sell = submits(ctx.take(), Side.SELL)[0].client_id
    ctx.reject(sell, mm, reason="insufficient balance", kind=ErrorKind.INSUFFICIENT_FUNDS)
    mm.on_book(ctx)  # base (10) still >= qty, but it has not grown
    assert mm.asset_low
    ctx.set_balances("10.5", "10000")
    mm.on_book(ctx)
    assert not mm.asset_low


def test_asset_low_clears_on_hyperliquid_when_base_covers_qty() -> None:
    ctx = make_ctx(instrument=HYPE, bid=None, ask=None)
    ctx.set_book(HYPE.price("12.344"), HYPE.price("12.345"))
    mm = MarketMaker(qty=HYPE.size("1"))
    mm.on_start(ctx)
    sell = submits(ctx.take(), Side.SELL)[0].client_id
    ctx.reject(sell, mm, reason="Insufficient spot balance", kind=ErrorKind.INSUFFICIENT_FUNDS)
    # the cycle after the reject saw base 10 >= 1: the flag is already clear
    assert not mm.asset_low


def test_asset_low_stays_while_base_is_below_qty() -> None:
    mm, ctx = started(ctx=make_ctx(base="0.5"))
    assert mm.asset_low
    ctx.set_balances("0.9", "10000")
    mm.on_book(ctx)
    assert mm.asset_low
    ctx.set_balances("1", "10000")
    mm.on_book(ctx)
    assert not mm.asset_low


def test_no_emergency_sell_while_asset_low() -> None:
    # the venue refused a sell for lack of base: the pause does not keep offering it
    mm, ctx = started(min_usd_balance="9000")
    sell = submits(ctx.take(), Side.SELL)[0].client_id
    ctx.reject(sell, mm, reason="insufficient balance", kind=ErrorKind.INSUFFICIENT_FUNDS)
    ctx.take()
    ctx.set_balances("10", "9050")
    mm.on_book(ctx)
    assert mm.paused
    assert submits(ctx.take(), Side.SELL) == []


def test_balance_update_runs_a_cycle() -> None:
    mm, ctx = started(ctx=make_ctx(quote="50"))
    ctx.take()
    assert mm.status().capital_low
    ctx.set_balances("10", "500")
    update = BalanceUpdate(
        ts_exchange=ctx.now_ns,
        ts_local=ctx.now_ns,
        venue=Venue.KRAKEN,
        asset="USD",
        total=Decimal(500),
        free=Decimal(500),
    )
    mm.on_balance(ctx, update)
    assert not mm.capital_low
    assert len(submits(ctx.take(), Side.BUY)) == 1
