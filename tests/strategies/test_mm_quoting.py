"""What the market maker quotes: the sell-first pair, the single buy it maintains (amend or
cancel), and the orders it leaves alone."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.strategies.api import OpenOrder
from falconet.strategies.mm import MarketMaker
from tests.strategies.test_mm_support import (
    ETH,
    NoFeeContext,
    acked_pair,
    kinds,
    make_ctx,
    px,
    started,
    submits,
    sz,
)


def grid_order(side: Side, price: str, size: str, seq: int = 1) -> OpenOrder:
    intent = Intent.GRID_BUY if side is Side.BUY else Intent.GRID_SELL
    return OpenOrder(
        client_id=OrderTag(StrategyCode.GRID, intent, seq=seq).encode(IdFormat.TEXT),
        side=side,
        price=px(price),
        quantity=sz(size),
        filled=0,
        status=OrderStatus.OPEN,
        request_pending=False,
        intent=intent,
        level=0,
        strategy=StrategyCode.GRID,
    )


class FixedBuyPrice(MarketMaker):
    """Asks for a given buy price, to exercise the guards the real formula always passes."""

    def __init__(self, price: int, **kw: Any) -> None:
        super().__init__(qty=sz("1"), **kw)
        self.price = price

    def buy_price(self, inst: Instrument, bid: int, ask: int, fee: Decimal) -> int:
        return self.price


# --- the pair ---------------------------------------------------------------------------


def test_sell_first_then_buy_on_start() -> None:
    _, ctx = started()
    reqs = ctx.take()
    assert kinds(reqs) == [("submit", Side.SELL), ("submit", Side.BUY)]
    sell, buy = reqs
    assert sell.price == px("100.10")  # the best ask
    assert buy.price == px("99.88")  # 100.10 * (1 - 0.0021), floored
    assert sell.size == buy.size == sz("1")


def test_orders_are_post_only_limits_with_mm_intents() -> None:
    _, ctx = started()
    sell, buy = ctx.take()
    assert {r.tif for r in (sell, buy)} == {TimeInForce.POST_ONLY}
    assert {r.order_type for r in (sell, buy)} == {OrderType.LIMIT}
    assert (sell.intent, buy.intent) == (Intent.MM_ASK, Intent.MM_BID)
    assert all(o.strategy is StrategyCode.MM for o in ctx.open_orders())


def test_buy_at_the_bid_when_the_venue_charges_no_fee() -> None:
    _, ctx = started(ctx=make_ctx(maker_fee="0"))
    assert submits(ctx.take(), Side.BUY)[0].price == px("100.00")


def test_venue_fee_from_context_sets_the_buy_price() -> None:
    mm, ctx = started(ctx=make_ctx(maker_fee="0.0016"))
    # 100.10 * (1 - 0.0033) = 99.76967 -> 99.76
    assert submits(ctx.take(), Side.BUY)[0].price == px("99.76")
    assert mm.maker_fee == Decimal("0.0016")


def test_configured_maker_fee_overrides_the_venue() -> None:
    _, ctx = started(ctx=make_ctx(maker_fee="0.0016"), maker_fee="0")
    assert submits(ctx.take(), Side.BUY)[0].price == px("100.00")


def test_default_fee_when_the_venue_fee_is_unknown() -> None:
    ctx = NoFeeContext(
        ETH, bid="100.00", ask="100.10", base="10", quote="10000", strategy_code=StrategyCode.MM
    )
    mm, _ = started(ctx=ctx)
    # 100.10 * (1 - 0.0053) = 99.56947 -> 99.56
    assert submits(ctx.take(), Side.BUY)[0].price == px("99.56")
    assert mm.maker_fee == Decimal("0.0026")


def test_nothing_without_a_book() -> None:
    _, ctx = started(ctx=make_ctx(bid=None))
    assert ctx.take() == []


def test_nothing_on_unknown_balances() -> None:
    _, ctx = started(ctx=make_ctx(quote=None))
    assert ctx.take() == []


def test_qty_below_venue_minimum_places_nothing() -> None:
    _, ctx = started("0.0009")  # minimum is 0.001
    assert ctx.take() == []


def test_qty_at_venue_minimum_is_quoted() -> None:
    _, ctx = started("0.001")
    assert len(submits(ctx.take())) == 2


def test_sell_skipped_and_asset_low_set_when_base_is_short() -> None:
    mm, ctx = started(ctx=make_ctx(base="0.5"))
    assert kinds(ctx.take()) == [("submit", Side.BUY)]
    assert mm.asset_low


def test_buy_not_sent_when_quote_cannot_pay_and_capital_low_set() -> None:
    mm, ctx = started(ctx=make_ctx(quote="50"))
    assert kinds(ctx.take()) == [("submit", Side.SELL)]
    assert mm.capital_low


def test_optional_limits_unset_never_pause() -> None:
    mm, ctx = started(ctx=make_ctx(base="1000", quote="100"))
    assert not mm.paused
    assert len(submits(ctx.take())) == 2


def test_no_new_pair_while_a_buy_is_in_flight() -> None:
    mm, ctx = started()
    buy = submits(ctx.take(), Side.BUY)[0].client_id
    del ctx.orders[buy]  # the venue's view has not caught up with the placement yet
    mm.on_book(ctx)
    assert ctx.take() == []


# --- guards on the pair -----------------------------------------------------------------


def test_unprofitable_pair_is_not_sent() -> None:
    # fee 0.001 needs 0.21 of spread below the 100.10 ask; 99.90 leaves 0.20
    mm = FixedBuyPrice(px("99.90"))
    ctx = make_ctx()
    mm.on_start(ctx)
    assert ctx.take() == []


def test_buy_above_the_bid_is_never_sent() -> None:
    mm = FixedBuyPrice(px("100.05"), maker_fee="0")
    ctx = make_ctx()
    mm.on_start(ctx)
    assert ctx.take() == []


# --- maintaining the single buy ---------------------------------------------------------


def test_amend_when_the_target_moves_by_a_tick() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.set_book("100.00", "100.11")  # 100.11 * 0.9979 = 99.8997... -> 99.89
    mm.on_book(ctx)
    [amend] = ctx.take()
    assert (amend.kind, amend.client_id, amend.price) == ("amend", buy, px("99.89"))


def test_no_amend_when_the_target_is_unchanged() -> None:
    mm, ctx, _, _ = acked_pair()
    ctx.set_book("99.99", "100.10")  # the bid moved, the target did not
    mm.on_book(ctx)
    assert ctx.take() == []


def test_no_amend_before_the_buy_is_acknowledged() -> None:
    mm, ctx = started()
    ctx.take()
    ctx.set_book("100.00", "100.20")
    mm.on_book(ctx)
    assert ctx.take() == []


def test_one_amend_at_a_time() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.set_book("100.00", "100.11")
    mm.on_book(ctx)
    ctx.set_book("100.00", "100.20")
    mm.on_book(ctx)
    assert kinds(ctx.take()) == [("amend", None)]
    assert mm.amend_in_flight
    new_id = ctx.amend_ack(buy, mm, price=px("99.89"))
    [amend] = ctx.take()  # the amend result runs a cycle: the target moved meanwhile
    assert (amend.kind, amend.client_id) == ("amend", new_id)
    assert amend.price == px("99.98")  # 100.20 * 0.9979 = 99.98958


def test_amend_counts_the_orders_own_locked_quote_as_free() -> None:
    # 200 quote, the 99.88 buy locks 99.88; a 99.89 buy needs 99.89 and keeps 100.10
    mm, ctx, _, _ = acked_pair(ctx=make_ctx(quote="200"), min_usd_balance="100")
    ctx.set_book("100.00", "100.11")
    mm.on_book(ctx)
    assert kinds(ctx.take()) == [("amend", None)]


def test_cancel_instead_of_amend_when_the_balance_limit_would_break() -> None:
    mm, ctx, _, buy = acked_pair(ctx=make_ctx(quote="300"), min_usd_balance="100.11")
    # 199.995 - 99.88 = 100.115 free keeps the limit with the 99.88 buy resting, but
    # moving it to 99.89 would leave 100.105
    ctx.set_balances("10", "199.995")
    ctx.set_book("100.00", "100.11")
    mm.on_book(ctx)
    assert not mm.paused
    [cancel] = ctx.take()
    assert (cancel.kind, cancel.client_id) == ("cancel", buy)


def test_cancel_instead_of_amend_when_the_target_would_cross() -> None:
    mm = FixedBuyPrice(px("99.80"), maker_fee="0")
    ctx = make_ctx()
    mm.on_start(ctx)
    for r in ctx.take():
        ctx.accept(r.client_id, mm)
    buy = next(o for o in ctx.open_orders() if o.side is Side.BUY)
    ctx.take()
    mm.price = px("100.01")  # above the 100.00 bid
    mm.on_book(ctx)
    [cancel] = ctx.take()
    assert (cancel.kind, cancel.client_id) == ("cancel", buy.client_id)


def test_more_than_one_mm_buy_cancels_them_all() -> None:
    mm, ctx, _, buy = acked_pair()
    extra = ctx.submit(Side.BUY, px("99.50"), sz("1"), intent=Intent.MM_BID)
    ctx.accept(extra, mm)
    cancels = {r.client_id for r in ctx.take() if r.kind == "cancel"}
    assert cancels == {buy, extra}


def test_duplicate_buys_cancelled_once_while_the_cancel_is_pending() -> None:
    mm, ctx, _, _ = acked_pair()
    extra = ctx.submit(Side.BUY, px("99.50"), sz("1"), intent=Intent.MM_BID)
    ctx.accept(extra, mm)
    ctx.take()
    mm.on_book(ctx)
    assert ctx.take() == []


# --- other strategies' orders -----------------------------------------------------------


def test_other_strategies_buys_are_not_mm_buys() -> None:
    ctx = make_ctx()
    order = grid_order(Side.BUY, "99.00", "1")
    ctx.orders[order.client_id] = order
    _, ctx = started(ctx=ctx)
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_other_strategies_buys_lock_quote_for_the_limits() -> None:
    # 10000 quote, a grid buy locks 9500: 500 - 100 left is below the 450 minimum
    ctx = make_ctx()
    order = grid_order(Side.BUY, "95.00", "100")
    ctx.orders[order.client_id] = order
    mm, ctx = started(ctx=ctx, min_usd_balance="450")
    assert mm.paused
    assert submits(ctx.take(), Side.BUY) == []


def test_other_strategies_sells_lock_base_for_the_exposure_limit() -> None:
    # 10 base, a grid sell locks 8: (2 - 1) * 100.05 is within 150
    ctx = make_ctx()
    order = grid_order(Side.SELL, "101.00", "8")
    ctx.orders[order.client_id] = order
    mm, ctx = started(ctx=ctx, max_exposure="150")
    assert not mm.paused
    assert [o.client_id for o in ctx.open_orders() if o.strategy is StrategyCode.GRID] == [
        order.client_id
    ]
    assert all(r.kind == "submit" for r in ctx.take())


def test_other_strategies_orders_are_never_cancelled_or_amended() -> None:
    ctx = make_ctx()
    order = grid_order(Side.BUY, "99.00", "1")
    ctx.orders[order.client_id] = order
    mm, ctx = started(ctx=ctx, min_usd_balance="100000")  # paused at once
    assert mm.paused
    assert order.client_id not in {r.client_id for r in ctx.take()}


def test_canceled_order_still_listed_by_a_stale_view_is_ignored_for_15s() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.cancel_ack(buy, mm)  # the buy is gone: the next cycle places a new pair
    reqs = ctx.take()
    assert len(submits(reqs, Side.BUY)) == 1
    for r in reqs:
        ctx.accept(r.client_id, mm)
    ctx.take()
    stale = replace(ctx.orders[buy], status=OrderStatus.OPEN)
    ctx.orders[buy] = stale  # a lagging open-order view lists it again
    mm.on_book(ctx)
    assert ctx.take() == []  # one MM buy seen, at the target price: nothing to do
    ctx.advance(15 * 1_000_000_000 + 1)
    mm.on_book(ctx)
    assert {r.kind for r in ctx.take()} == {"cancel"}  # two buys once the entry expired
