"""The order state machine: legal paths, refused transitions, partial and late fills."""

from __future__ import annotations

from decimal import Decimal

import pytest

from falconet.core.enums import OrderType, Side
from falconet.core.errors import InvalidTransitionError, PrecisionError
from falconet.core.events import (
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.orders import Action, Order, OrderStatus, can_apply

S = OrderStatus
IID = "BTC@hyperliquid"


def order(qty: int = 10, **kw: object) -> Order:
    return Order(client_id="c1", instrument_id=IID, side=Side.BUY, quantity=qty, price=100, **kw)  # type: ignore[arg-type]


def ev(cls: type, **kw: object):  # type: ignore[no-untyped-def]
    return cls(ts_exchange=1, ts_local=2, instrument_id=IID, client_id="c1", **kw)


def fill(size: int, trade_id: str, price: int = 100, side: Side = Side.BUY) -> Fill:
    return ev(Fill, trade_id=trade_id, side=side, price=price, size=size)  # type: ignore[no-any-return]


def test_happy_path_with_partial_fills_and_average_price() -> None:
    o = order()
    assert o.status is S.PENDING_NEW
    o.apply(ev(OrderAccepted, venue_order_id="777"))
    assert o.status is S.OPEN and o.venue_order_id == "777"
    o.apply(fill(4, "t1", price=100))
    assert o.status is S.PARTIALLY_FILLED and o.remaining == 6
    o.apply(
        Fill(
            **{
                **_fill_kw(),
                "trade_id": "t2",
                "size": 6,
                "price": 105,
                "fee": Decimal("0.3"),
                "fee_currency": "USDC",
            }
        )
    )
    assert o.status is S.FILLED and o.remaining == 0
    assert o.avg_price() == Decimal(100 * 4 + 105 * 6) / 10
    assert o.fees == {"USDC": Decimal("0.3")}


def _fill_kw() -> dict[str, object]:
    return {
        "ts_exchange": 1,
        "ts_local": 2,
        "instrument_id": IID,
        "client_id": "c1",
        "side": Side.BUY,
    }


def test_duplicate_fill_is_counted_once() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    assert o.apply(fill(3, "t1")) is True
    assert o.apply(fill(3, "t1")) is False
    assert o.filled == 3


def test_overfill_and_wrong_side_are_refused() -> None:
    o = order(qty=5)
    o.apply(ev(OrderAccepted))
    with pytest.raises(InvalidTransitionError, match="overfill"):
        o.apply(fill(6, "t1"))
    with pytest.raises(InvalidTransitionError, match="sell fill on a buy order"):
        o.apply(fill(1, "t2", side=Side.SELL))


def test_cancel_round_trip_and_cancel_reject_restores_state() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.apply(fill(2, "t1"))
    o.request_cancel(ts=5)
    assert o.status is S.PENDING_CANCEL
    o.apply(ev(OrderCancelRejected, reason="too late"))
    assert o.status is S.PARTIALLY_FILLED
    o.request_cancel(ts=6)
    o.apply(ev(OrderCanceled))
    assert o.status is S.CANCELED and o.status.is_terminal


def test_fill_while_cancel_pending_keeps_pending_then_can_complete() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.request_cancel(ts=5)
    o.apply(fill(4, "t1"))
    assert o.status is S.PENDING_CANCEL and o.filled == 4
    o.apply(ev(OrderCancelRejected, reason="filled"))
    assert o.status is S.PARTIALLY_FILLED
    o.request_cancel(ts=6)
    o.apply(fill(6, "t2"))
    assert o.status is S.FILLED


def test_late_fill_after_cancel_ack_is_counted_and_stays_terminal() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.request_cancel(ts=5)
    o.apply(ev(OrderCanceled))
    o.apply(fill(3, "t1"))  # the fill happened at the venue before the cancel
    assert o.status is S.CANCELED and o.filled == 3


def test_ack_can_trail_fills_and_a_cancel_request_but_only_once() -> None:
    o = order()
    o.apply(fill(10, "t1"))  # an IOC filled before its acknowledgement arrived
    assert o.status is S.FILLED
    o.apply(ev(OrderAccepted))
    assert o.status is S.FILLED
    with pytest.raises(InvalidTransitionError, match="accepted twice"):
        o.apply(ev(OrderAccepted))

    o2 = order()
    o2.request_cancel(ts=1)  # cancel sent before the ack
    o2.apply(ev(OrderAccepted))
    assert o2.status is S.PENDING_CANCEL
    o2.apply(ev(OrderCancelRejected, reason="unknown order"))
    assert o2.status is S.OPEN


def test_amend_updates_price_size_and_cancel_replace_ids() -> None:
    o = order()
    o.apply(ev(OrderAccepted, venue_order_id="1"))
    o.request_amend(price=101, quantity=12, ts=3)
    assert o.status is S.PENDING_AMEND
    o.apply(ev(OrderAmended, price=101, quantity=12, venue_order_id="2", new_client_id="c2"))
    assert (o.status, o.price, o.quantity, o.venue_order_id, o.client_id) == (
        S.OPEN,
        101,
        12,
        "2",
        "c2",
    )
    o.request_amend(price=99, quantity=12, ts=4)
    o.apply(ev(OrderAmendRejected, reason="would cross"))
    assert o.status is S.OPEN and o.price == 101


def test_amend_answer_behind_a_cancel_updates_the_order_and_keeps_the_cancel_pending() -> None:
    o = order()
    o.apply(ev(OrderAccepted, venue_order_id="1"))
    o.request_amend(price=101, quantity=10, ts=3)
    o.request_cancel(ts=4)  # sent while the amend was still in flight
    o.apply(ev(OrderAmended, price=101, quantity=10))
    assert (o.status, o.price) == (S.PENDING_CANCEL, 101)
    o.apply(ev(OrderCanceled))
    assert o.status is S.CANCELED
    p = order()
    p.apply(ev(OrderAccepted))
    p.request_amend(price=99, quantity=10, ts=3)
    p.request_cancel(ts=4)
    p.apply(ev(OrderAmendRejected, reason="would cross"))
    assert (p.status, p.price) == (S.PENDING_CANCEL, 100)
    p.apply(ev(OrderCancelRejected, reason="too late"))
    assert p.status is S.OPEN


def test_a_cancel_rejected_while_an_amend_is_out_goes_back_to_waiting_for_the_amend() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.request_amend(price=101, quantity=10, ts=2)
    o.request_cancel(ts=3)
    o.apply(ev(OrderCancelRejected, reason="busy"))
    assert o.status is S.PENDING_AMEND
    o.apply(ev(OrderAmended, price=101, quantity=10))
    assert (o.status, o.price) == (S.OPEN, 101)


def test_fills_up_to_an_amend_that_raised_the_size_do_not_end_the_order() -> None:
    o = order(qty=10)
    o.apply(ev(OrderAccepted))
    o.request_amend(price=100, quantity=20, ts=2)
    o.apply(fill(10, "t1"))  # the venue had the 20 already
    assert o.status is S.PENDING_AMEND
    o.apply(ev(OrderAmended, price=100, quantity=20))
    assert (o.status, o.remaining) == (S.PARTIALLY_FILLED, 10)
    p = order(qty=10)
    p.apply(ev(OrderAccepted))
    p.request_amend(price=100, quantity=20, ts=2)
    p.apply(fill(10, "t1"))
    p.apply(ev(OrderAmendRejected, reason="no"))  # it stayed at 10: done
    assert p.status is S.FILLED


def test_a_cancel_answer_after_a_reject_is_a_no_op() -> None:
    o = order()
    o.request_cancel(ts=1)
    o.apply(ev(OrderRejected, reason="post-only"))
    o.apply(ev(OrderCancelRejected, reason="unknown order"))
    assert o.status is S.REJECTED


def test_amend_cannot_shrink_below_filled() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.apply(fill(5, "t1"))
    with pytest.raises(InvalidTransitionError, match="not above the filled"):
        o.request_amend(price=100, quantity=5, ts=3)


@pytest.mark.parametrize(
    ("setup", "event", "message"),
    [
        ([OrderRejected], OrderAccepted, "cannot accept in state rejected"),
        ([OrderAccepted, OrderCanceled], OrderCanceled, "cannot cancel in state canceled"),
        ([OrderAccepted], OrderRejected, "cannot reject in state open"),
        ([OrderAccepted], OrderAmended, "cannot amend in state open"),
        ([OrderAccepted, OrderExpired], OrderExpired, "cannot expire in state expired"),
        ([OrderAccepted], OrderCancelRejected, "cannot cancel_reject in state open"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    setup: list[type], event: type, message: str
) -> None:
    o = order()
    extra = {
        OrderRejected: {"reason": "x"},
        OrderAmended: {"price": 1, "quantity": 10},
        OrderCancelRejected: {"reason": "x"},
    }
    for cls in setup:
        o.apply(ev(cls, **extra.get(cls, {})))
    with pytest.raises(InvalidTransitionError, match=message) as err:
        o.apply(ev(event, **extra.get(event, {})))
    assert "order c1" in str(err.value)


def test_requests_on_terminal_orders_are_refused() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.apply(fill(10, "t1"))
    with pytest.raises(InvalidTransitionError, match="cannot request_cancel in state filled"):
        o.request_cancel(ts=1)
    with pytest.raises(InvalidTransitionError):
        o.request_amend(price=1, quantity=20, ts=1)


def test_terminal_states_accept_nothing_but_late_fills_acks_and_too_late_answers() -> None:
    for status in (S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED):
        for action in Action:
            allowed = can_apply(status, action)
            if action is Action.FILL:
                assert allowed == (status in (S.CANCELED, S.EXPIRED))
            elif action is Action.ACCEPT:
                assert allowed == (status is not S.REJECTED)
            elif action in (Action.CANCEL_REJECT, Action.AMEND_REJECT):
                assert allowed  # "too late" answers: no-ops
            else:
                assert not allowed, (status, action)


def test_a_cancel_or_amend_answered_too_late_leaves_the_filled_order_filled() -> None:
    o = order()
    o.apply(ev(OrderAccepted))
    o.request_amend(price=101, quantity=10, ts=2)
    o.apply(fill(10, "t1"))  # filled while the amend was on its way
    assert o.status is S.FILLED
    o.apply(ev(OrderAmendRejected, reason="order not found"))
    o.apply(ev(OrderCancelRejected, reason="too late to cancel"))
    assert (o.status, o.price) == (S.FILLED, 100)


def test_order_validation() -> None:
    with pytest.raises(PrecisionError, match="quantity must be > 0"):
        order(qty=0)
    with pytest.raises(PrecisionError, match="needs a price"):
        Order(client_id="c", instrument_id=IID, side=Side.SELL, quantity=1, price=None)
    with pytest.raises(PrecisionError, match="needs a trigger"):
        Order(
            client_id="c",
            instrument_id=IID,
            side=Side.SELL,
            quantity=1,
            price=None,
            order_type=OrderType.STOP_MARKET,
        )
    Order(client_id="c", instrument_id=IID, side=Side.SELL, quantity=1, order_type=OrderType.MARKET)


def test_order_knows_its_purpose_from_its_client_id() -> None:
    tag = OrderTag(StrategyCode.GRID, Intent.GRID_SELL, seq=9, level=2)
    o = Order(
        client_id=tag.encode(IdFormat.HEX128),
        instrument_id=IID,
        side=Side.SELL,
        quantity=1,
        price=5,
    )
    assert o.tag == tag
    assert order().tag is None
