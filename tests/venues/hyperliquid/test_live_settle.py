"""The adapter against the fake venue, the hard cases: requests that go unanswered
(settled later, never signed twice), amends racing fills and cancels, recovery steps
that fail, the fill watermark, and the flip guard inside `place()`."""

from __future__ import annotations

import asyncio
from typing import TypeVar

import pytest

from falconet.core.enums import Side
from falconet.core.events import (
    Event,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCanceled,
    OrderRejected,
    PositionUpdate,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.engine.venue import AmendRequest, OrderRequest
from falconet.venues.hyperliquid import HyperliquidVenue, recovery, trading
from tests.venues.hyperliquid.conftest import MakeVenue
from tests.venues.hyperliquid.fake_venue import FakeHyperliquid, until

E = TypeVar("E", bound=Event)


def cid(seq: int) -> str:
    return OrderTag(StrategyCode.GRID, Intent.GRID_BUY, seq).encode(IdFormat.HEX128)


def of(events: list[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def order(
    venue: HyperliquidVenue,
    seq: int,
    *,
    side: Side = Side.BUY,
    size: str = "0.001",
    price: str = "100",
    reduce_only: bool = False,
) -> OrderRequest:
    inst = venue.instrument("BTC")
    return OrderRequest(
        cid(seq), inst, side, inst.size(size), inst.price(price), reduce_only=reduce_only
    )


def update(oid: int, cloid: str, status: str, px: str = "100") -> dict[str, object]:
    body = {
        "coin": "BTC",
        "side": "B",
        "limitPx": px,
        "sz": "0.001",
        "oid": oid,
        "timestamp": 1,
        "origSz": "0.001",
        "cloid": cloid,
    }
    return {"order": body, "status": status, "statusTimestamp": 3}


def position_queries(fake: FakeHyperliquid) -> int:
    return sum(1 for c in fake.info_calls if c["type"] == "clearinghouseState")


@pytest.fixture
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trading, "SETTLE_FIRST_S", 0.05, raising=False)
    monkeypatch.setattr(trading, "SETTLE_MAX_S", 0.1, raising=False)
    monkeypatch.setattr(recovery, "RECOVER_BACKOFF_S", 0.05, raising=False)


# --- 1. a timeout is not a rejection ----------------------------------------------------------


async def test_unanswered_order_whose_check_times_out_is_settled_accepted(
    fake: FakeHyperliquid, make_venue: MakeVenue, quick_settle: None
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1  # acted on, never answered
    fake.knobs.stall = {"orderStatus": 1}  # and the check times out too
    fake.knobs.stall_s = 0.6
    await venue.place(order(venue, 1))
    assert not of(events, OrderRejected) and not of(events, OrderAccepted)
    await until(lambda: bool(of(events, OrderAccepted)))
    (accepted,) = of(events, OrderAccepted)
    assert accepted.client_id == cid(1) and accepted.venue_order_id == "1000"
    assert len(fake.actions("order")) == 1
    assert not of(events, OrderRejected)


async def test_unanswered_order_is_accepted_by_a_later_open_update(
    fake: FakeHyperliquid, make_venue: MakeVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trading, "SETTLE_FIRST_S", 60.0, raising=False)
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1
    fake.knobs.stall = {"orderStatus": 1}
    fake.knobs.stall_s = 0.6
    await venue.place(order(venue, 2))
    await fake.push("orderUpdates", [update(1000, cid(2), "open")])
    await until(lambda: bool(of(events, OrderAccepted)))
    assert of(events, OrderAccepted)[0].venue_order_id == "1000"
    assert not of(events, OrderRejected)


async def test_unanswered_order_whose_resend_times_out_is_settled_never_placed(
    fake: FakeHyperliquid, make_venue: MakeVenue, quick_settle: None
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1
    fake.knobs.apply_silent = False  # lost on the way
    fake.knobs.stall = {"exchange": 1}  # and the REST copy is lost too
    fake.knobs.stall_s = 0.6
    await venue.place(order(venue, 3))
    assert not of(events, OrderRejected)
    await until(lambda: bool(of(events, OrderRejected)))
    (rejected,) = of(events, OrderRejected)
    assert rejected.client_id == cid(3) and "never reached" in rejected.reason
    assert not fake.actions("order")


async def test_unanswered_order_is_settled_at_the_next_reconnect(
    fake: FakeHyperliquid, make_venue: MakeVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        trading, "SETTLE_FIRST_S", 60.0, raising=False
    )  # only the reconnect settles it
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1
    fake.knobs.stall = {"orderStatus": 1}
    fake.knobs.stall_s = 0.6
    await venue.place(order(venue, 4))
    assert not of(events, OrderAccepted)
    await fake.drop_sockets()
    await until(lambda: bool(of(events, OrderAccepted)), timeout=5)
    assert of(events, OrderAccepted)[0].venue_order_id == "1000"
    assert not of(events, OrderRejected) and not of(events, OrderCanceled)


async def test_unanswered_amend_keeps_and_settles_the_replacement(
    fake: FakeHyperliquid, make_venue: MakeVenue, quick_settle: None
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 5))
    fake.knobs.silent_posts = 1  # the modify is acted on, never answered
    fake.knobs.stall = {"orderStatus": 1}
    fake.knobs.stall_s = 0.6
    request = AmendRequest(cid(5), inst, "1000", inst.price("99"), inst.size("0.001"), cid(6))
    await venue.amend(request)  # does not raise
    assert not of(events, OrderAmendRejected)
    await until(lambda: bool(of(events, OrderAmended)))
    (amended,) = of(events, OrderAmended)
    assert amended.new_client_id == cid(6) and amended.venue_order_id == "1001"
    fill = fake.add_fill(1001, "BTC", "B", "99.0", "0.001", tid=61, time=2**42, cloid=cid(6))
    await fake.push("userFills", {"user": venue.user, "fills": [fill]})
    await until(lambda: bool(of(events, Fill)))
    assert of(events, Fill)[0].client_id == cid(6)
    assert not of(events, OrderCanceled) and not of(events, OrderAmendRejected)


# --- 2. never a second signature after an unanswered post ----------------------------------


async def test_rate_limited_resend_after_an_unanswered_post_is_not_resigned(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)

    async def fast_sleep(seconds: float) -> None:
        pass

    venue.limiter._sleep = fast_sleep
    fake.knobs.silent_posts = 1
    fake.knobs.late_apply = True  # unknown when asked, acted on just after
    fake.knobs.rest_rate_limited = 1  # the REST copy is refused for the rate limit
    await venue.place(order(venue, 10))
    assert len(fake.actions("order")) == 1  # the first post, never a second signature
    nonces = {c["nonce"] for c in fake.exchange_calls}
    assert len(nonces) == 1
    (accepted,) = of(events, OrderAccepted)
    assert accepted.venue_order_id == "1000"
    assert not of(events, OrderRejected)


# --- 3. amends ---------------------------------------------------------------------------------


async def test_fills_during_an_amend_shrink_the_replacement(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 20, size="0.002"))
    fake.knobs.fill_on_modify = "0.001"  # the old order half-fills while the modify flies
    request = AmendRequest(cid(20), inst, "1000", inst.price("99"), inst.size("0.002"), cid(21))
    await venue.amend(request)
    assert [f.size for f in of(events, Fill)] == [100]
    (live,) = fake.open_orders()
    assert live.cloid == cid(21) and live.sz == "0.001"  # 0.002 in all, 0.001 filled
    fill = fake.add_fill(live.oid, "BTC", "B", "99.0", "0.001", tid=62, time=2**42, cloid=cid(21))
    await fake.push("userFills", {"user": venue.user, "fills": [fill]})
    await until(lambda: len(of(events, Fill)) == 2)
    assert of(events, Fill)[1].client_id == cid(21)
    assert not of(events, OrderCanceled)


async def test_an_amend_overtaken_by_fills_cancels_the_replacement(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 22, size="0.002"))
    fake.knobs.fill_on_modify = "0.001"
    request = AmendRequest(cid(22), inst, "1000", inst.price("99"), inst.size("0.001"), cid(23))
    await venue.amend(request)
    assert not fake.open_orders()  # the amended total was already filled
    (canceled,) = of(events, OrderCanceled)
    assert canceled.client_id == cid(23)


async def test_a_successful_amend_forgets_the_cancel_it_caused(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 30))
    fake.knobs.cancel_update_on_modify = True  # the old order's cancel, before the answer
    await venue.amend(AmendRequest(cid(30), inst, "1000", inst.price("99"), inst.size("0.001")))
    assert len(of(events, OrderAmended)) == 1
    fake.knobs.cancel_update_on_modify = False
    fake.knobs.modify_error = "Order has invalid price."
    await venue.amend(AmendRequest(cid(30), inst, "1001", inst.price("98"), inst.size("0.001")))
    (refused,) = of(events, OrderAmendRejected)
    assert "invalid price" in refused.reason
    assert not of(events, OrderCanceled)  # the order still rests: nothing canceled it


async def test_a_late_cancel_of_the_old_oid_does_not_cancel_a_same_id_amend(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 31))
    await venue.amend(AmendRequest(cid(31), inst, "1000", inst.price("99"), inst.size("0.001")))
    (amended,) = of(events, OrderAmended)
    assert amended.venue_order_id == "1001" and amended.new_client_id is None
    await fake.push("orderUpdates", [update(1000, cid(31), "canceled")])
    await asyncio.sleep(0.05)
    assert not of(events, OrderCanceled)
    # the current oid's cancel still counts
    await fake.push("orderUpdates", [update(1001, cid(31), "canceled", px="99")])
    await until(lambda: bool(of(events, OrderCanceled)))
    assert of(events, OrderCanceled)[0].client_id == cid(31)


# --- 4. recovery steps run on their own and are retried ---------------------------------------


async def test_failed_recovery_steps_do_not_stop_the_others_and_are_retried(
    fake: FakeHyperliquid, make_venue: MakeVenue, quick_settle: None
) -> None:
    venue, events = await make_venue()
    hooks: list[str] = []

    async def hook() -> None:
        hooks.append("called")

    venue.on_reconnect.append(hook)
    await venue.place(order(venue, 40))  # oid 1000: canceled while we are away
    await venue.place(order(venue, 41))  # oid 1001: still open
    fake.orders[1000].status = "canceled"
    fake.positions["BTC"] = "0.001"
    fake.knobs.fail_info = {"frontendOpenOrders": 2, "userFillsByTime": 1}
    await fake.drop_sockets()
    # made while away, stamped before the watermark: only the catch-up can deliver it
    fake.add_fill(1001, "BTC", "B", "100.0", "0.0005", tid=44, time=fake.time_ms - 500)
    await until(lambda: bool(hooks), timeout=5)
    assert [e.client_id for e in of(events, OrderCanceled)] == [cid(40)]
    assert [f.trade_id for f in of(events, Fill)] == ["44"]
    assert [p.size for p in of(events, PositionUpdate)] == [100]  # account step ran
    assert venue.stats["recover_errors"] >= 3


# --- 5. the fill watermark ----------------------------------------------------------------------


async def test_snapshot_fill_older_than_the_watermark_is_left_to_the_catch_up(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    fresh = fake.add_fill(7, "BTC", "B", "100.0", "0.001", tid=50, time=fake.time_ms + 1_000)
    venue, events = await make_venue()
    assert venue.ledger.watermark_ms >= fake.time_ms  # the venue's clock, not ours
    # the first snapshot's fills newer than the connect watermark are news
    assert [f.trade_id for f in of(events, Fill)] == [str(fresh["tid"])]
    hooks: list[str] = []

    async def hook() -> None:
        hooks.append("called")

    venue.on_reconnect.append(hook)
    await fake.drop_sockets()
    fake.add_fill(8, "BTC", "B", "100.0", "0.001", tid=51, time=fake.time_ms + 500)
    await until(lambda: bool(hooks), timeout=5)
    assert [f.trade_id for f in of(events, Fill)] == ["50", "51"]
    assert venue.stats["snapshot_fills_skipped"] >= 1


# --- 6. the flip guard in place() ---------------------------------------------------------------


async def test_flip_guard_refuses_an_exit_when_the_venue_is_flat(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    fake.positions["BTC"] = "0.5"
    venue, events = await make_venue()
    assert [p.size for p in of(events, PositionUpdate)] == [50_000]
    fake.positions.clear()  # closed at the venue; we have not heard yet
    await venue.place(order(venue, 60, side=Side.SELL, size="0.5"))
    (rejected,) = of(events, OrderRejected)
    assert rejected.reason.startswith("flip guard:")
    assert not fake.actions("order")
    assert of(events, PositionUpdate)[-1].size == 0  # the reconcile sweep


async def test_flip_guard_lets_a_matching_exit_through_and_refuses_a_flip(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    fake.positions["BTC"] = "0.5"
    venue, events = await make_venue()
    before = position_queries(fake)
    await venue.place(order(venue, 61, side=Side.SELL, size="0.5"))
    assert position_queries(fake) == before + 1
    assert len(of(events, OrderAccepted)) == 1
    await venue.place(order(venue, 62, side=Side.SELL, size="0.3", reduce_only=True))
    assert position_queries(fake) == before + 2
    assert len(of(events, OrderAccepted)) == 2
    await venue.place(order(venue, 63, side=Side.SELL, size="1.0"))  # would flip to short
    (rejected,) = of(events, OrderRejected)
    assert rejected.reason.startswith("flip guard:") and "flip" in rejected.reason
    assert len(fake.actions("order")) == 2


async def test_entries_are_not_checked(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    fake.positions["BTC"] = "0.5"
    venue, events = await make_venue()
    before = position_queries(fake)
    await venue.place(order(venue, 64, side=Side.BUY, size="0.001"))  # adds to the long
    await venue.place(order(venue, 65, side=Side.SELL, size="0.1"))  # reduces, no exit
    assert position_queries(fake) == before
    assert len(of(events, OrderAccepted)) == 2


@pytest.mark.parametrize("resend", ["times out", "refused for its nonce"])
async def test_unanswered_same_id_amend_is_settled_by_the_old_oid(
    fake: FakeHyperliquid, make_venue: MakeVenue, quick_settle: None, resend: str
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    inst = venue.instrument("BTC")
    await venue.place(order(venue, 7))
    fake.knobs.silent_posts = 1  # the modify is acted on, never answered
    if resend == "times out":
        fake.knobs.stall = {"exchange": 1}
        fake.knobs.stall_s = 0.6
    await venue.amend(AmendRequest(cid(7), inst, "1000", inst.price("99"), inst.size("0.001")))
    assert not of(events, OrderAmendRejected)
    await until(lambda: bool(of(events, OrderAmended)))
    (amended,) = of(events, OrderAmended)
    assert amended.venue_order_id == "1001" and amended.new_client_id is None
    await fake.push("orderUpdates", [update(1000, cid(7), "canceled")])  # late, old oid
    await asyncio.sleep(0.05)
    assert not of(events, OrderCanceled) and not of(events, OrderAmendRejected)
