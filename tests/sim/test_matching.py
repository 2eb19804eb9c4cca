"""Fill rules of the simulated venue on small hand-written markets, seen through the
same strategy callbacks a live strategy gets."""

from __future__ import annotations

import pytest

from falconet.backtest.runner import run_backtest
from falconet.core.enums import Liquidity, OrderType, Side, TimeInForce
from falconet.core.events import Trade
from falconet.sim.models import QueueModel, venue_profile
from falconet.strategies.api import Context, Wakeup
from tests.sim.helpers import MS, T0, D, Script, T, book, config, market

BASE = book(0, bids=[(9999, 5), (9998, 5)], asks=[(10001, 5), (10002, 5)])


def buy(price: int, size: int = 1, tif: TimeInForce = TimeInForce.POST_ONLY):  # type: ignore[no-untyped-def]
    def act(ctx: Context) -> None:
        ctx.submit(Side.BUY, price, size, tif=tif)

    return act


def run(rows, script: Script, **cfg):  # type: ignore[no-untyped-def]
    result = run_backtest([market(rows)], [script], config(**cfg))
    return result.results[0]


def test_risk_averse_queue_fill_needs_trades_past_our_place() -> None:
    rows = BASE + [
        (150, T, -1, 9999, 3),  # 5 ahead of us -> 2
        (150, D, 1, 9999, 2),
        (160, T, -1, 9999, 2),  # -> 0: at the front, not yet filled
        (160, D, 1, 9999, 0),
        (165, D, 1, 9999, 4),  # others join behind us
        (170, T, -1, 9999, 1),  # -> -1: a whole lot traded past us
        (400, D, 1, 9998, 5),
    ]
    s = Script(actions={0: buy(9999)})
    r = run(rows, s)
    assert len(s.fills) == 1
    fill = s.fills[0]
    assert (fill.price, fill.size, fill.liquidity) == (9999, 1, Liquidity.MAKER)
    assert fill.ts_exchange == T0 + 170 * MS  # the trade that filled it
    assert fill.ts_local == T0 + 180 * MS  # plus the 10 ms response latency
    assert float(fill.fee) == pytest.approx(-0.0001 * 99.99)  # maker rebate on the value
    assert s.kinds() == ["OrderAccepted"]
    assert r.final_state()["position"] == 1


def test_trade_through_our_price_fills_whatever_the_queue() -> None:
    rows = BASE + [(150, T, -1, 9998, 1), (400, D, 1, 9998, 4)]
    s = Script(actions={0: buy(9999)})
    run(rows, s)
    assert [(f.price, f.ts_exchange) for f in s.fills] == [(9999, T0 + 150 * MS)]


def test_opposite_best_moving_onto_our_price_fills_it() -> None:
    rows = BASE + [(150, D, -1, 9999, 3), (400, D, 1, 9998, 4)]
    s = Script(actions={0: buy(9999)})
    run(rows, s)
    assert len(s.fills) == 1 and s.fills[0].liquidity is Liquidity.MAKER


def test_crossing_post_only_expires_or_is_rejected_as_the_venue_would() -> None:
    rows = BASE + [(400, D, 1, 9998, 4)]
    generic = Script(actions={0: buy(10001)})
    run(rows, generic)
    assert generic.kinds() == ["OrderExpired"] and not generic.fills
    hl = Script(actions={0: buy(10001)})
    run(rows, hl, venue=venue_profile("hyperliquid"))
    assert hl.kinds() == ["OrderRejected"]
    assert hl.orders[0].reason == "Post only order would have immediately matched"  # type: ignore[attr-defined]
    kraken = Script(actions={0: buy(10001)})
    run(rows, kraken, venue=venue_profile("kraken"))
    assert kraken.orders[0].reason == "EOrder:Post only order"  # type: ignore[attr-defined]


def test_crossing_limit_takes_at_the_best_price_with_the_taker_fee() -> None:
    rows = BASE + [(400, D, 1, 9998, 4)]
    s = Script(actions={0: buy(10002, tif=TimeInForce.GTC)})
    run(rows, s)
    fill = s.fills[0]
    assert (fill.price, fill.liquidity) == (10001, Liquidity.TAKER)
    assert float(fill.fee) == pytest.approx(0.0005 * 100.01)


def test_order_arriving_at_t_sees_rows_stamped_t_but_not_their_trades() -> None:
    # The order reaches the exchange at 110 ms. A trade through its price at exactly
    # 110 ms happened before it arrived; a depth row at 110 ms sets its queue place.
    rows = BASE + [
        (110, T, -1, 9998, 1),
        (110, D, 1, 9999, 2),
        (150, T, -1, 9999, 2),  # 2 ahead -> 0: not filled
        (160, T, -1, 9999, 1),  # -> -1: filled
        (400, D, 1, 9998, 4),
    ]
    s = Script(actions={0: buy(9999)})
    run(rows, s)
    assert [f.ts_exchange for f in s.fills] == [T0 + 160 * MS]


def test_separate_place_and_cancel_latencies() -> None:
    from falconet.sim.models import Latency, LatencyModel

    lat = LatencyModel(place=Latency(10 * MS, 10 * MS), cancel=Latency(2 * MS, 3 * MS))
    rows = BASE + [(400, D, 1, 9998, 4)]
    s = Script()

    def place(ctx: Context) -> None:
        s.ids["a"] = ctx.submit(Side.BUY, 9990, 1)

    s.actions = {0: place, 1: lambda ctx: ctx.cancel(s.ids["a"])}
    run(rows, s, latency=lat)
    accepted, canceled = s.orders
    assert (accepted.ts_exchange, accepted.ts_local) == (T0 + 110 * MS, T0 + 120 * MS)
    assert (canceled.ts_exchange, canceled.ts_local) == (T0 + 202 * MS, T0 + 205 * MS)


def test_cancel_racing_a_fill_is_rejected_and_the_fill_counts_once() -> None:
    # Filled at 195 ms (known locally at 205); the cancel sent at 200 ms reaches a venue
    # that no longer has the order. The reject arrives after the fill made the order
    # final, so the strategy hears of the fill only.
    rows = BASE + [(195, T, -1, 9998, 1), (400, D, 1, 9998, 4)]
    s = Script()

    def place(ctx: Context) -> None:
        s.ids["a"] = ctx.submit(Side.BUY, 9999, 1)

    s.actions = {0: place, 1: lambda ctx: ctx.cancel(s.ids["a"])}
    r = run(rows, s)
    assert s.kinds() == ["OrderAccepted"]
    assert len(s.fills) == 1 and r.final_state()["position"] == 1
    assert r.asset.counters()["cancels"] == 1


def test_amend_keeps_queue_priority_only_where_the_venue_does() -> None:
    rows = BASE + [
        (150, T, -1, 9999, 4),  # 5 ahead -> 1
        (150, D, 1, 9999, 9),  # 8 others queue behind us
        (250, T, -1, 9999, 2),  # after the amend: 1 ahead -> -1 if we kept our place
        (400, D, 1, 9998, 4),
    ]

    def script() -> Script:
        s = Script()

        def place(ctx: Context) -> None:
            s.ids["a"] = ctx.submit(Side.BUY, 9999, 3)

        s.actions = {0: place, 1: lambda ctx: ctx.amend(s.ids["a"], size=2)}
        return s

    keeps = script()
    run(rows, keeps, venue=venue_profile("kraken"))  # amends in place
    assert [f.size for f in keeps.fills] == [2]
    loses = script()
    run(rows, loses, venue=venue_profile("hyperliquid"))  # modify is cancel-replace
    assert loses.fills == []
    assert "OrderAmended" in loses.kinds()


def test_partial_fills_limit_queue_fills_and_keep_the_rest_in_line() -> None:
    rows = book(0, bids=[(9999, 2), (9998, 5)], asks=[(10001, 5)]) + [
        (150, T, -1, 9999, 4),  # 2 ahead: 2 lots trade past us -> fill 2 of 5
        (150, D, 1, 9999, 0),
        (160, T, -1, 9999, 1),  # we are first: fill 1
        (170, T, -1, 9998, 1),  # through our price: the remaining 2
        (400, D, 1, 9998, 4),
    ]
    s = Script(actions={0: buy(9999, size=5)})
    r = run(rows, s, partial_fills=True)
    assert [f.size for f in s.fills] == [2, 1, 2]
    assert r.final_state()["position"] == 5
    # the same order without partial fills: all five on the first qualifying trade
    s2 = Script(actions={0: buy(9999, size=5)})
    run(rows, s2)
    assert [f.size for f in s2.fills] == [5]


def test_taker_walks_levels_and_ioc_remainder_is_canceled() -> None:
    rows = book(0, bids=[(9999, 5)], asks=[(10001, 2), (10002, 3), (10003, 5)]) + [
        (400, D, 1, 9998, 4)
    ]
    walk = Script(actions={0: buy(10003, size=6, tif=TimeInForce.GTC)})
    run(rows, walk, partial_fills=True)
    assert [(f.price, f.size) for f in walk.fills] == [(10001, 2), (10002, 3), (10003, 1)]
    assert all(f.liquidity is Liquidity.TAKER for f in walk.fills)
    ioc = Script(actions={0: buy(10002, size=12, tif=TimeInForce.IOC)})
    run(rows, ioc, partial_fills=True)
    assert sum(f.size for f in ioc.fills) == 5
    assert ioc.kinds()[-1] == "OrderCanceled"
    fok = Script(actions={0: buy(10002, size=12, tif=TimeInForce.FOK)})
    run(rows, fok, partial_fills=True)
    assert fok.fills == [] and fok.kinds() == ["OrderExpired"]


def test_market_order_and_reduce_only() -> None:
    rows = BASE + [(400, D, 1, 9998, 4)]
    s = Script()
    s.actions = {
        0: lambda ctx: ctx.submit(
            Side.SELL, None, 1, order_type=OrderType.MARKET, reduce_only=True
        ),
        1: lambda ctx: ctx.submit(Side.BUY, None, 2, order_type=OrderType.MARKET),
        2: lambda ctx: ctx.submit(
            Side.SELL, None, 5, order_type=OrderType.MARKET, reduce_only=True
        ),
    }
    r = run(rows, s, venue=venue_profile("hyperliquid"))
    assert s.kinds()[0] == "OrderRejected"
    assert s.orders[0].reason == "Reduce only order would increase position."  # type: ignore[attr-defined]
    # the buy fills at the ask, the reduce-only sell is cut to the position
    assert [(f.side, f.price, f.size) for f in s.fills] == [
        (Side.BUY, 10001, 2),
        (Side.SELL, 9999, 2),
    ]
    assert r.final_state()["position"] == 0


def test_margin_check_rejects_with_the_venue_reason() -> None:
    rows = BASE + [(400, D, 1, 9998, 4)]
    s = Script(actions={0: buy(9990, size=1), 1: buy(9990, size=10)})
    run(rows, s, venue=venue_profile("hyperliquid"), initial_balance=500.0, leverage=1.0)
    assert s.kinds() == ["OrderAccepted", "OrderRejected"]
    assert s.orders[1].reason == "Insufficient margin to place order."  # type: ignore[attr-defined]


def test_probabilistic_queue_moves_us_forward_on_cancels() -> None:
    rows = BASE + [
        (150, D, 1, 9999, 1),  # 4 lots cancelled from a level of 5 with us at the back
        (160, T, -1, 9999, 2),
        (400, D, 1, 9998, 4),
    ]
    averse = Script(actions={0: buy(9999)})
    run(rows, averse)  # front = min(5, 1) = 1: the 2-lot trade fills us
    assert len(averse.fills) == 1
    prob = Script(actions={0: buy(9999)})
    run(rows, prob, queue=QueueModel("power", 3.0))
    assert len(prob.fills) == 1


class _Wake(Script):
    """Records its book and trade wake-ups."""

    def on_book(self, ctx: Context) -> None:
        self.seen.append((ctx.now_ns, ctx.best_bid(), ctx.best_ask(), ctx.position()))

    def on_trade(self, ctx: Context, trade: Trade) -> None:
        self.trades.append((trade.price, trade.size, trade.aggressor))


def test_wakeups_on_top_of_book_changes_and_on_trades() -> None:
    rows = BASE + [
        (150, D, 1, 9997, 9),  # deeper level: the top did not change
        (160, D, 1, 9999, 7),  # best bid size changed
        (170, D, -1, 10000, 2),  # best ask improved
        (170, D, -1, 10002, 1),  # same message, deeper level
        (180, T, 1, 10000, 2),
        (180, D, -1, 10000, 0),
    ]
    s = _Wake()
    s.trades = []
    s.wakeup = Wakeup(on_book=True, on_trade=True)
    run_backtest([market(rows)], [s], config())
    # the snapshot, 160 ms, 170 ms (one wake for the whole message), 180 ms; the local view
    # is one millisecond behind the exchange
    assert [(ts - T0) // MS for ts, *_ in s.seen] == [1, 161, 171, 181]
    assert s.seen[2][1:3] == (9999, 10000)
    assert s.trades == [(10000, 2, Side.BUY)]
