"""The adapter against the fake venue: streams, orders over WS post and REST, the
fallback that never sends twice, reconnect recovery, fill de-duplication, back-off."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TypeVar

import pytest

from falconet.core.enums import Liquidity, OrderType, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    BalanceUpdate,
    BookSnapshot,
    Event,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderCancelRejected,
    OrderRejected,
    PositionUpdate,
    TopOfBook,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.engine.errors import InvalidRequestError
from falconet.engine.health.connection import PingableConnection
from falconet.engine.venue import AmendRequest, CancelRequest, OrderRequest, VenueClient
from falconet.venues.hyperliquid import HyperliquidSettings, HyperliquidVenue, ledger
from tests.venues.hyperliquid.conftest import MakeVenue
from tests.venues.hyperliquid.fake_venue import FakeHyperliquid, book_msg, until


def cid(seq: int) -> str:
    return OrderTag(StrategyCode.GRID, Intent.GRID_BUY, seq).encode(IdFormat.HEX128)


E = TypeVar("E", bound=Event)


def of(events: list[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def buy(venue: HyperliquidVenue, seq: int, price: str = "100", size: str = "0.001") -> OrderRequest:
    inst = venue.instrument("BTC")
    return OrderRequest(cid(seq), inst, Side.BUY, inst.size(size), inst.price(price))


async def test_connect_subscribes_account_streams_and_books(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    types = {s["type"] for s in fake.subscriptions()}
    assert {"userFills", "orderUpdates", "webData2"} <= types
    btc = venue.instrument("BTC")
    await venue.subscribe([btc])
    assert {"type": "l2Book", "coin": "BTC"} in fake.subscriptions()
    await fake.push("l2Book", book_msg("BTC", [("100.5", "0.25")], [("101", "1.5")], time=7))
    await until(lambda: bool(of(events, BookSnapshot)))
    snap = of(events, BookSnapshot)[0]
    assert isinstance(snap, BookSnapshot)
    # BTC: szDecimals 5 → price scale 6 - 5 = 1 decimal
    assert snap.bids == [(1005, 25_000)] and snap.asks == [(1010, 150_000)]
    assert snap.ts_exchange == 7_000_000 and snap.instrument_id == btc.id
    # the account state is read at connect: balances come out as events
    assert any(getattr(e, "asset", "") == "USDC" for e in events)


async def test_place_goes_over_ws_post_and_is_accepted(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    await venue.place(buy(venue, 1))
    accepted = of(events, OrderAccepted)
    assert len(accepted) == 1 and accepted[0].venue_order_id == "1000"
    assert accepted[0].client_id == cid(1)
    (action,) = fake.actions("order")
    assert action["orders"][0] == {
        "a": 0,
        "b": True,
        "p": "100",
        "s": "0.001",
        "r": False,
        "t": {"limit": {"tif": "Alo"}},
        "c": cid(1),
    }
    assert any(m.get("method") == "post" for m in fake.ws_received)
    assert venue.stats["posts"] == 1 and venue.stats["rest_fallbacks"] == 0


async def test_inner_status_error_is_a_rejection(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    fake.knobs.inner_error = "Post only order would have immediately matched"
    await venue.place(buy(venue, 2))
    (rejected,) = of(events, OrderRejected)
    assert isinstance(rejected, OrderRejected)
    assert "immediately matched" in rejected.reason
    assert not of(events, OrderAccepted)


async def test_timed_out_post_that_landed_is_not_sent_again(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1  # acted on, never answered
    await venue.place(buy(venue, 3))
    assert len(fake.actions("order")) == 1
    assert next(c for c in fake.info_calls if c["type"] == "orderStatus")["oid"] == cid(3)
    (accepted,) = of(events, OrderAccepted)
    assert accepted.venue_order_id == "1000"
    assert venue.stats["rest_fallbacks"] == 1 and venue.stats["resends_avoided"] == 1


async def test_timed_out_post_that_never_arrived_is_resent_once_over_rest(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1
    fake.knobs.apply_silent = False  # lost on the way
    await venue.place(buy(venue, 4))
    assert len(fake.actions("order")) == 1  # the REST copy
    assert len(of(events, OrderAccepted)) == 1
    # a late copy of the first post would carry the same nonce: refused, not doubled
    payload = next(m for m in fake.ws_received if m.get("method") == "post")["request"]
    assert fake.act(payload["payload"])["status"] == "err"
    assert len(fake.actions("order")) == 1


async def test_post_arriving_after_the_check_is_not_reported_rejected(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue(request_timeout_s=0.3)
    fake.knobs.silent_posts = 1
    fake.knobs.late_apply = True  # unknown when asked, acted on just after
    await venue.place(buy(venue, 40))
    assert len(fake.actions("order")) == 1  # the REST copy was refused: nonce spent
    assert not of(events, OrderRejected)
    (accepted,) = of(events, OrderAccepted)
    assert accepted.venue_order_id == "1000"
    assert venue.stats["resends_avoided"] == 1


async def test_spot_fill_refreshes_balances(
    fake: FakeHyperliquid, make_venue: MakeVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "BALANCE_REFRESH_S", 0.01)
    venue, events = await make_venue()
    before = len(of(events, BalanceUpdate))
    fake.spot_usdc = "400.0"
    fill = fake.add_fill(55, "PURR/USDC", "B", "0.1", "100", tid=31, time=2**42)
    await fake.push("userFills", {"user": venue.user, "fills": [fill]})
    await until(lambda: len(of(events, BalanceUpdate)) > before)
    assert of(events, BalanceUpdate)[-1].total == Decimal("400.0")


async def test_socket_down_sends_over_rest(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    venue, events = await make_venue(ws_post=False)
    await venue.place(buy(venue, 5))
    assert not any(m.get("method") == "post" for m in fake.ws_received)
    assert len(fake.actions("order")) == 1 and len(of(events, OrderAccepted)) == 1


async def test_amend_is_cancel_replace_with_new_ids(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(buy(venue, 6))
    request = AmendRequest(cid(6), inst, "1000", inst.price("99"), inst.size("0.002"), cid(7))
    await venue.amend(request)
    (amended,) = of(events, OrderAmended)
    assert isinstance(amended, OrderAmended)
    assert amended.client_id == cid(6) and amended.new_client_id == cid(7)
    assert amended.venue_order_id == "1001" and amended.quantity == 200
    (modify,) = fake.actions("batchModify")
    assert modify["modifies"][0]["oid"] == 1000
    assert modify["modifies"][0]["order"]["c"] == cid(7)
    assert modify["modifies"][0]["order"]["p"] == "99"
    # the venue then reports the old order canceled: the engine does not hear of it
    update = {
        "coin": "BTC",
        "side": "B",
        "limitPx": "100",
        "sz": "0.001",
        "oid": 1000,
        "timestamp": 1,
        "origSz": "0.001",
        "cloid": cid(6),
    }
    await fake.push("orderUpdates", [{"order": update, "status": "canceled", "statusTimestamp": 2}])
    await asyncio.sleep(0.05)
    assert not of(events, OrderCanceled)
    # a fill on the replacement is reported under the new client id
    fill = fake.add_fill(1001, "BTC", "B", "99.0", "0.002", tid=77, time=2**41, cloid=cid(7))
    await fake.push("userFills", {"user": venue.user, "fills": [fill]})
    await until(lambda: bool(of(events, Fill)))
    assert of(events, Fill)[0].client_id == cid(7)


async def test_cancel_then_cancel_again(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    venue, events = await make_venue()
    inst = venue.instrument("BTC")
    await venue.place(buy(venue, 8))
    await venue.cancel(CancelRequest(cid(8), inst, "1000"))
    assert len(of(events, OrderCanceled)) == 1
    await venue.cancel(CancelRequest(cid(8), inst, "1000"))
    (refused,) = of(events, OrderCancelRejected)
    assert "already canceled" in refused.reason
    assert fake.actions("cancel")[0]["cancels"] == [{"a": 0, "o": 1000}]


async def test_stream_and_answer_accept_once(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    venue, events = await make_venue()
    await venue.place(buy(venue, 9))
    update = {
        "coin": "BTC",
        "side": "B",
        "limitPx": "100",
        "sz": "0.001",
        "oid": 1000,
        "timestamp": 1,
        "origSz": "0.001",
        "cloid": cid(9),
    }
    await fake.push("orderUpdates", [{"order": update, "status": "open", "statusTimestamp": 1}])
    await asyncio.sleep(0.05)
    assert len(of(events, OrderAccepted)) == 1


async def test_duplicate_fills_are_dropped_and_liquidity_mapped(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    await venue.place(buy(venue, 10))
    fill = fake.add_fill(1000, "BTC", "B", "100.0", "0.001", tid=5, time=2**41, crossed=True)
    msg = {"user": venue.user, "fills": [fill]}
    await fake.push("userFills", msg)
    await fake.push("userFills", msg)
    await until(lambda: venue.stats["duplicate_fills"] == 1)
    (got,) = of(events, Fill)
    assert isinstance(got, Fill)
    assert (got.client_id, got.trade_id, got.price, got.size) == (cid(10), "5", 1000, 100)
    assert got.liquidity is Liquidity.TAKER and str(got.fee) == "0.01"


async def test_snapshot_replays_only_fills_newer_than_the_watermark(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    fake.add_fill(1, "BTC", "B", "100.0", "0.001", tid=1, time=1_000)  # history
    venue, events = await make_venue()
    assert not of(events, Fill)  # the subscription snapshot held only history
    old = fake.add_fill(1, "BTC", "B", "100.0", "0.001", tid=2, time=2_000)
    new = fake.add_fill(2, "BTC", "A", "100.0", "0.001", tid=3, time=2**42)
    await fake.push("userFills", {"user": venue.user, "isSnapshot": True, "fills": [old, new]})
    await until(lambda: bool(of(events, Fill)))
    await asyncio.sleep(0.05)
    assert [f.trade_id for f in of(events, Fill)] == ["3"]
    assert venue.stats["snapshot_fills_skipped"] >= 1


async def test_reconnect_resubscribes_and_reconciles(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    hooks: list[str] = []

    async def hook() -> None:
        hooks.append("called")

    venue.on_reconnect.append(hook)
    await venue.subscribe([venue.instrument("BTC")])
    await venue.place(buy(venue, 11))  # oid 1000: canceled while we are away
    await venue.place(buy(venue, 12))  # oid 1001: filled while we are away
    await venue.place(buy(venue, 13))  # oid 1002: still open
    subscribed = len(fake.subscriptions())
    fake.orders[1000].status = "canceled"
    fake.orders[1001].status = "filled"
    await fake.drop_sockets()
    fake.add_fill(1001, "BTC", "B", "100.0", "0.001", tid=9, time=2**42, cloid=cid(12))
    await until(lambda: bool(hooks), timeout=5)
    assert fake.connections == 2
    assert len(fake.subscriptions()) == 2 * subscribed  # everything subscribed again
    canceled = of(events, OrderCanceled)
    assert [e.client_id for e in canceled] == [cid(11)]
    fills = of(events, Fill)
    assert [f.client_id for f in fills] == [cid(12)]  # once, by snapshot or catch-up
    assert venue.stats["reconnects"] == 1


async def test_rate_limit_backs_off_and_retries(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, _ = await make_venue()
    slept: list[float] = []

    async def fast_sleep(seconds: float) -> None:
        slept.append(seconds)

    venue.limiter._sleep = fast_sleep
    fake.knobs.http_429 = 2
    assert await venue.open_orders() == []
    assert slept == [1.0, 2.0]  # doubling back-off
    assert venue.stats["rate_limit_waits"] >= 2 and venue.stats["rate_limit_errors"] == 2


async def test_rate_limited_action_is_waited_out_and_resigned(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    slept: list[float] = []

    async def fast_sleep(seconds: float) -> None:
        slept.append(seconds)

    venue.limiter._sleep = fast_sleep
    fake.knobs.action_rate_limited = 1  # refused inside an "err" envelope
    await venue.place(buy(venue, 41))
    assert slept == [1.0] and len(of(events, OrderAccepted)) == 1
    assert len(fake.actions("order")) == 1
    fake.knobs.post_errors = 1  # refused as a WS post error answer
    await venue.place(buy(venue, 42))
    assert len(slept) == 2 and len(of(events, OrderAccepted)) == 2
    assert venue.stats["rate_limit_errors"] == 2


async def test_an_address_budget_refusal_ends_the_order_without_retries(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    """The venue allows one request per 10 s once the address budget is spent: retrying in
    a second is refused too. The order is rejected as RATE_LIMIT at once and the budget
    learns it is spent (the engine's OMS then refuses until 10 s have passed)."""
    venue, events = await make_venue()
    slept: list[float] = []

    async def fast_sleep(seconds: float) -> None:
        slept.append(seconds)

    venue.limiter._sleep = fast_sleep
    fake.knobs.address_budget_spent = 1
    await venue.place(buy(venue, 41))
    [rejected] = of(events, OrderRejected)
    assert rejected.kind is ErrorKind.RATE_LIMIT and slept == []
    assert venue.budget.try_spend() is not None  # spent: the next one waits its 10 s


async def test_ping_and_missing_pong(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    venue, _ = await make_venue()
    assert await venue.socket.ping()
    fake.knobs.answer_pings = False
    venue.socket.ping_timeout_s = 0.1
    assert not await venue.socket.ping()


async def test_garbage_frames_are_counted_not_raised(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    await venue.subscribe([venue.instrument("BTC")])
    await fake.push_raw("{not json")
    await fake.push("l2Book", {"coin": "BTC", "levels": "nope"})
    await fake.push("l2Book", book_msg("BTC", [("1.234567", "1")], [("2", "1")]))  # too precise
    await fake.push("l2Book", book_msg("BTC", [("100", "1")], [("101", "1")]))
    await until(lambda: bool(of(events, BookSnapshot)))
    assert venue.stats["decode_errors"] == 3


async def test_the_frames_that_used_to_end_the_connection_are_counted(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue()
    await venue.subscribe([venue.instrument("BTC")])
    before = venue.stats
    await fake.push_raw('{"channel":"subscriptionResponse","data":{"subscription":"x"}}')
    for ws in list(fake.sockets):  # binary frames with invalid UTF-8: envelope, then data
        await ws.send_bytes(b'{"channel":"\xc3\x28","data":{}}')
        await ws.send_bytes(b'{"channel":"l2Book","data":{"coin":"\xff\xfe","levels":[[],[]]}}')
    await fake.push("l2Book", book_msg("BTC", [("100", "1")], [("101", "1")]))
    await until(lambda: bool(of(events, BookSnapshot)))
    assert venue.stats["decode_errors"] == before["decode_errors"] + 2
    assert venue.stats["handler_errors"] == before["handler_errors"] + 1
    assert fake.connections == 1 and venue.socket.connected
    assert venue.stats["reconnects"] == 0
    assert await venue.socket.ping()
    await venue.place(buy(venue, 51))  # posts still answered on the same socket
    assert len(of(events, OrderAccepted)) == 1 and venue.stats["posts"] == 1


async def test_positions_and_the_reconcile_sweep(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    fake.positions["BTC"] = "0.5"
    venue, events = await make_venue()
    (pos,) = of(events, PositionUpdate)
    assert isinstance(pos, PositionUpdate) and pos.size == 50_000 and pos.entry_price == 1000
    state = {"assetPositions": [], "marginSummary": {"accountValue": "1"}, "withdrawable": "1"}
    await fake.push("webData2", {"user": venue.user, "clearinghouseState": state})
    await until(lambda: len(of(events, PositionUpdate)) == 2)
    assert of(events, PositionUpdate)[1].size == 0  # flat at the venue: wiped


async def test_flip_guard(fake: FakeHyperliquid, make_venue: MakeVenue) -> None:
    venue, _ = await make_venue()
    btc = venue.instrument("BTC")
    fake.positions["BTC"] = "0.00001"  # one lot: dust, counts as flat
    assert await venue.flip_guard(btc, Side.BUY, 100, exit=False)
    assert not await venue.flip_guard(btc, Side.SELL, 1, exit=True)
    fake.positions["BTC"] = "0.5"
    assert not await venue.flip_guard(btc, Side.BUY, 100, exit=False)
    assert await venue.flip_guard(btc, Side.SELL, 50_000, exit=True)
    assert not await venue.flip_guard(btc, Side.BUY, 50_000, exit=True)  # wrong side
    assert not await venue.flip_guard(btc, Side.SELL, 60_000, exit=True)  # would flip
    assert await venue.flip_guard(venue.instrument("PURR/USDC"), Side.SELL, 1, exit=True)


async def test_market_order_is_an_aggressive_ioc(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, _ = await make_venue()
    inst = venue.instrument("BTC")
    request = OrderRequest(
        cid(14), inst, Side.BUY, inst.size("0.001"), None, OrderType.MARKET, TimeInForce.IOC
    )
    await venue.place(request)
    wire = fake.actions("order")[0]["orders"][0]
    assert wire["t"] == {"limit": {"tif": "Ioc"}}
    assert wire["p"] == "105.6"  # mid 100.5 from l2Book, +5 % = 105.525, rounded up


async def test_leverage_and_dead_man_switch_at_connect(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, _ = await make_venue(leverage=3, dead_man_s=6.0)
    assert fake.actions("updateLeverage") == [
        {"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 3}
    ]
    await until(lambda: bool(fake.actions("scheduleCancel")))
    assert fake.actions("scheduleCancel")[0]["time"] > 0
    await venue.close()
    assert "time" not in fake.actions("scheduleCancel")[-1]  # cleared on the way out


async def test_fills_since_and_open_orders_map_client_ids(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, _ = await make_venue()
    await venue.place(buy(venue, 15))
    fake.add_fill(1000, "BTC", "B", "100.0", "0.0005", tid=21, time=5_000)
    fake.add_fill(4242, "BTC", "A", "100.0", "0.0005", tid=22, time=6_000)  # not ours
    fills = await venue.fills_since(4_000 * 1_000_000)
    assert [(f.trade_id, f.client_id) for f in fills] == [("21", cid(15)), ("22", "")]
    (report,) = await venue.open_orders()
    assert report.client_id == cid(15) and report.venue_order_id == "1000"
    assert report.quantity == 100 and report.filled == 0
    assert venue.fee_rates(venue.instrument("BTC")) == ("0.00015", "0.00045")


async def test_read_only_venue_refuses_orders(fake: FakeHyperliquid) -> None:
    settings = HyperliquidSettings(fake.base_url, None, None, symbols=("BTC",))
    venue = HyperliquidVenue(settings)
    await venue.feed.load_markets()
    venue.instruments["BTC"] = venue.universe.bind("BTC")
    with pytest.raises(InvalidRequestError, match="read-only"):
        await venue.place(buy(venue, 16))
    await venue.close()


def test_secrets_stay_out_of_reprs() -> None:
    from falconet.config.secrets import Secret

    key = "0x" + "11" * 32
    settings = HyperliquidSettings("http://127.0.0.1:1", Secret(key), None)
    venue = HyperliquidVenue(settings)
    for text in (repr(settings), repr(venue), repr(venue.signer), str(venue.stats)):
        assert key not in text and key[2:] not in text
    assert not settings.is_mainnet
    assert HyperliquidSettings("https://api.hyperliquid.xyz", None, None).is_mainnet
    assert settings.ws_url == "ws://127.0.0.1:1/ws"


def test_it_is_a_venue_client_with_a_pingable_socket() -> None:
    venue = HyperliquidVenue(HyperliquidSettings("http://127.0.0.1:1", None, None))
    client: VenueClient = venue  # checked by mypy
    assert client.capabilities.amend_keeps_id is False
    assert isinstance(venue.socket, PingableConnection)


async def test_top_of_book_only_reads_just_the_best_levels(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, events = await make_venue(top_of_book_only=True)
    await venue.subscribe([venue.instrument("BTC")])
    bids = [("100.5", "0.25"), ("100", "1")]
    await fake.push("l2Book", book_msg("BTC", bids, [("101", "1.5")], time=9))
    await until(lambda: bool(of(events, TopOfBook)))
    (top,) = of(events, TopOfBook)
    assert isinstance(top, TopOfBook)
    assert (top.bid_px, top.bid_sz, top.ask_px, top.ask_sz) == (1005, 25_000, 1010, 150_000)
    assert not of(events, BookSnapshot)


async def test_usd_class_transfer_is_user_signed(
    fake: FakeHyperliquid, make_venue: MakeVenue
) -> None:
    venue, _ = await make_venue()
    await venue.usd_class_transfer(Decimal("12.5"), to_perp=True)
    (call,) = [c for c in fake.exchange_calls if c["action"]["type"] == "usdClassTransfer"]
    action = call["action"]
    assert (action["amount"], action["toPerp"]) == ("12.5", True)
    assert action["hyperliquidChain"] == "Testnet" and action["signatureChainId"] == "0x66eee"
    assert call["nonce"] == action["nonce"] and call["vaultAddress"] is None
