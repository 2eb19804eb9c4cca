"""Start-up reconciliation and fill replay: every order at the venue goes to the runner
that placed it (by strategy and instrument), nothing is adopted twice, and each strategy
gets back only its own missed fills, once, even when a copy then arrives live."""

from __future__ import annotations

from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.events import Event, Fill, OrderAccepted, OrderAmended, OrderCanceled
from falconet.core.ids import ClientIdFactory, Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.oms import FillGate, OrderManager, Owner
from falconet.engine.reconcile import owner_of, reconcile_orders, replay_fills
from falconet.engine.venue import OrderReport, VenueCapabilities
from tests.engine.fakes import BTC, FakeVenue, base
from tests.engine.test_oms import settle, submit

ETH = Instrument.with_increments(
    Venue.PAPER, "ETH/USD", "ETH", "USD", InstrumentKind.SPOT, tick="0.1", lot="0.001"
)
INSTRUMENTS = {BTC.id: BTC, ETH.id: ETH}


def make_oms(*, keeps_id: bool = True) -> tuple[FakeVenue, OrderManager]:
    venue = FakeVenue(capabilities=VenueCapabilities(keeps_id, True))
    venue.instruments = {"BTC/USD": BTC, "ETH/USD": ETH}
    return venue, OrderManager(venue, ClientIdFactory(1_700_000_000_000), fills=FillGate())


def make_owner(strategy: StrategyCode, inst: Instrument = BTC) -> tuple[Owner, list[Event]]:
    got: list[Event] = []
    key = f"{strategy.name}:{inst.symbol}:paper"
    return Owner(key, strategy, inst, got.append, one_inflight_per_side=True), got


def cid_of(oms: OrderManager, strategy: StrategyCode, intent: Intent, level: int = 0) -> str:
    return oms.ids.next(strategy, intent, level).encode(oms.fmt)


def venue_fill(
    cid: str, vid: str, trade_id: str, *, size: int, inst: Instrument = BTC, ts: int = 10
) -> Fill:
    return Fill(
        ts_exchange=ts,
        ts_local=ts,
        instrument_id=inst.id,
        client_id=cid,
        venue_order_id=vid,
        trade_id=trade_id,
        side=Side.SELL,
        price=610000,
        size=size,
    )


def fills_of(events: list[Event]) -> list[str]:
    return [e.trade_id for e in events if isinstance(e, Fill)]


# --- 1. a replayed fill is not counted again when it arrives live --------------------------


def test_the_fill_gate_answers_seen_the_second_time() -> None:
    gate = FillGate()
    fill = venue_fill("c1", "v1", "t1", size=4)
    assert gate.first_time(fill) is True
    assert gate.first_time(fill) is False
    # the same trade without the client id (a venue stream that only names the order)
    no_cid = Fill(**base("", vid="v1"), trade_id="t1", side=Side.SELL, price=610000, size=4)
    assert gate.first_time(no_cid) is False
    assert gate.first_time(venue_fill("c1", "v1", "t2", size=4)) is True  # another trade


async def test_a_fill_replayed_at_start_then_delivered_live_is_counted_once() -> None:
    venue, oms = make_oms()
    grid, got = make_owner(StrategyCode.GRID)
    cid = cid_of(oms, StrategyCode.GRID, Intent.GRID_SELL, 1)
    # the order rested and filled 4 of 10 while the engine was down
    venue.listed = [OrderReport(cid, "v9", BTC.id, Side.SELL, 610000, 10, 4)]
    missed = venue_fill(cid, "v9", "t1", size=4)
    venue.fills = [missed]

    report = await reconcile_orders(oms, venue, [grid], INSTRUMENTS, cancel_unknown=False, now_ns=1)
    assert report.adopted == [cid]
    assert [f.trade_id for f in await replay_fills(oms, venue, grid, 0)] == ["t1"]

    oms.on_event(missed)  # the venue's fill stream delivers the same trade after connecting
    assert fills_of(got) == [], "the replayed fill reached the strategy a second time"
    assert oms.stats.duplicate_fills == 1 and oms.stats.fills == 0
    assert oms.orders[cid].order.filled == 4  # as the venue listed it, not 8

    oms.on_event(venue_fill(cid, "v9", "t2", size=6))  # a new trade is news
    assert fills_of(got) == ["t2"]
    assert oms.orders[cid].order.status is OrderStatus.FILLED


# --- 2. ownership by strategy and by instrument --------------------------------------------


async def test_fill_replay_hands_each_strategy_only_its_own_fills_on_a_shared_instrument() -> None:
    venue, oms = make_oms()
    grid, _ = make_owner(StrategyCode.GRID)
    mm, _ = make_owner(StrategyCode.MM)
    grid_cid = cid_of(oms, StrategyCode.GRID, Intent.GRID_BUY)
    mm_cid = cid_of(oms, StrategyCode.MM, Intent.MM_BID)
    eth_grid_cid = cid_of(oms, StrategyCode.GRID, Intent.GRID_BUY)
    venue.fills = [
        venue_fill(grid_cid, "v1", "g1", size=2),
        venue_fill(mm_cid, "v2", "m1", size=3),
        venue_fill(grid_cid, "v1", "g2", size=2),
        venue_fill("placed-by-hand", "v3", "x1", size=1),
        venue_fill(eth_grid_cid, "v4", "e1", size=1, inst=ETH),  # another instrument
    ]
    grid_fills = await replay_fills(oms, venue, grid, 0)
    mm_fills = await replay_fills(oms, venue, mm, 0)
    assert [f.trade_id for f in grid_fills] == ["g1", "g2"]
    assert [f.trade_id for f in mm_fills] == ["m1"]
    # and the gate learned exactly the replayed ones
    assert not oms.fills.first_time(venue.fills[1])
    assert oms.fills.first_time(venue.fills[3])


def test_owner_of_matches_strategy_and_instrument() -> None:
    _venue, oms = make_oms()
    btc_grid, _ = make_owner(StrategyCode.GRID, BTC)
    eth_grid, _ = make_owner(StrategyCode.GRID, ETH)
    btc_mm, _ = make_owner(StrategyCode.MM, BTC)
    owners = [btc_grid, eth_grid, btc_mm]
    grid_cid = cid_of(oms, StrategyCode.GRID, Intent.GRID_SELL, 2)
    mm_cid = cid_of(oms, StrategyCode.MM, Intent.MM_ASK)

    def report(cid: str | None, inst: Instrument) -> OrderReport:
        return OrderReport(cid, "v", inst.id, Side.SELL, 610000, 10, 0)

    assert owner_of(report(grid_cid, BTC), owners) is btc_grid
    assert owner_of(report(grid_cid, ETH), owners) is eth_grid
    assert owner_of(report(mm_cid, BTC), owners) is btc_mm
    assert owner_of(report(mm_cid, ETH), owners) is None  # no MM on ETH
    assert owner_of(report("placed-by-hand", BTC), owners) is None
    assert owner_of(report(None, BTC), owners) is None


async def test_two_grids_on_one_venue_each_adopt_only_their_own_instruments_orders() -> None:
    venue, oms = make_oms()
    btc_grid, _ = make_owner(StrategyCode.GRID, BTC)
    eth_grid, _ = make_owner(StrategyCode.GRID, ETH)
    btc_sell = cid_of(oms, StrategyCode.GRID, Intent.GRID_SELL, 1)
    eth_sell = cid_of(oms, StrategyCode.GRID, Intent.GRID_SELL, 1)
    eth_buy = cid_of(oms, StrategyCode.GRID, Intent.GRID_BUY)
    venue.listed = [
        OrderReport(eth_sell, "v1", ETH.id, Side.SELL, 30000, 100, 0),
        OrderReport(btc_sell, "v2", BTC.id, Side.SELL, 610000, 10, 0),
        OrderReport(eth_buy, "v3", ETH.id, Side.BUY, 29000, 100, 0),
    ]
    report = await reconcile_orders(
        oms, venue, [btc_grid, eth_grid], INSTRUMENTS, cancel_unknown=True, now_ns=1
    )
    assert sorted(report.adopted) == sorted([btc_sell, eth_sell, eth_buy])
    assert report.unknown == [] and venue.cancels == []
    assert [m.order.client_id for m in oms.open_orders(btc_grid)] == [btc_sell]
    assert sorted(m.order.client_id for m in oms.open_orders(eth_grid)) == sorted(
        [eth_sell, eth_buy]
    )
    assert all(m.instrument is m.owner.instrument for m in oms.open_orders())


# --- 3. nothing is adopted twice -----------------------------------------------------------


async def cancel_replaced() -> tuple[FakeVenue, OrderManager, Owner, str, str]:
    """A grid order on v1 amended by cancel-replace: now `new` on v2, once `old`."""
    venue, oms = make_oms(keeps_id=False)
    grid, _ = make_owner(StrategyCode.GRID)
    old = submit(oms, grid)
    oms.on_event(OrderAccepted(**base(old, vid="v1")))
    oms.amend(grid, old, 600010, 10, 2)
    await settle()
    new = venue.amends[0].new_client_id
    assert new is not None and new != old
    oms.on_event(OrderAmended(**base(old, vid="v2"), price=600010, quantity=10, new_client_id=new))
    return venue, oms, grid, old, new


async def test_after_a_cancel_replace_amend_a_listing_under_the_old_id_is_not_adopted() -> None:
    venue, oms, grid, old, new = await cancel_replaced()
    # the venue's order list lags the modify: it still shows the old half next to the new
    venue.listed = [
        OrderReport(old, "v1", BTC.id, Side.BUY, 600000, 10, 0),
        OrderReport(new, "v2", BTC.id, Side.BUY, 600010, 10, 0),
    ]
    report = await reconcile_orders(oms, venue, [grid], INSTRUMENTS, cancel_unknown=False, now_ns=3)
    assert report.adopted == [] and report.unknown == [] and report.closed == []
    [m] = oms.open_orders(grid)
    assert (m.order.client_id, m.order.price, m.order.venue_order_id) == (new, 600010, "v2")
    assert old not in oms.orders


async def test_an_order_listed_before_its_acknowledgement_is_not_adopted_again() -> None:
    venue, oms = make_oms()
    grid, _ = make_owner(StrategyCode.GRID)
    cid = submit(oms, grid)
    await settle()
    venue.listed = [OrderReport(cid, "v1", BTC.id, Side.BUY, 600000, 10, 0)]
    report = await reconcile_orders(oms, venue, [grid], INSTRUMENTS, cancel_unknown=False, now_ns=2)
    assert report.adopted == []
    [m] = oms.open_orders(grid)
    assert m.order.status is OrderStatus.PENDING_NEW and m.order.client_id == cid


async def test_cancel_replace_bookkeeping_is_forgotten_with_its_order() -> None:
    _, oms, _, old, new = await cancel_replaced()
    oms.forget_closed(keep=0)
    assert oms.replaced == {old: new} and set(oms.by_venue_id) == {"v1", "v2"}  # still open
    oms.on_event(OrderCanceled(**base(new, vid="v2")))
    for _ in range(3):  # a chain unwinds over housekeeping rounds
        oms.forget_closed(keep=0)
    assert oms.orders == {} and oms.replaced == {} and oms.by_venue_id == {}
