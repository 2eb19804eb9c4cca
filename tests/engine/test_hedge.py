"""Auto-hedge: spot buys open a perp short, spot sells cover it, one cycle at a time per
symbol, state kept across restarts, and the short closed at shutdown."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from falconet.core.enums import InstrumentKind, OrderType, Side, TimeInForce, Venue
from falconet.core.events import BookSnapshot, Fill, OrderAccepted, OrderCanceled, OrderRejected
from falconet.core.ids import ClientIdFactory
from falconet.core.instrument import Instrument
from falconet.engine.hedge import Hedger, perp_symbol
from falconet.engine.market import MarketState
from falconet.engine.oms import OrderManager
from falconet.engine.venue import VenueCapabilities
from tests.engine.fakes import FakeVenue

SPOT = Instrument.hyperliquid(
    "HYPE/USDC", base="HYPE", quote="USDC", kind=InstrumentKind.SPOT, sz_decimals=2, asset_id=10107
)
PERP = Instrument.hyperliquid(
    "HYPE", base="HYPE", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=2, asset_id=159
)


class Store:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.data[key] = dict(value)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.data.get(key)


def make(store: Store | None = None, *, book: bool = True) -> tuple[Hedger, FakeVenue, Store]:
    venue = FakeVenue(
        venue=Venue.HYPERLIQUID,
        capabilities=VenueCapabilities(amend_keeps_id=False, amend_keeps_priority=False),
    )
    oms = OrderManager(venue, ClientIdFactory(1_700_000_000_000))
    market = MarketState(PERP)
    if book:
        market.apply(
            BookSnapshot(
                ts_exchange=1,
                ts_local=1,
                instrument_id=PERP.id,
                bids=[(PERP.price("25.1"), PERP.size("100"))],
                asks=[(PERP.price("25.2"), PERP.size("100"))],
            )
        )
    store = store or Store()
    hedger = Hedger(
        "Hedge:HYPE", SPOT, PERP, oms, market, now_ns=lambda: 5, save=store.put, load=store.get
    )
    return hedger, venue, store


def spot_fill(
    side: Side, size: str, price: str = "25.15", tid: str = "1", order: str = "spot"
) -> Fill:
    return Fill(
        ts_exchange=1,
        ts_local=1,
        instrument_id=SPOT.id,
        client_id=order,
        trade_id=tid,
        side=side,
        price=SPOT.price(price),
        size=SPOT.size(size),
    )


def perp_event(hedger: Hedger, cid: str, kind: type, **kw: Any) -> None:
    base = {"ts_exchange": 2, "ts_local": 2, "instrument_id": PERP.id, "client_id": cid}
    hedger.oms.on_event(kind(**base, **kw))


def perp_fill(
    hedger: Hedger, cid: str, vid: str, tid: str, side: Side, size: int, price: int | None = None
) -> None:
    """The venue's fill of a hedge order (accepted first, as the venue reports it)."""
    perp_event(hedger, cid, OrderAccepted, venue_order_id=vid)
    px = price if price is not None else PERP.price("25.1" if side is Side.SELL else "25.2")
    perp_event(hedger, cid, Fill, venue_order_id=vid, trade_id=tid, side=side, price=px, size=size)


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_spot_buy_opens_a_short_at_the_best_bid() -> None:
    hedger, venue, store = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1.5"))
    await settle()
    [req] = venue.placed
    assert (req.side, req.instrument, req.reduce_only) == (Side.SELL, PERP, False)
    assert req.price == PERP.price("25.1")  # the touch: it takes liquidity
    assert req.time_in_force is TimeInForce.GTC
    assert req.quantity == PERP.size("1.5")
    assert store.data["Hedge:HYPE"]["open"] is True


async def test_second_buy_while_open_is_ignored_then_sell_covers_what_filled() -> None:
    hedger, venue, _ = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    short = venue.placed[0].client_id
    perp_event(hedger, short, OrderAccepted, venue_order_id="11")
    hedger.on_spot_fill(spot_fill(Side.BUY, "1", tid="2", order="another buy"))
    await settle()
    assert len(venue.placed) == 1 and hedger.ignored_buys == 1
    perp_event(
        hedger, short, Fill, venue_order_id="11", trade_id="t1", side=Side.SELL,
        price=PERP.price("25.1"), size=PERP.size("1"),
    )  # fmt: skip
    assert hedger.state.short_filled == PERP.size("1")
    hedger.on_spot_fill(spot_fill(Side.SELL, "1", tid="3"))
    await settle()
    cover = venue.placed[1]
    assert (cover.side, cover.reduce_only, cover.quantity) == (Side.BUY, True, PERP.size("1"))
    assert cover.price == PERP.price("25.2")
    perp_fill(hedger, cover.client_id, "12", "t2", Side.BUY, PERP.size("1"), PERP.price("25.2"))
    assert hedger.state.open is False and hedger.state.short_filled == 0
    # the next buy starts a new cycle
    hedger.on_spot_fill(spot_fill(Side.BUY, "1", tid="4", order="next buy"))
    await settle()
    assert len(venue.placed) == 3 and hedger.state.cycles == 2


async def test_small_fill_is_sized_up_to_the_venue_minimum() -> None:
    hedger, venue, _ = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "0.1"))  # 2.5 USDC < 10 USDC minimum
    await settle()
    req = venue.placed[0]
    assert PERP.notional(req.price or 0, req.quantity) >= Decimal(10)
    assert req.quantity == PERP.min_size_for_notional(PERP.price("25.1"))


async def test_rejected_short_ends_the_cycle() -> None:
    hedger, venue, _ = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    perp_event(hedger, venue.placed[0].client_id, OrderRejected, reason="Insufficient margin")
    assert hedger.state.open is False and hedger.state.working is None


async def test_without_a_perp_book_the_hedge_is_a_market_order() -> None:
    hedger, venue, _ = make(book=False)
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    assert venue.placed[0].order_type is OrderType.MARKET
    assert venue.placed[0].time_in_force is TimeInForce.IOC


async def test_state_survives_a_restart_and_shutdown_closes_the_short() -> None:
    hedger, venue, store = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "2"))
    await settle()
    short = venue.placed[0].client_id
    perp_fill(hedger, short, "11", "t1", Side.SELL, PERP.size("2"), PERP.price("25.1"))
    again, venue2, _ = make(store)
    assert again.state.open is True and again.state.short_filled == PERP.size("2")
    again.sync_position(-PERP.size("2"))  # the venue agrees
    await again.close(wait_s=0)
    await settle()
    [close] = venue2.placed
    assert (close.side, close.reduce_only, close.time_in_force) == (Side.BUY, True, TimeInForce.IOC)
    assert close.quantity == PERP.size("2")
    assert close.price is not None and close.price > PERP.price("25.2")  # through the book
    perp_fill(again, close.client_id, "12", "t2", Side.BUY, close.quantity, close.price)
    assert (again.state.open, again.state.short_filled) == (False, 0)  # a fresh start next


async def test_partial_fills_of_the_same_buy_are_all_hedged() -> None:
    hedger, venue, _ = make()
    for i, size in enumerate(("0.6", "0.5", "0.4")):  # one grid buy, filled in three
        hedger.on_spot_fill(spot_fill(Side.BUY, size, tid=str(i)))
        await settle()
        if venue.placed and hedger.state.working:
            req = venue.placed[-1]
            perp_fill(hedger, req.client_id, f"v{i}", f"t{i}", Side.SELL, req.quantity, req.price)
            await settle()
    assert hedger.ignored_buys == 0
    # each part is worth more than the 10 USDC minimum: shorted as it fills, 1.5 in all
    assert sum(r.quantity for r in venue.placed) == PERP.size("1.5")
    assert hedger.state.short_filled == PERP.size("1.5")


async def test_a_sell_while_the_short_works_waits_for_it_then_covers_what_filled() -> None:
    hedger, venue, _ = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "2"))
    await settle()
    short = venue.placed[0].client_id
    perp_event(hedger, short, OrderAccepted, venue_order_id="11")
    hedger.on_spot_fill(spot_fill(Side.SELL, "2", tid="s"))
    await settle()
    assert [c.client_id for c in venue.cancels] == [short] and len(venue.placed) == 1
    # the short filled in part before the cancel landed: still one cycle, covered after
    perp_event(
        hedger, short, Fill, venue_order_id="11", trade_id="t1", side=Side.SELL,
        price=PERP.price("25.1"), size=PERP.size("0.7"),
    )  # fmt: skip
    perp_event(hedger, short, OrderCanceled, venue_order_id="11")
    await settle()
    cover = venue.placed[1]
    assert (cover.side, cover.quantity, cover.reduce_only) == (Side.BUY, PERP.size("0.7"), True)
    assert hedger.state.open is True and hedger.state.covering is True


async def test_a_short_the_venue_no_longer_has_is_not_covered() -> None:
    hedger, venue, store = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    short = venue.placed[0].client_id
    perp_fill(hedger, short, "11", "t1", Side.SELL, PERP.size("1"), PERP.price("25.1"))
    again, venue2, _ = make(store)
    again.sync_position(0)  # closed by hand while the engine was down
    assert (again.state.open, again.state.short_filled) == (False, 0)
    await again.close(wait_s=0)
    assert venue2.placed == []


def test_perp_symbol_is_the_coin_before_the_slash() -> None:
    assert perp_symbol("HYPE/USDC") == "HYPE"
    assert perp_symbol("purr/usdc") == "PURR"


def test_an_entry_on_the_hedges_perp_is_refused() -> None:
    import pytest

    from falconet.config.loader import parse_config
    from falconet.core.errors import ConfigError
    from falconet.engine.build import plan

    grid = {"symbol": "HYPE/USDC", "exchange": "hyperliquid", "strategy": "Grid", "qty": "1",
            "hedge": True}  # fmt: skip
    mm = {"symbol": "HYPE", "exchange": "hyperliquid", "strategy": "MM", "qty": "1"}
    with pytest.raises(ConfigError, match=r"HYPE on hyperliquid .* also hedges HYPE/USDC"):
        plan(parse_config({"trading": [grid, mm]}, "c.json"), paper=False)
    assert len(plan(parse_config({"trading": [grid]}, "c.json"), paper=False)) == 1
