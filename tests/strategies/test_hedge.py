"""Auto-hedge (a strategy on a spot entry's fills and a perp): spot buys open a perp
short, spot sells cover it, one cycle at a time per symbol, state kept across restarts,
and the short closed at shutdown. The strategy runs on the engine's own context and OMS
over a fake venue; events reach it in the order the OMS accepted them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from falconet.core.clock import SimClock
from falconet.core.enums import InstrumentKind, OrderType, Side, TimeInForce, Venue
from falconet.core.events import (
    BookSnapshot,
    Event,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderRejected,
    PositionUpdate,
)
from falconet.core.ids import ClientIdFactory, IdFormat, StrategyCode
from falconet.engine.context import LiveContext
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.venue import VenueCapabilities
from falconet.strategies.hedge import HedgeState, HedgeStrategy
from falconet.venues.hyperliquid.instruments import hl_instrument
from tests.engine.fakes import FakeVenue

SPOT = hl_instrument(
    "HYPE/USDC", base="HYPE", quote="USDC", kind=InstrumentKind.SPOT, sz_decimals=2, asset_id=10107
)
PERP = hl_instrument(
    "HYPE", base="HYPE", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=2, asset_id=159
)
KEY = "Hedge:HYPE"


class Store:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.data[key] = dict(value)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.data.get(key)


class Hedge:
    """The strategy with what a runner gives it: its context, its own order events as
    the OMS accepts them, its state saved after each callback."""

    def __init__(self, store: Store, oms: OrderManager, market: MarketState) -> None:
        self.store, self.oms = store, oms
        self.account = Account()
        owner = Owner(KEY, StrategyCode.HEDGE, PERP, self._deliver)
        self.ctx = LiveContext(owner, oms, market, self.account, SimClock(5), None, _no_op)
        self.strategy = HedgeStrategy(SPOT, PERP)
        saved = store.get(KEY)
        if saved:
            self.strategy.restore_state(saved)

    @property
    def state(self) -> HedgeState:
        return self.strategy.state

    @property
    def ignored_buys(self) -> int:
        return self.strategy.ignored_buys

    def _deliver(self, event: Event) -> None:
        if isinstance(event, Fill):
            self.strategy.on_fill(self.ctx, event)
        elif isinstance(event, OrderEvent):
            self.strategy.on_order(self.ctx, event)
        self._save()

    def _save(self) -> None:
        self.store.put(KEY, self.strategy.snapshot_state())

    def on_spot_fill(self, fill: Fill) -> None:
        self.strategy.on_linked_fill(self.ctx, fill)
        self._save()

    def start(self, venue_position: int) -> None:
        """A (re)start with the venue's perp position."""
        self.account.apply(
            PositionUpdate(ts_exchange=1, ts_local=1, instrument_id=PERP.id, size=venue_position)
        )
        self.strategy.on_start(self.ctx)
        self._save()

    def shutdown(self) -> None:
        self.strategy.on_shutdown(self.ctx)
        self._save()


def _no_op() -> None:
    pass


def make(store: Store | None = None, *, book: bool = True) -> tuple[Hedge, FakeVenue, Store]:
    venue = FakeVenue(
        venue=Venue.HYPERLIQUID,
        capabilities=VenueCapabilities(
            amend_keeps_id=False, amend_keeps_priority=False, id_format=IdFormat.HEX128
        ),
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
    return Hedge(store, oms, market), venue, store


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


def perp_event(hedger: Hedge, cid: str, kind: type, **kw: Any) -> None:
    base = {"ts_exchange": 2, "ts_local": 2, "instrument_id": PERP.id, "client_id": cid}
    hedger.oms.on_event(kind(**base, **kw))


def perp_fill(
    hedger: Hedge, cid: str, vid: str, tid: str, side: Side, size: int, price: int | None = None
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
    again.start(-PERP.size("2"))  # the venue agrees
    again.shutdown()
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
    again.start(0)  # closed by hand while the engine was down
    assert (again.state.open, again.state.short_filled) == (False, 0)
    again.shutdown()
    await settle()
    assert venue2.placed == []


def test_the_hedge_perp_is_the_coin_before_the_slash() -> None:
    from falconet.venues.registry import factory_for

    hl = factory_for(Venue.HYPERLIQUID)
    assert hl is not None
    assert hl.hedge_symbol("HYPE/USDC") == "HYPE"
    assert hl.hedge_symbol("purr/usdc") == "PURR"
    assert hl.hedge_symbol("BTC") is None  # a perp is not hedged


def test_an_entry_on_the_hedges_perp_is_refused() -> None:
    import pytest

    from falconet.config.loader import parse_config
    from falconet.core.errors import ConfigError
    from falconet.engine.build import hedge_plans, plan

    grid = {"symbol": "HYPE/USDC", "exchange": "hyperliquid", "strategy": "Grid", "qty": "1",
            "hedge": True}  # fmt: skip
    mm = {"symbol": "HYPE", "exchange": "hyperliquid", "strategy": "MM", "qty": "1"}
    both = parse_config({"trading": [grid, mm]}, "c.json")
    with pytest.raises(ConfigError, match=r"HYPE on hyperliquid is .* also hedges HYPE/USDC"):
        hedge_plans(both, plan(both, paper=False))
    alone = parse_config({"trading": [grid]}, "c.json")
    [hedge] = hedge_plans(alone, plan(alone, paper=False))
    assert hedge.key == "Hedge:HYPE:hyperliquid:HYPE/USDC"  # the state key of earlier versions
    # on another account the perp is that account's own position: allowed
    other = parse_config({"trading": [grid, {**mm, "account": "b"}]}, "c.json")
    assert len(hedge_plans(other, plan(other, paper=False))) == 1


async def test_in_a_runner_events_are_judged_in_their_order_not_by_the_latest_state() -> None:
    """Accepted, a part fill and the cancel reach the runner in one batch: the hedge must
    count the fill before it sizes the cover (the OMS already says canceled at the
    first of them)."""
    from falconet.engine.runner import Runner
    from falconet.strategies.api import LinkedFill

    hedge, venue, store = make()  # its context and OMS, run by a real runner
    oms, ctx, owner = hedge.oms, hedge.ctx, hedge.ctx.owner
    runner = Runner(
        KEY, lambda: HedgeStrategy(SPOT, PERP), ctx, save_state=store.put, load_state=store.get
    )
    owner.deliver = runner.push
    task = asyncio.get_running_loop().create_task(runner.run())
    await runner.started.wait()
    runner.push(LinkedFill("Grid", spot_fill(Side.BUY, "2")))
    await settle()
    short = venue.placed[0].client_id
    runner.push(LinkedFill("Grid", spot_fill(Side.SELL, "2", tid="s")))
    await settle()
    assert [c.client_id for c in venue.cancels] == [short]
    base = {"ts_exchange": 2, "ts_local": 2, "instrument_id": PERP.id, "client_id": short}
    oms.on_event(OrderAccepted(**base, venue_order_id="11"))
    oms.on_event(Fill(**base, venue_order_id="11", trade_id="t1", side=Side.SELL,
                      price=PERP.price("25.1"), size=PERP.size("0.7")))  # fmt: skip
    oms.on_event(OrderCanceled(**base, venue_order_id="11"))
    await settle()
    runner.stop()
    await task
    cover = venue.placed[1]
    assert (cover.side, cover.quantity, cover.reduce_only) == (Side.BUY, PERP.size("0.7"), True)
    assert store.data[KEY]["short_filled"] == PERP.size("0.7")  # saved by the runner


async def test_a_working_order_that_ended_while_down_is_settled_at_start() -> None:
    hedger, venue, store = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    assert store.data[KEY]["working"] == venue.placed[0].client_id
    again, _, _ = make(store)  # a new OMS that never heard of the short
    again.start(0)
    # no longer in flight: counted as sent (its fills, if any, show in the venue position)
    assert again.state.working is None and again.state.short_sent == PERP.size("1")
    again.on_spot_fill(spot_fill(Side.SELL, "1", tid="s"))  # nothing short: the cycle ends
    assert again.state.open is False


async def test_a_short_that_filled_while_down_is_taken_from_the_venue_and_covered() -> None:
    hedger, _, store = make()
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    again, venue2, _ = make(store)  # the short filled while the engine was down
    again.start(-PERP.size("1"))
    assert again.state.short_filled == PERP.size("1") and again.state.working is None
    again.on_spot_fill(spot_fill(Side.SELL, "1", tid="s"))
    await settle()
    [cover] = venue2.placed
    assert (cover.side, cover.quantity, cover.reduce_only) == (Side.BUY, PERP.size("1"), True)


async def test_under_a_halt_opens_are_refused_but_covers_and_the_close_go_out() -> None:
    from falconet.risk import GLOBAL, RiskEngine, TradingState

    hedger, venue, _ = make()
    risk = RiskEngine()
    hedger.ctx.attach_risk(risk, risk.add_entry(KEY, "hyperliquid", hedger.ctx))
    hedger.ctx.reduce_only_ungated = True  # as the engine sets it for a hedge
    risk.trip(GLOBAL, TradingState.HALTED, reason="test", rule="kill_switch", now_ns=1)
    hedger.on_spot_fill(spot_fill(Side.BUY, "1"))
    await settle()
    assert venue.placed == [] and hedger.state.open is False  # the open was refused
    hedger.state.open, hedger.state.short_filled = True, PERP.size("1")  # a short from before
    hedger.shutdown()
    await settle()
    [close] = venue.placed
    assert (close.side, close.reduce_only) == (Side.BUY, True)
