"""Order events: per-side in-flight flags, fills, amend results, housekeeping timers, and
a whole buy/sell cycle."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.errors import ErrorKind
from falconet.core.events import OrderCanceled, OrderExpired
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.strategies.api import Wakeup
from falconet.strategies.mm import MarketMaker
from falconet.strategies.mm.tracking import ExpiringIds
from falconet.strategies.testing import FakeContext
from tests.strategies.test_mm_support import (
    ETH,
    S,
    acked_pair,
    kinds,
    make_ctx,
    px,
    started,
    submits,
)


def opened() -> tuple[MarketMaker, FakeContext, str, str]:
    """Both opening orders sent, neither answered: (mm, ctx, sell id, buy id)."""
    mm, ctx = started()
    reqs = ctx.take()
    return mm, ctx, submits(reqs, Side.SELL)[0].client_id, submits(reqs, Side.BUY)[0].client_id


def test_triggers_book_and_a_one_second_timer() -> None:
    assert MarketMaker.wakeup == Wakeup(every_ms=1000, on_book=True)
    for callback in ("on_start", "on_book", "on_timer", "on_order", "on_fill", "on_balance"):
        assert MarketMaker.wants(callback)


def test_both_sides_in_flight_after_placing() -> None:
    mm, _, _, _ = opened()
    assert mm.buy_in_flight
    assert mm.sell_in_flight


# --- in-flight flags: one side settles, the other stays ---------------------------------


def test_buy_ack_clears_buy_flag_only() -> None:
    mm, ctx, _, buy = opened()
    ctx.accept(buy, mm)
    assert (mm.buy_in_flight, mm.sell_in_flight) == (False, True)


def test_sell_ack_clears_sell_flag_only() -> None:
    mm, ctx, sell, _ = opened()
    ctx.accept(sell, mm)
    assert (mm.buy_in_flight, mm.sell_in_flight) == (True, False)


def test_buy_fill_clears_buy_flag_only() -> None:
    mm, ctx, sell, buy = opened()
    ctx.fill(buy, mm)
    assert buy not in mm.state.pending_placements
    assert sell in mm.state.pending_placements
    # the fill's cycle starts the next pair; the sell still in flight is not doubled
    assert kinds(ctx.take()) == [("submit", Side.BUY)]


def test_sell_cancel_clears_sell_flag_only() -> None:
    mm, ctx, sell, _ = opened()
    ctx.cancel_ack(sell, mm)
    assert (mm.buy_in_flight, mm.sell_in_flight) == (True, False)


def test_buy_reject_clears_buy_flag_only() -> None:
    mm, ctx, sell, buy = opened()
    ctx.reject(
        buy, mm, reason="post-only order would have crossed", kind=ErrorKind.POST_ONLY_WOULD_CROSS
    )
    assert buy not in mm.state.pending_placements
    assert sell in mm.state.pending_placements
    assert kinds(ctx.take()) == [("submit", Side.BUY)]  # a new buy, no second sell


def test_failed_sell_clears_sell_flag_only() -> None:
    mm, ctx, sell, _ = opened()
    ctx.reject(sell, mm, reason="request refused: connection reset", kind=ErrorKind.CONNECTION)
    assert (mm.buy_in_flight, mm.sell_in_flight) == (True, False)


def test_expired_sell_clears_sell_flag_only() -> None:
    mm, ctx, sell, _ = opened()
    ctx.deliver(
        mm,
        OrderExpired(
            ts_exchange=ctx.now_ns,
            ts_local=ctx.now_ns,
            instrument_id=ctx.instrument.id,
            client_id=sell,
        ),
    )
    assert (mm.buy_in_flight, mm.sell_in_flight) == (True, False)


def test_amend_results_clear_the_amend_flag() -> None:
    for answer in ("amend_reject", "amend_skip"):
        mm, ctx, _, buy = acked_pair()
        ctx.set_book("100.00", "100.11")
        mm.on_book(ctx)
        assert mm.amend_in_flight
        mm.on_book(ctx)
        assert kinds(ctx.take()) == [("amend", None)]  # no second amend while one is out
        getattr(ctx, answer)(buy, mm)
        # the result freed the flag: the cycle it ran tried again
        assert kinds(ctx.take()) == [("amend", None)], answer


def test_cancel_replace_amend_tracks_the_new_id() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.set_book("100.00", "100.11")
    mm.on_book(ctx)
    new_id = ctx.amend_ack(buy, mm, price=px("99.89"))
    assert new_id != buy
    assert (mm.status().buy_id, mm.status().buy_price) == (new_id, px("99.89"))


def test_acked_buy_is_tracked_with_its_price() -> None:
    mm, _, _, buy = acked_pair()
    assert (mm.status().buy_id, mm.status().buy_price) == (buy, px("99.88"))


# --- fills ------------------------------------------------------------------------------


def test_sell_fill_causes_no_orders() -> None:
    mm, ctx, sell, _ = acked_pair()
    ctx.fill(sell, mm)
    assert ctx.take() == []


def test_buy_fill_clears_tracking_and_starts_the_next_pair() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.fill(buy, mm)
    reqs = ctx.take()
    assert kinds(reqs) == [("submit", Side.SELL), ("submit", Side.BUY)]
    assert mm.status().buy_id is None


def test_partial_buy_fill_keeps_the_rest_resting() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.fill(buy, mm, size=ctx.instrument.size("0.4"))
    assert ctx.take() == []  # still one MM buy, at the target price


def test_full_lifecycle_round_trip() -> None:
    mm, ctx, sell, buy = acked_pair(ctx=make_ctx(base="1", quote="1000"))
    ctx.fill(sell, mm)  # base 0, quote 1100.10
    assert ctx.take() == []
    ctx.fill(buy, mm)  # base 1, quote 1000.22
    assert ctx.balances().base_total == Decimal(1)
    sell2, buy2 = ctx.take()
    assert (sell2.side, sell2.price, buy2.side, buy2.price) == (
        Side.SELL,
        px("100.10"),
        Side.BUY,
        px("99.88"),
    )
    ctx.accept(sell2.client_id, mm)
    ctx.accept(buy2.client_id, mm)
    ctx.set_book("100.20", "100.30")  # the market rises: the buy trails it
    mm.on_book(ctx)
    [amend] = ctx.take()
    assert (amend.kind, amend.client_id, amend.price) == ("amend", buy2.client_id, px("100.08"))
    new_id = ctx.amend_ack(buy2.client_id, mm, price=amend.price)
    ctx.fill(new_id, mm)
    reqs = ctx.take()
    assert kinds(reqs) == [("submit", Side.SELL), ("submit", Side.BUY)]
    assert mm.pauses == 0


# --- housekeeping -----------------------------------------------------------------------


def test_unanswered_placement_released_after_5s() -> None:
    mm, ctx, sell, buy = opened()
    ctx.accept(sell, mm)
    del ctx.orders[buy]  # lost: the venue never heard of it
    ctx.take()
    ctx.advance(5 * S)
    mm.on_timer(ctx)
    assert mm.buy_in_flight  # exactly 5 s is not older than 5 s
    assert ctx.take() == []
    ctx.advance(1)
    mm.on_timer(ctx)
    assert buy not in mm.state.pending_placements
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_pending_cancel_not_repeated_within_30s_then_retried() -> None:
    mm, ctx, _, buy = acked_pair(min_usd_balance="9000")
    ctx.set_balances("10", "9050")
    mm.on_book(ctx)
    assert [r.client_id for r in ctx.take() if r.kind == "cancel"] == [buy]
    ctx.amend_reject(buy, mm)  # the view keeps the order listed, no cancel result comes
    ctx.advance(30 * S)
    mm.on_book(ctx)
    assert [r for r in ctx.take() if r.kind == "cancel"] == []
    ctx.advance(S)
    mm.on_book(ctx)
    assert [r.client_id for r in ctx.take() if r.kind == "cancel"] == [buy]


def test_pending_cancels_swept_at_most_once_per_second() -> None:
    mm, ctx, _, buy = acked_pair(min_usd_balance="9000")
    ctx.set_balances("10", "9050")
    ctx.advance(S // 2)
    mm.on_book(ctx)  # cancel sent at t0 + 0.5 s; last sweep was at t0
    ctx.take()
    ctx.advance(30 * S)  # t0 + 30.5 s: a sweep runs, the cancel is exactly 30 s old
    mm.on_book(ctx)
    ctx.advance(S // 2)  # t0 + 31 s: the cancel is 30.5 s old, but the last sweep was 0.5 s ago
    mm.on_book(ctx)
    assert [r for r in ctx.take() if r.kind == "cancel"] == []
    ctx.advance(S // 2)  # t0 + 31.5 s: a second has passed since the last sweep
    mm.on_book(ctx)
    assert [r.client_id for r in ctx.take() if r.kind == "cancel"] == [buy]


def test_pending_placements_capped_at_50() -> None:
    ids = ExpiringIds(5 * S, 50)
    for n in range(60):
        ids.add(f"o{n}", n, Side.BUY)
    assert len(ids) == 50
    assert "o9" not in ids and "o10" in ids


def test_canceled_blacklist_capped_at_20_and_kept_15s() -> None:
    mm = MarketMaker(qty=1)
    blacklist = mm.state.canceled
    assert (blacklist.max_age_ns, blacklist.cap) == (15 * S, 20)
    for n in range(25):
        blacklist.add(f"o{n}", 0)
    assert len(blacklist) == 20
    assert blacklist.expire(15 * S) == []
    assert len(blacklist.expire(15 * S + 1)) == 20


def test_placement_and_cancel_lists_use_the_documented_limits() -> None:
    state = MarketMaker(qty=1).state
    assert (state.pending_placements.max_age_ns, state.pending_placements.cap) == (5 * S, 50)
    assert (state.pending_cancels.max_age_ns, state.pending_cancels.cap) == (30 * S, None)


def test_events_of_other_strategies_orders_are_ignored() -> None:
    mm, ctx, _, _ = opened()
    grid_id = OrderTag(StrategyCode.GRID, Intent.GRID_BUY, seq=99).encode(IdFormat.TEXT)
    event = OrderCanceled(
        ts_exchange=ctx.now_ns, ts_local=ctx.now_ns, instrument_id=ETH.id, client_id=grid_id
    )
    mm.on_order(ctx, event)
    assert ctx.take() == []
    assert grid_id not in mm.state.canceled
    assert (mm.buy_in_flight, mm.sell_in_flight) == (True, True)


def test_no_amend_or_cancel_while_the_venue_works_on_the_buy() -> None:
    mm, ctx, _, buy = acked_pair()
    ctx.orders[buy] = replace(ctx.orders[buy], request_pending=True)  # e.g. an OMS amend
    ctx.set_book("100.00", "100.50")
    mm.on_book(ctx)
    assert ctx.take() == []
