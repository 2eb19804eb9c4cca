"""Venue answers → events with exact integer units: the real cassettes, then property
tests on random books and fills, and garbage that must be counted, never raised."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.core.enums import InstrumentKind, Liquidity, Side
from falconet.core.fixed import format_scaled
from falconet.core.instrument import Instrument
from falconet.venues.hyperliquid import account, feed
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.instruments import Universe, build_universe, hl_instrument
from falconet.venues.hyperliquid.settings import HyperliquidSettings
from falconet.venues.hyperliquid.venue import HyperliquidVenue
from tests.venues.hyperliquid.cassettes import raw, response

TS = 123


@pytest.fixture
def universe(shared_vectors: Path) -> Universe:
    return build_universe(response(shared_vectors, "meta"), None)


def units(text: str, decimals: int) -> int:
    value = Decimal(text).scaleb(decimals)
    assert value == value.to_integral_value(), text
    return int(value)


@pytest.mark.shared_data
def test_l2book_cassette(shared_vectors: Path, universe: Universe) -> None:
    dydx = universe.bind("DYDX")
    body = response(shared_vectors, "l2Book")
    snap = feed.book_snapshot(dydx, msgs.BOOK.decode(raw(shared_vectors, "l2Book")), TS)
    assert snap.bids[0] == (211_100, 1344)  # "2.111" x "134.4"
    assert snap.ts_exchange == body["time"] * 1_000_000 and snap.ts_local == TS
    for got, side in ((snap.bids, body["levels"][0]), (snap.asks, body["levels"][1])):
        assert got == [(units(lv["px"], 5), units(lv["sz"], 1)) for lv in side]
    assert [p for p, _ in snap.bids] == sorted((p for p, _ in snap.bids), reverse=True)
    assert [p for p, _ in snap.asks] == sorted(p for p, _ in snap.asks)
    frame = msgspec.json.encode({"channel": "l2Book", "data": body})
    top = feed.book_top_from_frame(dydx, frame, TS)
    assert top is not None
    assert (top.bid_px, top.bid_sz) == snap.bids[0] and (top.ask_px, top.ask_sz) == snap.asks[0]


@pytest.mark.shared_data
def test_user_fills_cassette(shared_vectors: Path, universe: Universe) -> None:
    rows = msgs.FILL_LIST.decode(raw(shared_vectors, "userFills"))
    body = response(shared_vectors, "userFills")
    assert len(rows) == len(body) == 500
    keys = set()
    for f, src in zip(rows, body, strict=True):
        inst = universe.instrument_for_coin(f.coin)
        assert inst is not None
        fill = account.fill_event(inst, f, "", TS)
        assert fill.price == units(src["px"], inst.price_decimals)
        assert fill.size == units(src["sz"], inst.size_decimals)
        assert fill.side is (Side.BUY if src["side"] == "B" else Side.SELL)
        assert fill.liquidity is (Liquidity.TAKER if src["crossed"] else Liquidity.MAKER)
        assert fill.fee == Decimal(src["fee"]) and fill.venue_order_id == str(src["oid"])
        assert fill.ts_exchange == src["time"] * 1_000_000
        keys.add(fill.trade_id)
    assert len(keys) == 500  # these old fills have no tid: the fallback key is unique too


@pytest.mark.shared_data
def test_open_orders_cassettes(shared_vectors: Path, universe: Universe) -> None:
    front = msgs.OPEN_ORDERS.decode(raw(shared_vectors, "frontendOpenOrders"))
    inj = universe.bind("INJ")
    report = account.order_report(inj, front[0], front[0].cloid)
    assert report.client_id is None and report.venue_order_id == "3184595907"
    assert (report.price, report.quantity, report.filled) == (920_370, 125, 0)
    assert report.side is Side.SELL and front[0].is_trigger and front[0].reduce_only
    plain = msgs.OPEN_ORDERS.decode(raw(shared_vectors, "openOrders"))
    assert len(plain) == 196
    for o in plain:
        inst = universe.instrument_for_coin(o.coin)
        assert inst is not None
        r = account.order_report(inst, o, None)
        assert r.price == units(o.limit_px, inst.price_decimals) and r.filled == 0


@pytest.mark.shared_data
def test_clearinghouse_state_cassette(shared_vectors: Path, universe: Universe) -> None:
    state = msgs.CLEARINGHOUSE.decode(raw(shared_vectors, "clearinghouseState"))
    positions = account.positions(universe, state, TS)
    btc = positions["BTC"]
    assert (btc.size, btc.entry_price, btc.unrealized_pnl) == (-785, 269_510, Decimal("-0.08007"))
    assert positions["ETH"].size == 1334
    perp = account.perp_balance(state, TS)
    assert perp is not None
    assert (perp.asset, perp.total, perp.free) == (
        account.PERP_USDC,
        Decimal("1182.312496"),
        Decimal("1010.57173"),
    )


@pytest.mark.shared_data
def test_candles_cassette(shared_vectors: Path, universe: Universe) -> None:
    pepe = universe.bind("kPEPE")
    rows = response(shared_vectors, "candleSnapshot")
    bars = feed.bars(pepe, msgs.CANDLES.decode(raw(shared_vectors, "candleSnapshot")), TS)
    assert len(bars) == len(rows) == 24
    first = bars[0]
    assert first.interval_s == 3600 and first.ts_exchange == rows[0]["t"] * 1_000_000
    assert (first.open, first.high, first.low, first.close) == (1601, 1616, 1601, 1604)
    assert first.volume == 520_665_683


# --- properties -----------------------------------------------------------------------------

PERP = hl_instrument(
    "ETH", base="ETH", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=4, asset_id=1
)
prices = st.integers(min_value=1, max_value=10**9)
sizes = st.integers(min_value=1, max_value=10**12)
levels = st.lists(st.tuples(prices, sizes), max_size=20)


def level_json(inst: Instrument, lv: tuple[int, int]) -> dict[str, Any]:
    return {
        "px": format_scaled(lv[0], inst.price_decimals),
        "sz": format_scaled(lv[1], inst.size_decimals),
        "n": 1,
    }


@settings(max_examples=200, deadline=None)
@given(bids=levels, asks=levels, time=st.integers(min_value=0, max_value=2**45))
def test_books_round_trip(
    bids: list[tuple[int, int]], asks: list[tuple[int, int]], time: int
) -> None:
    data = {
        "coin": "ETH",
        "time": time,
        "levels": [[level_json(PERP, b) for b in bids], [level_json(PERP, a) for a in asks]],
    }
    snap = feed.book_snapshot(PERP, msgs.BOOK.decode(msgspec.json.encode(data)), TS)
    assert snap.bids == bids and snap.asks == asks and snap.ts_exchange == time * 1_000_000
    top = feed.book_top_from_frame(
        PERP, msgspec.json.encode({"channel": "l2Book", "data": data}), TS
    )
    if bids and asks:
        assert top is not None and top.ts_exchange == time * 1_000_000
        assert (top.bid_px, top.bid_sz, top.ask_px, top.ask_sz) == (*bids[0], *asks[0])
    else:
        assert top is None


@settings(max_examples=200, deadline=None)
@given(
    px=prices,
    sz=sizes,
    side=st.sampled_from(["A", "B"]),
    crossed=st.booleans(),
    tid=st.integers(min_value=1, max_value=2**60),
    fee=st.decimals(-10, 10, places=6),
)
def test_fills_round_trip(
    px: int, sz: int, side: str, crossed: bool, tid: int, fee: Decimal
) -> None:
    body = {
        "coin": "ETH",
        "px": format_scaled(px, PERP.price_decimals),
        "sz": format_scaled(sz, PERP.size_decimals),
        "side": side,
        "time": 5,
        "oid": 9,
        "crossed": crossed,
        "fee": f"{fee:f}",
        "tid": tid,
        "feeToken": "USDC",
    }
    decoded = msgs.USER_FILLS.decode(msgspec.json.encode({"fills": [body], "user": "0x1"}))
    fill = account.fill_event(PERP, decoded.fills[0], "c", TS)
    assert (fill.price, fill.size, fill.trade_id, fill.fee) == (px, sz, str(tid), fee)
    assert fill.side is (Side.BUY if side == "B" else Side.SELL)
    assert fill.liquidity is (Liquidity.TAKER if crossed else Liquidity.MAKER)


@settings(max_examples=300, deadline=None)
@given(
    frame=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda ch, data: msgspec.json.encode({"channel": ch, "data": data}),
            st.sampled_from(["l2Book", "trades", "userFills", "orderUpdates", "webData2", "bbo"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["coin", "levels", "px", "fills"]), inner)
                ),
                max_leaves=8,
            ),
        ),
    )
)
def test_garbage_frames_are_counted_not_raised(frame: bytes) -> None:
    venue = _VENUE
    before = venue.stats["decode_errors"] + venue.stats["handler_errors"]
    venue.socket._dispatch(frame, TS)  # never raises
    after = venue.stats["decode_errors"] + venue.stats["handler_errors"]
    assert after in (before, before + 1)


def _offline_venue() -> HyperliquidVenue:
    """A venue that never connected, knowing ETH, fed frames straight into its socket."""
    venue = HyperliquidVenue(HyperliquidSettings("http://127.0.0.1:1", None, "0x" + "ab" * 20))
    venue.universe = build_universe({"universe": [{"name": "ETH", "szDecimals": 4}]}, None)
    venue.universe.bind("ETH")
    venue.set_sink(lambda event: None)
    return venue


_VENUE = _offline_venue()


def test_garbage_between_good_frames_keeps_the_stream_going() -> None:
    venue = _offline_venue()
    events: list[Any] = []
    venue.set_sink(events.append)
    good = {"channel": "l2Book", "data": {"coin": "ETH", "time": 1, "levels": [[], []]}}
    for frame in (
        b"\x00\xff",
        b'{"channel":"l2Book","data":{"coin":1}}',
        msgspec.json.encode(good),
    ):
        venue.socket._dispatch(frame, TS)
    assert len(events) == 1 and venue.stats["decode_errors"] == 2
    venue.socket._dispatch(b"Websocket connection established.", TS)  # the greeting: not an error
    assert venue.stats["decode_errors"] == 2


def test_the_text_to_units_cache_stays_bounded_over_a_million_distinct_prices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(feed, "_UNITS", {})  # a fresh cache; the module's is restored after
    per_side, distinct = 20, 1_000_000
    # an entry is added per new text; the bound is checked once per side of a book
    bound = feed.UNITS_CACHE_MAX + 2 * per_side
    largest = 0
    for n in range(0, distinct, 2 * per_side):
        texts = [f"{100_000 + n + i}.{n % 97:02d}" for i in range(2 * per_side)]
        bids = [msgs.Level(px=t, sz="1.5") for t in texts[:per_side]]
        asks = [msgs.Level(px=t, sz="1.5") for t in texts[per_side:]]
        snap = feed.book_snapshot(PERP, msgs.Book("ETH", (bids, asks), n), TS)
        largest = max(largest, *(len(cache) for cache in feed._UNITS.values()))
        if n % 200_000 == 0:  # still exact, before and after the cache was cleared
            assert snap.bids[0] == (PERP.price(texts[0]), PERP.size("1.5"))
            assert snap.asks[-1] == (PERP.price(texts[-1]), PERP.size("1.5"))
    assert largest <= bound, f"the cache grew to {largest} entries"
    assert largest >= feed.UNITS_CACHE_MAX  # it filled up and was cleared, not bypassed
