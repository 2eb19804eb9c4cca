"""`OpenOrder` carries when an order was sent, acknowledged and last changed, in the live
context (the OMS's record) and in a backtest (the simulator's local view)."""

from __future__ import annotations

from falconet.backtest.runner import run_backtest
from falconet.core.clock import SimClock
from falconet.core.enums import Side
from falconet.core.events import Fill, OrderAccepted
from falconet.core.ids import ClientIdFactory, StrategyCode
from falconet.engine.context import LiveContext
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.strategies.api import Context, OpenOrder
from tests.backtest.helpers import BOOKS, MS, Script, config, market, rest
from tests.engine.fakes import BTC, FakeVenue, base


async def test_live_order_times_follow_the_venue_answers() -> None:
    clock = SimClock(1_000)
    oms = OrderManager(FakeVenue(), ClientIdFactory(1_700_000_000_000))
    owner = Owner("MM:BTC/USD:paper", StrategyCode.MM, BTC, lambda e: None)
    ctx = LiveContext(owner, oms, MarketState(BTC), Account(), clock, None, lambda: None)
    cid = ctx.submit(Side.BUY, 600000, 10)
    [sent] = ctx.open_orders()
    assert (sent.created_ns, sent.acknowledged_ns, sent.updated_ns) == (1_000, 0, 1_000)
    oms.on_event(OrderAccepted(**{**base(cid, vid="v1"), "ts_local": 2_000}))
    fill = Fill(**{**base(cid, vid="v1"), "ts_local": 3_000}, trade_id="t", side=Side.BUY,
                price=600000, size=4)  # fmt: skip
    oms.on_event(fill)
    [live] = ctx.open_orders()
    assert (live.created_ns, live.acknowledged_ns, live.updated_ns) == (1_000, 2_000, 3_000)
    assert ctx.order(cid) == live


def test_backtest_order_times_are_the_simulated_local_times() -> None:
    seen: list[OpenOrder] = []

    def look(ctx: Context, ids: dict[str, str]) -> None:
        seen.extend(ctx.open_orders())
        order = ctx.order(ids["bid"])
        assert order is not None and order.client_id == ids["bid"]

    strategy = Script({2: rest("bid", Side.BUY, 9000), 5: look})
    run_backtest([market(BOOKS)], [strategy], config())
    [bid] = seen
    # sent at the 3rd timer tick; accepted after 10 ms out and 10 ms back
    assert bid.acknowledged_ns - bid.created_ns == 20 * MS
    assert bid.updated_ns == bid.acknowledged_ns
