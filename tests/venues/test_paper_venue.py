"""The paper venue as a venue: orders, fills, balances and refusals, and that it survives
a crash of the process with every order, fill and balance intact."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from falconet.config.runtime import PaperSettings
from falconet.core.enums import Side, TimeInForce
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
    Trade,
)
from falconet.data.format import write_events
from falconet.engine.venue import AmendRequest, CancelRequest, OrderRequest
from falconet.sim.market import MarketParams, generate
from falconet.venues.paper import PaperVenue
from falconet.venues.paper.markets import CHUNK_S
from falconet.venues.paper.store import STATE_FILE, PaperVenueError

D = Decimal
S = 1_000_000_000
T0 = 1_700_000_000 * S
SETTINGS = PaperSettings(balances={"USD": D(10000), "BTC": D("0.1")}, seed=3, maker_fee=D("0.0002"))


async def open_venue(state_dir: Path | None = None, settings: PaperSettings = SETTINGS):  # type: ignore[no-untyped-def]
    v = PaperVenue(settings, ["BTC/USD"], state_dir=state_dir, start_ns=T0, pump=False)
    events: list[Event] = []
    v.set_sink(events.append)
    await v.connect()
    await v.subscribe([v.instrument("BTC/USD")])
    return v, events


def of(events: list[Event], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def run_until(v: PaperVenue, events: list[Event], kind: type, *, limit_s: int = 3600) -> object:
    """Step the venue a second at a time until an event of `kind` appears."""
    t = v.started_ns
    while t < v.started_ns + limit_s * S:
        t += S
        v.step(t)
        found = of(events, kind)
        if found:
            return found[0]
    raise AssertionError(f"no {kind.__name__} within {limit_s} s")


async def test_a_resting_buy_fills_and_moves_the_balances_exactly() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    size = inst.size("0.01")
    await v.place(OrderRequest("b1", inst, Side.BUY, size, bid))
    fill = run_until(v, events, Fill)
    assert isinstance(fill, Fill)
    assert of(events, OrderAccepted)[0].client_id == "b1"
    assert (fill.client_id, fill.side, fill.price, fill.venue_order_id) == (
        "b1",
        Side.BUY,
        bid,
        "P1",
    )
    assert fill.fee == inst.notional(fill.price, fill.size) * D("0.0002")
    assert fill.fee_currency == "USD"
    fills = [e for e in events if isinstance(e, Fill)]
    bought = sum((inst.size_decimal(f.size) for f in fills), D(0))
    paid = sum((inst.notional(f.price, f.size) + f.fee for f in fills), D(0))
    assert v.ledger.get("BTC") == D("0.1") + bought
    assert v.ledger.get("USD") == D(10000) - paid
    last = {b.asset: b for b in of(events, BalanceUpdate)}
    assert last["BTC"].total == v.ledger.get("BTC")
    assert await v.fills_since(0) == fills
    assert of(events, BookSnapshot) and of(events, Trade)


async def test_refusals_read_like_a_venue() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    sim = v.sessions["BTC/USD"].sim
    ask, bid = sim.best_ask(), sim.best_bid()
    assert ask is not None and bid is not None
    await v.place(OrderRequest("x1", inst, Side.BUY, inst.size("1"), bid))  # ~60,000 USD
    await v.place(OrderRequest("x2", inst, Side.SELL, inst.size("0.2"), ask))  # holds 0.1
    await v.place(OrderRequest("x3", inst, Side.BUY, inst.size("0.01"), ask + 50))  # crosses
    await v.place(OrderRequest("x4", inst, Side.BUY, inst.size("0.01"), bid - 5000))
    await v.place(OrderRequest("x4", inst, Side.BUY, inst.size("0.01"), bid - 5000))
    rejected = {e.client_id: e.reason for e in of(events, OrderRejected)}
    assert "insufficient balance: needs" in rejected["x1"] and "USD" in rejected["x1"]
    assert "insufficient balance" in rejected["x2"] and "BTC" in rejected["x2"]
    assert rejected["x4"] == "duplicate client order id"
    v.step(v.started_ns + S)
    rejected = {e.client_id: e.reason for e in of(events, OrderRejected)}
    assert rejected["x3"] == "post-only order would have crossed"
    # the resting order locks its value: free USD is less than the total
    usd = {b.asset: b for b in of(events, BalanceUpdate)}["USD"]
    assert usd.free == usd.total - inst.notional(bid - 5000, inst.size("0.01"))


async def test_cancel_and_amend() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    far = bid - 3000
    await v.place(OrderRequest("c1", inst, Side.BUY, inst.size("0.01"), far))
    run_until(v, events, OrderAccepted)
    await v.amend(AmendRequest("c1", inst, "P1", far - 10, inst.size("0.02")))
    amended = run_until(v, events, OrderAmended)
    assert isinstance(amended, OrderAmended)
    assert (amended.price, amended.quantity) == (far - 10, inst.size("0.02"))
    [listed] = await v.open_orders()
    assert (listed.price, listed.quantity, listed.venue_order_id) == (
        far - 10,
        inst.size("0.02"),
        "P1",
    )
    await v.cancel(CancelRequest("c1", inst, "P1"))
    canceled = run_until(v, events, OrderCanceled)
    assert isinstance(canceled, OrderCanceled) and canceled.client_id == "c1"
    assert await v.open_orders() == []
    await v.cancel(CancelRequest("nope", inst, None))
    assert of(events, OrderCancelRejected)[0].reason == "order not found"


async def test_a_crashed_session_restarts_with_its_orders_fills_and_balances(
    tmp_path: Path,
) -> None:
    v, events = await open_venue(tmp_path)
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await v.place(OrderRequest("rest", inst, Side.BUY, inst.size("0.01"), bid - 3000))
    await v.place(OrderRequest("hit", inst, Side.BUY, inst.size("0.001"), bid))
    run_until(v, events, Fill)
    fills_before = await v.fills_since(0)
    usd_before = v.ledger.get("USD")
    # no close(): the process dies here; what it published was written first
    w, events2 = await open_venue(tmp_path)
    listed = {o.client_id: o for o in await w.open_orders()}
    assert "rest" in listed and listed["rest"].venue_order_id == "P1"
    assert listed["rest"].price == bid - 3000
    assert await w.fills_since(0) == fills_before
    assert w.ledger.get("USD") == usd_before
    for t in range(1, 30):
        w.step(w.started_ns + t * S)
    # the restored order is resting, not accepted a second time
    assert not [e for e in of(events2, OrderAccepted) if e.client_id == "rest"]
    await w.place(OrderRequest("new", inst, Side.BUY, inst.size("0.001"), bid - 2000))
    assert w.sessions["BTC/USD"].orders["new"].venue_order_id == "P3"  # ids continue


async def test_the_simulated_market_rolls_over_and_carries_resting_orders() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await v.place(OrderRequest("far", inst, Side.BUY, inst.size("0.01"), bid // 2))
    run_until(v, events, OrderAccepted)
    v.step(v.started_ns + int((CHUNK_S + 120) * S))
    session = v.sessions["BTC/USD"]
    assert session.chunk == 1
    assert [o.client_id for o in await v.open_orders()] == ["far"]
    assert len([e for e in of(events, OrderAccepted) if e.client_id == "far"]) == 1
    books = of(events, BookSnapshot)
    assert books[-1].ts_exchange > books[0].ts_exchange
    # the new chunk continues near the old price
    last_bid = books[-1].bids[0][0]
    assert abs(last_bid - bid) < bid * 0.05


async def test_a_recorded_market_file_drives_the_venue_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "market.parquet"
    write_events(path, generate(MarketParams(symbol="BTC-PERP", duration_s=120, start_ns=T0)))
    settings = PaperSettings(balances={"USD": D(10000)}, market=str(path))
    v = PaperVenue(settings, ["BTC/USD"], pump=False)  # no start time: the file's
    events: list[Event] = []
    v.set_sink(events.append)
    await v.connect()
    inst = v.instrument("BTC/USD")
    assert inst.id == "BTC/USD@paper"
    await v.subscribe([inst])
    assert T0 <= v.started_ns < T0 + 5 * S
    v.step(T0 + 60 * S)
    assert of(events, Trade)
    assert of(events, BookSnapshot)[-1].instrument_id == inst.id


async def test_an_unreadable_state_file_stops_startup_and_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    v = PaperVenue(SETTINGS, ["BTC/USD"], state_dir=tmp_path, start_ns=T0, pump=False)
    with pytest.raises(PaperVenueError, match=STATE_FILE):
        await v.connect()
    await v.close()  # what a failed engine start does
    assert (tmp_path / STATE_FILE).read_text() == "{not json"  # not replaced by a fresh account


async def test_ioc_order_that_cannot_fill_is_expired_not_left_resting() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await v.place(
        OrderRequest(
            "ioc", inst, Side.BUY, inst.size("0.01"), bid - 1000, time_in_force=TimeInForce.IOC
        )
    )
    for t in range(1, 5):
        v.step(v.started_ns + t * S)
    assert await v.open_orders() == []
    assert not of(events, Fill)


async def test_events_are_published_even_when_the_state_cannot_be_written(tmp_path: Path) -> None:
    v, events = await open_venue(tmp_path)
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None

    def disk_full(snapshot: object) -> None:
        raise OSError("No space left on device")

    v.store.save = disk_full  # type: ignore[method-assign]
    await v.place(OrderRequest("b1", inst, Side.BUY, inst.size("0.01"), bid))
    fill = run_until(v, events, Fill)
    assert isinstance(fill, Fill) and fill.client_id == "b1"  # the engine still hears of it
    assert v.pump_errors > 0


async def test_an_amend_the_account_cannot_pay_for_is_refused() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await v.place(OrderRequest("a1", inst, Side.BUY, inst.size("0.01"), bid - 3000))
    run_until(v, events, OrderAccepted)
    await v.amend(AmendRequest("a1", inst, "P1", bid - 3000, inst.size("1")))  # ~57,000 USD
    [refused] = [e for e in events if type(e).__name__ == "OrderAmendRejected"]
    assert "insufficient balance" in refused.reason  # type: ignore[attr-defined]
    await v.amend(AmendRequest("a1", inst, "P1", bid - 3000, inst.size("0.1")))  # ~5,700: fine
    amended = run_until(v, events, OrderAmended)
    assert isinstance(amended, OrderAmended) and amended.quantity == inst.size("0.1")


async def test_an_amend_then_a_cancel_sent_together_are_both_answered() -> None:
    v, events = await open_venue()
    inst = v.instrument("BTC/USD")
    bid = v.sessions["BTC/USD"].sim.best_bid()
    assert bid is not None
    await v.place(OrderRequest("c1", inst, Side.BUY, inst.size("0.01"), bid - 3000))
    run_until(v, events, OrderAccepted)
    await v.amend(AmendRequest("c1", inst, "P1", bid - 3010, inst.size("0.01")))
    await v.cancel(CancelRequest("c1", inst, "P1"))  # before the amend reached the book
    run_until(v, events, OrderCanceled)
    assert of(events, OrderAmended) and await v.open_orders() == []


async def test_a_crossing_limit_that_rests_after_a_partial_fill_is_listed(tmp_path: Path) -> None:
    v, events = await open_venue(tmp_path)
    inst = v.instrument("BTC/USD")
    sim = v.sessions["BTC/USD"].sim
    ask = sim.best_ask()
    assert ask is not None
    # more than the touch holds, GTC: it takes what is there and rests with the rest
    size = inst.size("0.15")
    await v.place(OrderRequest("x", inst, Side.BUY, size, ask, time_in_force=TimeInForce.GTC))
    run_until(v, events, Fill)
    for t in range(2, 4):
        v.step(v.started_ns + t * S)
    listed = {o.client_id: o for o in await v.open_orders()}
    assert 0 < listed["x"].filled < size  # still resting with the rest
    saved = json.loads((tmp_path / STATE_FILE).read_text())
    assert "x" in [o["client_id"] for o in saved["orders"]]  # and saved for a restart
