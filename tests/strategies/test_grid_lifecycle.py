"""Tracking through venue lag, and the balance gates: pending expiry, ghost buys, stale
sells, capital_low, asset_low, the reserved-base guard and the expected base credit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import Fill, OrderExpired, OrderRejected
from falconet.core.ids import Intent, StrategyCode
from falconet.core.orders import OrderStatus
from falconet.strategies.api import Fees, OpenOrder
from falconet.strategies.grid import Grid
from falconet.strategies.grid.gates import BalanceGates
from falconet.strategies.grid.tracking import OrderTracker, Placement
from falconet.strategies.testing import FakeContext, Request
from tests.strategies.test_grid_harness import (
    KRAKEN,
    PAPER,
    SPY,
    S,
    event_fields,
    kinds,
    live,
    make_ctx,
    make_grid,
    move,
    started,
    submits,
    tick,
)


def test_unanswered_placements_are_dropped_after_five_seconds() -> None:
    grid, ctx = started()
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    for req in ctx.take():  # the new pair never reaches the venue
        del ctx.orders[req.client_id]
    assert tick(ctx, grid, 4.0) == []
    assert len(grid.tracker.pending) == 2
    reqs = tick(ctx, grid, 1.1)
    assert [p.side for p in grid.tracker.pending] == [Side.BUY]
    assert kinds(reqs) == [("submit", Side.BUY)]  # one sell per buy fill: only the buy


def test_pending_placements_are_capped_at_fifty() -> None:
    tracker = OrderTracker()
    for i in range(60):
        tracker.submitted(Placement(f"c{i}", Side.SELL, 100, 1, i))
    assert len(tracker.pending) == 50
    assert tracker.pending[0].client_id == "c10"


def test_ghost_buy_is_dropped_after_ten_seconds_unlisted() -> None:
    grid, ctx = started()
    buy = live(ctx, Side.BUY)[0]
    del ctx.orders[buy.client_id]  # canceled at the venue, and we never heard
    for _ in range(10):
        assert submits(tick(ctx, grid, 1.0)) == []
    assert grid.tracker.buy is not None
    assert kinds(tick(ctx, grid, 1.0)) == [("submit", Side.BUY)]


def test_ghost_buy_is_kept_within_three_seconds_of_our_last_request() -> None:
    tracker = OrderTracker()
    tracker.submitted(Placement("b", Side.BUY, 100, 1, 0))
    tracker.accepted("b", Side.BUY, 0)
    assert tracker.track_buys(None, 1 * S) is False  # absent from 1 s
    tracker.last_order_ns = 10 * S
    assert tracker.track_buys(None, 12 * S) is False  # 11 s absent, but 2 s after a request
    assert tracker.track_buys(None, 14 * S) is True


def test_a_listed_buy_is_adopted_at_start() -> None:
    grid, ctx = make_grid(), make_ctx()
    cid = ctx.submit(Side.BUY, PAPER.price("99.50"), 100, intent=Intent.GRID_BUY)
    ctx.orders[cid] = replace(ctx.orders[cid], status=OrderStatus.OPEN)
    ctx.take()
    grid.on_start(ctx)
    assert grid.tracker.buy is not None and grid.tracker.buy.client_id == cid
    assert submits(ctx.take()) == []


def test_a_listed_buy_is_not_adopted_while_its_id_cools_down() -> None:
    tracker = OrderTracker()
    ctx = make_ctx()
    cid = ctx.submit(Side.BUY, PAPER.price("99.50"), 100, intent=Intent.GRID_BUY)
    order = replace(ctx.orders[cid], status=OrderStatus.OPEN)
    tracker.amend_cooldown[cid] = 10 * S
    tracker.track_buys(order, 12 * S)  # within 5 s after the cooldown
    assert _tracked(tracker) is None
    tracker.track_buys(order, 16 * S)
    assert _tracked(tracker) == cid


def _tracked(tracker: OrderTracker) -> str | None:
    return tracker.buy.client_id if tracker.buy is not None else None


def test_a_sell_at_or_below_the_bid_is_evicted_for_a_day() -> None:
    grid, ctx = started()
    sell = live(ctx, Side.SELL)[0]
    reqs = move(ctx, grid, "101.00", "101.01")  # the bid reached the sell: it filled
    assert sell.client_id in grid.tracker.evicted
    # with the sell ignored the buy trails up as if no sell rested
    assert [r.price for r in reqs if r.kind == "amend"] == [PAPER.price("100.00")]
    assert grid.tracker.evicted[sell.client_id] == ctx.now_ns + 24 * 3600 * S


def test_insufficient_funds_on_a_buy_sets_capital_low_and_skips_cycles() -> None:
    grid, ctx = make_grid(), make_ctx(quote="50")
    grid.on_start(ctx)
    buy = submits(ctx.take(), Side.BUY)[0]
    ctx.reject(buy.client_id, grid, reason="Insufficient funds", kind=ErrorKind.INSUFFICIENT_FUNDS)
    assert grid.gates.capital_low and grid.gates.capital_snapshot == Decimal("50")
    for _ in range(30):
        assert tick(ctx, grid, 1.0) == []


def test_capital_low_clears_only_when_quote_rises_above_the_snapshot() -> None:
    grid, ctx = make_grid(), make_ctx(quote="50")
    grid.on_start(ctx)
    ctx.reject(
        submits(ctx.take(), Side.BUY)[0].client_id,
        grid,
        reason="insufficient balance",
        kind=ErrorKind.INSUFFICIENT_FUNDS,
    )
    ctx.take()
    ctx.set_balances("10", "50")
    assert tick(ctx, grid, 5.0) == []
    ctx.set_balances("10", "60")  # a sell filled, or a buy elsewhere was canceled
    assert kinds(tick(ctx, grid, 1.0)) == [("submit", Side.BUY)]
    assert not grid.gates.capital_low


def test_capital_low_snapshot_is_stamped_on_the_next_cycle() -> None:
    gates = BalanceGates()
    gates.set_capital_low()
    assert gates.capital_snapshot is None
    assert gates.check_capital(Decimal(50)) is False
    assert gates.capital_snapshot == Decimal(50)
    assert gates.check_capital(Decimal(50)) is False
    assert gates.blocks(Decimal(50), Decimal(100))
    assert gates.check_capital(Decimal("50.01")) is True and not gates.capital_low


def test_insufficient_base_on_a_sell_sets_asset_low() -> None:
    grid, ctx = make_grid(), make_ctx()
    grid.on_start(ctx)
    ctx.set_balances("0.5", "10000")  # the coins went elsewhere
    ctx.reject(
        submits(ctx.take(), Side.SELL)[0].client_id,
        grid,
        reason="Insufficient balance",
        kind=ErrorKind.INSUFFICIENT_FUNDS,
    )
    assert grid.gates.asset_low


def test_kraken_ignores_a_refused_sell() -> None:
    grid = make_grid(KRAKEN, qty="0.001")
    ctx = make_ctx(KRAKEN, bid="60000.0", ask="60000.1")
    grid.on_start(ctx)
    ctx.set_balances("0.0005", "100000")
    ctx.reject(
        submits(ctx.take(), Side.SELL)[0].client_id,
        grid,
        reason="Insufficient funds",
        kind=ErrorKind.INSUFFICIENT_FUNDS,
    )
    assert not grid.gates.asset_low


def test_asset_low_clears_when_the_base_covers_the_next_sell() -> None:
    grid, ctx = make_grid(), make_ctx(base="0")
    grid.on_start(ctx)
    assert grid.gates.asset_low and ctx.take() == []
    ctx.set_balances("1", "10000")
    assert kinds(tick(ctx, grid)) == [("submit", Side.SELL), ("submit", Side.BUY)]
    assert not grid.gates.asset_low


def test_asset_low_recovery_waits_for_a_balance_change_where_required() -> None:
    gates = BalanceGates()
    gates.set_asset_low(Decimal(1), "test")
    one, two = Decimal(1), Decimal(2)
    assert not gates.recover_asset(two, one, base_total=one, requires_change=True)
    assert gates.recover_asset(two, one, base_total=two, requires_change=True)
    assert gates.resuming


def test_reserved_base_is_not_sold() -> None:
    grid, ctx = make_grid(), make_ctx(base="1.5")
    grid.restore_state({"reserved_base": "0.6"})
    grid.on_start(ctx)
    assert ctx.take() == []  # 1.5 − 0.6 < 1: no sell, so no buy
    assert grid.gates.asset_low


def test_after_a_recovery_no_one_to_one_sell_goes_out_without_a_buy_fill() -> None:
    grid, ctx = started(base="2")
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    sell2 = submits(ctx.take(), Side.SELL)[0]
    ctx.reject(
        sell2.client_id, grid, reason="insufficient balance", kind=ErrorKind.INSUFFICIENT_FUNDS
    )  # asset_low, then clear
    assert grid.gates.resuming and not grid.gates.asset_low
    buy2 = live(ctx, Side.BUY)[0]
    ctx.accept(buy2.client_id, grid)
    ctx.cancel_ack(buy2.client_id, grid)
    assert kinds(ctx.take()) == [("submit", Side.BUY)]  # the resting ladder anchors it
    ctx.accept(live(ctx, Side.BUY)[0].client_id, grid)
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)
    assert submits(ctx.take(), Side.SELL) != []  # a buy filled: its sell may go


def test_a_canceled_buy_is_forgotten_and_its_cooldown_dropped() -> None:
    grid, ctx = started()
    grid.tracker.cool_buys(10 * S, ctx.now_ns)
    ctx.cancel_ack(live(ctx, Side.BUY)[0].client_id, grid)
    assert kinds(ctx.take()) == [("submit", Side.BUY)]
    assert grid.tracker.buy is None


def test_expired_sells_are_resubmitted_where_the_venue_says_so() -> None:
    grid, ctx = started(make_grid(SPY, qty="2"), make_ctx(SPY, bid="500.00", ask="500.01"))
    sell = live(ctx, Side.SELL)[0]
    ctx.orders[sell.client_id] = replace(sell, status=OrderStatus.EXPIRED)
    ctx.deliver(grid, OrderExpired(**event_fields(ctx, sell.client_id)))
    (again,) = submits(ctx.take(), Side.SELL)
    assert (again.price, again.size, again.level) == (sell.price, sell.quantity, sell.level)


def test_expired_sells_are_not_resubmitted_elsewhere() -> None:
    grid, ctx = started()
    sell = live(ctx, Side.SELL)[0]
    ctx.orders[sell.client_id] = replace(sell, status=OrderStatus.EXPIRED)
    ctx.deliver(grid, OrderExpired(**event_fields(ctx, sell.client_id)))
    assert submits(ctx.take(), Side.SELL) == []


class OneInFlight(FakeContext):
    """As the engine's OMS (`one_inflight_per_side`): a second unacknowledged order on a
    side is refused; the refusal arrives when `flush` plays it back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: list[OrderRejected] = []

    def submit(
        self,
        side: Side,
        price: int | None,
        size: int,
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        order_type: OrderType = OrderType.LIMIT,
        reduce_only: bool = False,
        intent: Intent = Intent.NONE,
        level: int = 0,
    ) -> str:
        busy = any(
            o.side is side and o.status is OrderStatus.PENDING_NEW for o in self.orders.values()
        )
        cid = super().submit(
            side,
            price,
            size,
            tif=tif,
            order_type=order_type,
            reduce_only=reduce_only,
            intent=intent,
            level=level,
        )
        if busy:
            self.orders[cid] = replace(self.orders[cid], status=OrderStatus.REJECTED)
            reason = f"a {side.value} order is already in flight"
            kind = ErrorKind.DUPLICATE
            self.refused.append(OrderRejected(**event_fields(self, cid), reason=reason, kind=kind))
        return cid

    def flush(self, grid: Grid) -> None:
        while self.refused:
            grid.on_order(self, self.refused.pop(0))

    def ack_all(self, grid: Grid) -> list[Request]:
        """Acknowledge what the venue took; returns every request made meanwhile."""
        out: list[Request] = []
        while True:
            self.flush(grid)
            reqs = self.take()
            if not reqs:
                return out
            out += reqs
            for r in submits(reqs):
                if self.orders[r.client_id].status is OrderStatus.PENDING_NEW:
                    self.accept(r.client_id, grid)


def _alpaca_ladder() -> tuple[Grid, OneInFlight, list[OpenOrder], dict[int, Decimal | None]]:
    """An Alpaca grid with four resting sells, three pinned to a buy fill; then the
    close expires them all. Returns the sells and their cost bases by price."""
    grid = make_grid(SPY)
    ctx = OneInFlight(
        SPY,
        bid="500.00",
        ask="500.01",
        base="100",
        quote="100000",
        strategy_code=StrategyCode.GRID,
        now_ns=1000 * S,
    )
    grid.on_start(ctx)
    ctx.ack_all(grid)
    for _ in range(3):
        buy = live(ctx, Side.BUY)[0]
        ctx.set_book(SPY.price_str(buy.price), SPY.price_str(buy.price + 100))
        ctx.advance(S)
        ctx.fill(buy.client_id, grid)
        ctx.ack_all(grid)
    sells = live(ctx, Side.SELL)
    bases = {s.price: grid.state.sell_basis.get(s.client_id) for s in sells}
    assert len(sells) == 4 and sum(b is not None for b in bases.values()) == 3
    ctx.advance(S)
    for sell in sells:
        ctx.orders[sell.client_id] = replace(sell, status=OrderStatus.EXPIRED)
        grid.on_order(ctx, OrderExpired(**event_fields(ctx, sell.client_id)))
    return grid, ctx, sells, bases


def test_expired_sells_are_resubmitted_one_per_cycle() -> None:
    grid, ctx, sells, bases = _alpaca_ladder()
    resubmitted: list[Request] = []
    for _ in range(len(sells)):
        ctx.flush(grid)
        reqs = submits(ctx.take(), Side.SELL)
        assert len(reqs) == 1  # one in flight at a time: none refused
        ctx.advance(S)
        grid.on_timer(ctx)
        assert submits(ctx.take(), Side.SELL) == []  # the next waits for this one's ack
        ctx.accept(reqs[0].client_id, grid)  # and goes on the cycle after it
        resubmitted += reqs
    assert ctx.refused == [] and submits(ctx.take()) == []
    assert [r.price for r in resubmitted] == [s.price for s in sells]
    assert [r.size for r in resubmitted] == [s.quantity for s in sells]
    assert grid.tracker.expired_sells == []
    assert {r.price: grid.state.sell_basis.get(r.client_id) for r in resubmitted} == bases
    assert sorted(o.price for o in live(ctx, Side.SELL)) == sorted(s.price for s in sells)


def test_a_refused_resubmission_goes_back_on_the_queue_with_its_basis() -> None:
    grid, ctx, sells, _ = _alpaca_ladder()
    (first,) = submits(ctx.take(), Side.SELL)
    basis = grid.state.sell_basis.get(first.client_id)
    ctx.reject(first.client_id, grid, reason="rate limit exceeded", kind=ErrorKind.RATE_LIMIT)
    assert [r.sell.price for r in grid.tracker.expired_sells] == [s.price for s in sells]
    assert submits(ctx.take(), Side.SELL) == []  # not at once: after a short backoff
    assert grid.state.sell_basis.get(first.client_id) == basis
    ctx.advance(3 * S)
    grid.on_timer(ctx)
    (again,) = submits(ctx.take(), Side.SELL)
    assert again.price == first.price and grid.state.sell_basis.get(again.client_id) == basis


def test_a_partly_filled_expired_sell_is_resubmitted_for_what_it_had_left() -> None:
    grid, ctx = started(make_grid(SPY, qty="2"), make_ctx(SPY, bid="500.00", ask="500.01"))
    sell = live(ctx, Side.SELL)[0]
    ctx.fill(sell.client_id, grid, size=SPY.size("1"))
    tick(ctx, grid)
    ctx.orders[sell.client_id] = replace(ctx.orders[sell.client_id], status=OrderStatus.EXPIRED)
    ctx.deliver(grid, OrderExpired(**event_fields(ctx, sell.client_id)))
    (again,) = submits(ctx.take(), Side.SELL)
    assert (again.price, again.size) == (sell.price, SPY.size("1"))


def test_a_rejection_drops_only_the_rejected_orders_placement() -> None:
    tr = OrderTracker()
    tr.submitted(Placement("a", Side.SELL, 100, 1, 0))
    tr.submitted(Placement("b", Side.SELL, 101, 1, 0))
    tr.rejected("b", Side.SELL)
    assert [p.client_id for p in tr.pending] == ["a"] and tr.sell_in_flight
    tr.submitted(Placement("c", Side.BUY, 90, 1, 0))
    tr.rejected("a", Side.SELL)
    assert [p.client_id for p in tr.pending] == ["c"] and not tr.sell_in_flight
    assert tr.buy_in_flight


class FeesLost(FakeContext):
    """A context whose fee rates can be withdrawn (the live one raises LookupError when
    neither the config nor the venue gives any)."""

    known = True

    def fees(self) -> Fees:
        if not self.known:
            raise LookupError("no fee rates known")
        return super().fees()


def test_grid_runs_on_its_last_known_fee_when_the_context_has_none() -> None:
    ctx = FeesLost(
        PAPER,
        bid="100.00",
        ask="100.01",
        base="10",
        quote="10000",
        maker_fee="0.001",
        strategy_code=StrategyCode.GRID,
        now_ns=1000 * S,
    )
    grid, _ = started(ctx=ctx)
    assert grid.maker_fee == Decimal("0.001")
    ctx.known = False
    ctx.set_book("99.00", "99.01")
    ctx.fill(live(ctx, Side.BUY)[0].client_id, grid)  # no LookupError out of the grid
    assert submits(ctx.take(), Side.SELL) != []
    assert grid.maker_fee == Decimal("0.001")
    fresh = FeesLost(PAPER, bid="100.00", ask="100.01", base="10", quote="10000")
    fresh.known = False
    other = make_grid()
    other.on_start(fresh)  # never had one: 0
    assert other.maker_fee == 0 and submits(fresh.take()) != []


def test_expected_base_credit_covers_a_lagging_balance() -> None:
    grid, ctx = started(base="1")  # the one coin rests in the sell
    ctx.set_book("99.00", "99.01")
    buy = live(ctx, Side.BUY)[0]
    ctx.set_balances("1", "10000")
    grid.on_timer(ctx)
    ctx.take()
    # filled, but the balance does not show it yet: the fill is built by hand
    ctx.orders[buy.client_id] = replace(buy, status=OrderStatus.FILLED, filled=buy.quantity)
    fields = event_fields(ctx, buy.client_id)
    ctx.deliver(grid, Fill(**fields, trade_id="t1", side=Side.BUY, price=buy.price, size=100))
    assert grid.gates.anticipated == Decimal(1)
    assert submits(ctx.take(), Side.SELL) != []  # 1 + 1 expected − 1 resting ≥ 1
    ctx.set_balances("2", "9900.99")
    grid.on_timer(ctx)
    assert grid.gates.anticipated == 0
