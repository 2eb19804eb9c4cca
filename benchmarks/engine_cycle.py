"""One engine cycle, event in → intents out, in microseconds.

The live engine's own pieces (router, book, runner, strategy, context, OMS) with a venue
client that acknowledges every request at once, so each book update moves the quote and
the strategy answers with an amend (the common case on a live market):

- sync: the router applies a book snapshot and the runner dispatches it to the strategy,
  whose intents are validated and recorded by the OMS (the request task is created);
- loop: the same on the event loop (uvloop), from the router call until the venue client
  has the request in hand: the latency a strategy adds to a tick.

    python benchmarks/engine_cycle.py [--cycles N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from decimal import Decimal

import uvloop

from falconet.config.loader import parse_config_text
from falconet.core.clock import LiveClock
from falconet.core.enums import InstrumentKind, Venue
from falconet.core.events import (
    BalanceUpdate,
    BookSnapshot,
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    PositionUpdate,
)
from falconet.core.ids import ClientIdFactory, StrategyCode
from falconet.core.instrument import Instrument
from falconet.engine.context import LiveContext
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.router import Router
from falconet.engine.runner import Inbound, Runner, Signal
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderReport,
    OrderRequest,
    Sink,
    VenueCapabilities,
)
from falconet.strategies.api import Fees, Strategy
from falconet.strategies.grid.factory import grid_from_entry
from falconet.strategies.mm.factory import mm_from_entry

INST = Instrument.with_increments(
    Venue.PAPER, "ETH/USD", "ETH", "USD", InstrumentKind.SPOT, tick="0.01", lot="0.0001"
)
CONFIG = parse_config_text(
    """{"trading": [
      {"symbol": "ETH/USD", "exchange": "paper", "strategy": "Grid", "qty": "0.01",
       "grid_interval": 0.1},
      {"symbol": "ETH/USDC", "exchange": "paper", "strategy": "MM", "qty": "0.01"}]}""",
    "<bench>",
)


class AckingVenue:
    """Answers every request at once, as a venue with zero latency would."""

    venue = Venue.PAPER
    capabilities = VenueCapabilities(amend_keeps_id=True, amend_keeps_priority=True)

    def __init__(self) -> None:
        self.sink: Sink | None = None
        self.requests = 0
        self.last_request_ns = 0

    def set_sink(self, sink: Sink) -> None:
        self.sink = sink

    def _answer(self, event: object) -> None:
        self.requests += 1
        self.last_request_ns = time.perf_counter_ns()
        assert self.sink is not None
        self.sink(event)  # type: ignore[arg-type]

    async def place(self, r: OrderRequest) -> None:
        self._answer(OrderAccepted(**_ids(r.client_id), venue_order_id=r.client_id))

    async def amend(self, r: AmendRequest) -> None:
        fields = _ids(r.client_id)
        self._answer(OrderAmended(**fields, price=r.price, quantity=r.quantity))

    async def cancel(self, r: CancelRequest) -> None:
        self._answer(OrderCanceled(**_ids(r.client_id)))

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    def instrument(self, symbol: str) -> Instrument:
        return INST

    async def subscribe(self, instruments: Sequence[Instrument]) -> None: ...
    async def open_orders(self) -> list[OrderReport]:
        return []

    async def fills_since(self, since_ns: int) -> list[Fill]:
        return []

    async def balances(self) -> list[BalanceUpdate]:
        return []

    async def positions(self) -> list[PositionUpdate]:
        return []

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        return ("0.0002", "0.0005")


def _ids(cid: str) -> dict[str, object]:
    now = time.time_ns()
    return {"ts_exchange": now, "ts_local": now, "instrument_id": INST.id, "client_id": cid}


def build(which: str) -> tuple[Router, Runner, AckingVenue, Strategy]:
    venue = AckingVenue()
    oms = OrderManager(venue, ClientIdFactory(int(time.time() * 1000)))
    account = Account()
    router = Router("paper", oms, account)
    venue.set_sink(router)
    market = MarketState(INST)
    entry = CONFIG.trading[0 if which == "grid" else 1]
    code = StrategyCode.GRID if which == "grid" else StrategyCode.MM
    strategy: Strategy = (
        grid_from_entry(entry, CONFIG, INST, None)
        if which == "grid"
        else mm_from_entry(entry, CONFIG, INST)
    )
    owner = Owner(f"{which}:ETH/USD", code, INST, lambda e: None, one_inflight_per_side=True)
    fees = Fees(Decimal("0.0002"), Decimal("0.0005"))
    ctx = LiveContext(owner, oms, market, account, LiveClock(), fees, lambda: None)
    runner = Runner(owner.key, lambda: strategy, ctx)
    owner.deliver = runner.push
    router.add(runner, market)
    for asset, amount in (("ETH", "10"), ("USD", "100000")):
        router(
            BalanceUpdate(
                ts_exchange=1,
                ts_local=1,
                venue=Venue.PAPER,
                asset=asset,
                total=Decimal(amount),
                free=Decimal(amount),
            )
        )
    return router, runner, venue, strategy


def book(i: int) -> BookSnapshot:
    # the mid walks up and down a few ticks: every update moves the best prices
    bid = 300_000 + (i % 40 if (i // 40) % 2 == 0 else 40 - i % 40)
    now = time.time_ns()
    return BookSnapshot(
        ts_exchange=now,
        ts_local=now,
        instrument_id=INST.id,
        bids=[(bid - k, 500_000) for k in range(10)],
        asks=[(bid + 2 + k, 500_000) for k in range(10)],
    )


def _drain(runner: Runner) -> list[Inbound]:
    batch: list[Inbound] = []
    while not runner.inbox.empty():
        batch.append(runner.inbox.get_nowait())
    return batch


async def sync_cycles(which: str, cycles: int) -> tuple[float, float]:
    """Mean µs of router + dispatch (the strategy and OMS included), requests per cycle.
    The venue's acknowledgements are delivered between cycles, outside the timing."""
    router, runner, venue, strategy = build(which)
    strategy.on_start(runner.ctx)
    books = [book(i) for i in range(cycles + 200)]
    spent = 0
    for n, ev in enumerate(books):
        if n == 200:
            spent, sent_before = 0, venue.requests
        t = time.perf_counter_ns()
        router(ev)
        runner._book_pending = False
        runner._dispatch(strategy, _drain(runner))
        spent += time.perf_counter_ns() - t
        for _ in range(3):
            await asyncio.sleep(0)  # requests reach the venue, its answers come back
    return spent / cycles / 1000, (venue.requests - sent_before) / cycles


async def loop_latency(which: str, cycles: int) -> list[float]:
    """µs from the router call to the request in the venue client's hands."""
    router, runner, venue, _ = build(which)
    task = asyncio.get_running_loop().create_task(runner.run())
    await runner.started.wait()
    lat: list[float] = []
    for i in range(cycles):
        ev = book(i)
        before = venue.requests
        t = time.perf_counter_ns()
        router(ev)
        for _ in range(20):
            await asyncio.sleep(0)
            if venue.requests > before:
                lat.append((venue.last_request_ns - t) / 1000)
                break
    runner.push(Signal.STOP)
    await task
    return sorted(lat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=5000)
    args = ap.parse_args()
    for which in ("grid", "mm"):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
            sync_us, per_cycle = r.run(sync_cycles(which, args.cycles))
            lat = r.run(loop_latency(which, args.cycles))
        line = f"{which:>4}: book update → strategy → OMS {sync_us:.1f} us/cycle"
        line += f" ({per_cycle:.2f} requests/cycle)"
        if lat:
            p50, p99 = statistics.median(lat), lat[int(len(lat) * 0.99)]
            line += f"; router call → request at the venue p50 {p50:.1f} us, p99 {p99:.1f} us"
            line += f" ({len(lat)} of {args.cycles} updates sent a request)"
        else:
            line += f"; no update of {args.cycles} sent a request (nothing to change)"
        print(line)


if __name__ == "__main__":
    main()
