"""The order manager: what it refuses before the venue sees it, what it suppresses, and
how it keeps one truth per order when the venue's answers arrive late, twice or out of
order."""

from __future__ import annotations

import asyncio

from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.events import (
    Event,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderCancelRejected,
    OrderRejected,
)
from falconet.core.ids import ClientIdFactory, Intent, StrategyCode
from falconet.core.orders import OrderStatus
from falconet.engine.oms import FillGate, OrderManager, Owner
from falconet.engine.venue import OrderReport, VenueCapabilities
from tests.engine.fakes import BTC, FakeVenue, base


def setup(*, keeps_id: bool = True, one_inflight: bool = True):  # type: ignore[no-untyped-def]
    venue = FakeVenue(capabilities=VenueCapabilities(keeps_id, True))
    oms = OrderManager(venue, ClientIdFactory(1_700_000_000_000))
    got: list[Event] = []
    owner = Owner("Grid:BTC/USD:paper", StrategyCode.GRID, BTC, got.append, one_inflight)
    return venue, oms, owner, got


def submit(
    oms: OrderManager,
    owner: Owner,
    side: Side = Side.BUY,
    price: int | None = 600000,
    size: int = 10,
    **kw,
) -> str:  # type: ignore[no-untyped-def]
    args = {
        "tif": TimeInForce.POST_ONLY,
        "order_type": OrderType.LIMIT,
        "reduce_only": False,
        "intent": Intent.GRID_BUY,
        "level": 0,
        "ts": 1,
    }
    return oms.submit(owner, side, price, size, **{**args, **kw})


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_invalid_requests_are_refused_locally_with_the_rule_named() -> None:
    venue, oms, owner, got = setup()
    submit(oms, owner, price=600001)  # off the 0.5 tick (price units of 0.1)
    submit(oms, owner, size=0)
    submit(oms, owner, price=None)
    await settle()
    reasons = [e.reason for e in got if isinstance(e, OrderRejected)]
    assert len(reasons) == 3 and venue.placed == []
    assert "breaks the price rule" in reasons[0]
    assert "not a positive multiple of the lot" in reasons[1]
    assert "needs a price" in reasons[2]
    assert oms.stats.rejected_locally == 3


async def test_a_second_placement_on_a_side_in_flight_is_suppressed() -> None:
    venue, oms, owner, got = setup()
    first = submit(oms, owner)
    submit(oms, owner)  # same side, the first not yet acknowledged
    submit(oms, owner, side=Side.SELL)  # the other side is fine
    await settle()
    assert [r.side for r in venue.placed] == [Side.BUY, Side.SELL]
    assert "already in flight" in next(e for e in got if isinstance(e, OrderRejected)).reason
    oms.on_event(OrderAccepted(**base(first, vid="v1")))
    submit(oms, owner)  # acknowledged: a new one may go
    await settle()
    assert len(venue.placed) == 3
    assert oms.stats.duplicates_suppressed == 1


async def test_no_op_amend_is_not_sent_and_says_so() -> None:
    venue, oms, owner, got = setup()
    cid = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.amend(owner, cid, 600000, 10, 2)
    oms.amend(owner, cid, 600001, 10, 2)  # rounds to the same tick: still no change
    await settle()
    assert venue.amends == []
    skipped = [e for e in got if isinstance(e, OrderAmendSkipped)]
    assert len(skipped) == 2 and oms.stats.amends_skipped == 2
    oms.amend(owner, cid, 600005, 10, 3)
    await settle()
    assert [a.price for a in venue.amends] == [600005]


async def test_an_amend_that_changes_only_the_size_is_sent() -> None:
    venue, oms, owner, got = setup()
    cid = submit(oms, owner, size=10)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.amend(owner, cid, 600000, 20, 2)  # same price, twice the size
    await settle()
    assert [(a.price, a.quantity) for a in venue.amends] == [(600000, 20)]
    oms.on_event(OrderAmended(**base(cid, vid="v1"), price=600000, quantity=20))
    oms.amend(owner, cid, None, 15, 3)  # no price: keep it, change the size
    await settle()
    assert [(a.price, a.quantity) for a in venue.amends] == [(600000, 20), (None, 15)]
    assert not any(isinstance(e, OrderAmendSkipped) for e in got)
    assert oms.stats.amends_skipped == 0
    assert oms.orders[cid].order.status is OrderStatus.PENDING_AMEND


async def test_cancel_replace_amend_gets_a_new_id_and_the_old_ids_late_cancel_is_absorbed() -> None:
    venue, oms, owner, got = setup(keeps_id=False)
    old = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(old, vid="v1")))
    oms.amend(owner, old, 600010, 10, 2)
    await settle()
    [req] = venue.amends
    assert req.new_client_id and req.new_client_id != old
    new = req.new_client_id
    oms.on_event(OrderAmended(**base(old, vid="v2"), price=600010, quantity=10, new_client_id=new))
    oms.on_event(OrderCanceled(**base(old, vid="v1")))  # the venue's cancel of the old half
    assert oms.stats.late_cancels_ignored == 1
    assert not any(isinstance(e, OrderCanceled) for e in got)
    [m] = oms.open_orders(owner)
    assert (m.order.client_id, m.order.price, m.order.status) == (new, 600010, OrderStatus.OPEN)
    oms.on_event(Fill(**base(new, vid="v2"), trade_id="t1", side=Side.BUY, price=600010, size=10))
    assert isinstance(got[-1], Fill) and oms.open_orders(owner) == []


async def test_a_replacement_filling_before_its_amend_is_answered_keeps_its_fill() -> None:
    venue, oms, owner, got = setup(keeps_id=False)
    old = submit(oms, owner, size=10)
    oms.on_event(OrderAccepted(**base(old, vid="v1")))
    oms.amend(owner, old, 600010, 10, 2)
    await settle()
    new = venue.amends[0].new_client_id
    assert new is not None
    # the venue's fill stream is faster than its answer to the amend
    oms.on_event(Fill(**base(new, vid="v2"), trade_id="t1", side=Side.BUY, price=600010, size=4))
    assert oms.stats.unknown_events == 0
    assert [e.trade_id for e in got if isinstance(e, Fill)] == ["t1"]
    oms.on_event(OrderAmended(**base(old, vid="v2"), price=600010, quantity=10, new_client_id=new))
    [m] = oms.open_orders(owner)
    assert (m.order.client_id, m.order.filled) == (new, 4)
    assert oms.by_venue_id["v2"] == new and not oms.replacing
    oms.on_event(Fill(**base(new, vid="v2"), trade_id="t2", side=Side.BUY, price=600010, size=6))
    assert oms.open_orders(owner) == [] and oms.stats.unknown_events == 0


async def test_fills_are_counted_once_by_order_and_trade_id() -> None:
    seen_in_journal = {("v1", "t0")}
    _venue, oms, owner, got = setup()
    oms.fills = FillGate(seen=lambda f: (f.venue_order_id, f.trade_id) in seen_in_journal)
    cid = submit(oms, owner, size=30)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    fill = Fill(**base(cid, vid="v1"), trade_id="t1", side=Side.BUY, price=600000, size=10)
    oms.on_event(fill)
    oms.on_event(fill)
    oms.on_event(Fill(**base(cid, vid="v1"), trade_id="t0", side=Side.BUY, price=600000, size=10))
    fills = [e for e in got if isinstance(e, Fill)]
    assert [f.trade_id for f in fills] == ["t1"]
    assert oms.stats.duplicate_fills == 2
    assert oms.orders[cid].order.filled == 10


async def test_a_fill_beyond_the_quantity_is_counted_invalid_and_still_reaches_the_owner() -> None:
    _venue, oms, owner, got = setup()
    observed: list[Event] = []
    oms.observers.append(lambda m, event: observed.append(event))  # the journal
    cid = submit(oms, owner, size=10)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.on_event(Fill(**base(cid, vid="v1"), trade_id="t1", side=Side.BUY, price=600000, size=6))
    assert oms.stats.invalid_events == 0
    over = Fill(**base(cid, vid="v1"), trade_id="t2", side=Side.BUY, price=600000, size=6)
    oms.on_event(over)  # 12 of 10: our record is behind the venue's; its word stands
    assert oms.stats.invalid_events == 1
    assert [e.trade_id for e in got if isinstance(e, Fill)] == ["t1", "t2"]
    assert [e.trade_id for e in observed if isinstance(e, Fill)] == ["t1", "t2"]
    assert oms.stats.fills == 2 and oms.stats.duplicate_fills == 0
    oms.on_event(over)  # and a repeat of it is still a duplicate, not a third fill
    assert [e.trade_id for e in got if isinstance(e, Fill)] == ["t1", "t2"]
    assert oms.stats.duplicate_fills == 1


async def test_a_fill_before_the_acknowledgement_leaves_an_order_that_can_be_amended() -> None:
    venue, oms, owner, got = setup()
    cid = submit(oms, owner, size=10)
    oms.on_event(Fill(**base(cid, vid="v1"), trade_id="t1", side=Side.BUY, price=600000, size=4))
    assert oms.orders[cid].order.status is OrderStatus.PARTIALLY_FILLED
    assert oms.stats.invalid_events == 0
    oms.amend(owner, cid, 600010, 10, 2)
    await settle()
    assert [(a.client_id, a.price, a.quantity) for a in venue.amends] == [(cid, 600010, 10)]
    assert not any(isinstance(e, OrderAmendRejected) for e in got)
    assert oms.orders[cid].order.status is OrderStatus.PENDING_AMEND
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))  # the trailing acknowledgement
    oms.on_event(OrderAmended(**base(cid, vid="v1"), price=600010, quantity=10))
    m = oms.orders[cid]
    assert (m.order.status, m.order.price, m.order.filled) == (
        OrderStatus.PARTIALLY_FILLED,
        600010,
        4,
    )
    assert oms.stats.invalid_events == 0


async def test_shutdown_refuses_new_orders_and_amends_but_lets_cancels_through() -> None:
    venue, oms, owner, got = setup()
    cid = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.shutting_down = True
    submit(oms, owner, side=Side.SELL)
    oms.amend(owner, cid, 600010, 10, 2)
    oms.cancel(owner, cid, 3)
    await settle()
    assert len(venue.placed) == 1 and venue.amends == []
    assert [c.client_id for c in venue.cancels] == [cid]
    assert "shutting down" in next(e for e in got if isinstance(e, OrderRejected)).reason
    assert "shutting down" in next(e for e in got if isinstance(e, OrderAmendRejected)).reason


async def test_a_request_the_client_fails_to_send_comes_back_as_a_refusal() -> None:
    venue, oms, owner, got = setup()
    venue.fail_next = ConnectionError("socket closed")
    cid = submit(oms, owner)
    await oms.drain()
    [rej] = [e for e in got if isinstance(e, OrderRejected)]
    assert rej.client_id == cid and "send failed: socket closed" in rej.reason
    assert oms.orders[cid].order.status is OrderStatus.REJECTED
    oms.cancel(owner, "unknown", 1)
    await settle()
    assert isinstance(got[-1], OrderCancelRejected)


async def test_events_for_unknown_orders_and_illegal_transitions_are_counted_not_fatal() -> None:
    _venue, oms, owner, got = setup()
    oms.on_event(OrderAccepted(**base("someone-else")))
    cid = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))  # twice: logged, ignored
    assert oms.stats.unknown_events == 1 and oms.stats.invalid_events == 1
    assert sum(isinstance(e, OrderAccepted) for e in got) == 1


async def test_adopted_orders_are_the_owners_and_events_reach_it_by_venue_id() -> None:
    _venue, oms, owner, got = setup()
    tag = oms.ids.next(StrategyCode.GRID, Intent.GRID_SELL, 2)
    cid = tag.encode(oms.fmt)
    report = OrderReport(cid, "v9", BTC.id, Side.SELL, 610000, 10, 4)
    order = oms.adopt(report, owner, 5)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.acknowledged
    [m] = oms.open_orders(owner)
    assert m.tag is not None and m.tag.intent is Intent.GRID_SELL and m.tag.level == 2
    oms.on_event(Fill(**base("", vid="v9"), trade_id="t5", side=Side.SELL, price=610000, size=6))
    assert isinstance(got[-1], Fill) and got[-1].client_id == ""
    assert oms.orders[cid].order.status is OrderStatus.FILLED


async def test_closed_orders_are_forgotten_beyond_a_bound() -> None:
    _venue, oms, owner, _got = setup(one_inflight=False)
    for _ in range(50):
        cid = submit(oms, owner)
        oms.on_event(OrderCanceled(**base(cid)))
    oms.forget_closed(keep=10)
    assert len(oms.orders) == 10


async def test_a_failing_observer_is_logged_and_the_owner_still_gets_the_fill() -> None:
    _venue, oms, owner, got = setup()

    def broken_journal(m: object, event: object) -> None:
        raise OSError("disk full")

    oms.observers.append(broken_journal)
    cid = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(cid, vid="v1")))
    oms.on_event(Fill(**base(cid, vid="v1"), trade_id="t1", side=Side.BUY, price=600000, size=10))
    assert isinstance(got[-1], Fill)
    assert oms.stats.observer_errors == 2


async def test_a_cancel_sent_during_a_cancel_replace_amend_follows_the_replacement() -> None:
    venue, oms, owner, _got = setup(keeps_id=False)
    old = submit(oms, owner)
    oms.on_event(OrderAccepted(**base(old, vid="v1")))
    oms.amend(owner, old, 600010, 10, 2)
    oms.cancel(owner, old, 3)  # before the amend's answer
    await settle()
    new = venue.amends[0].new_client_id
    assert new is not None
    oms.on_event(OrderAmended(**base(old, vid="v2"), price=600010, quantity=10, new_client_id=new))
    oms.on_event(OrderCanceled(**base(old, vid="v1")))  # the old half
    await settle()
    assert [c.client_id for c in venue.cancels] == [old, new]  # the replacement is canceled too
    assert venue.cancels[1].venue_order_id == "v2"
    oms.on_event(OrderCanceled(**base(new, vid="v2")))
    assert oms.open_orders(owner) == []


class Budget:
    """A venue's request budget as an adapter describes it: `left` requests."""

    def __init__(self, left: int) -> None:
        self.left = left
        self.charged: list[bool] = []

    def try_spend(self, n: int = 1) -> str | None:
        if self.left < n:
            return "over the venue's budget"
        self.left -= n
        return None

    def charge(self, n: int = 1, *, cancel: bool = False) -> None:
        self.left -= n
        self.charged.append(cancel)


async def test_the_venue_budget_is_spent_by_the_oms_and_refuses_strategy_orders() -> None:
    venue, oms, owner, got = setup(one_inflight=False)
    budget = Budget(left=1)
    oms.rate_budget = budget
    gate_ok = lambda: None  # noqa: E731 - a strategy's order passes the risk gate
    first = submit(oms, owner, gate=gate_ok)
    refused = submit(oms, owner, gate=gate_ok)  # the venue would refuse it: refused here
    await settle()
    assert [r.client_id for r in venue.placed] == [first]
    [rejection] = [e for e in got if isinstance(e, OrderRejected)]
    assert rejection.client_id == refused and rejection.kind.value == "rate_limit"
    assert oms.stats.venue_rate_refused == 1
    # a kill-switch close has no gate: counted, never refused; a cancel likewise
    closing = submit(oms, owner, side=Side.SELL)
    oms.on_event(OrderAccepted(**base(first, vid="v1")))
    oms.cancel(owner, first, 2)
    await settle()
    assert closing in [r.client_id for r in venue.placed] and budget.charged == [False, True]
    assert budget.left == -2
