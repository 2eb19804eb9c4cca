"""`PaperVenue`: the simulator behind the venue interface.

Each symbol runs in its own `SimAsset` fed by the market simulator (in chunks of simulated
time, so a session can run for days) or by a recorded event file. A pump task advances
every simulator to the paper clock and publishes what happened: book snapshots when the
top changes, trades, and our orders' events. Balances live in a `Ledger` that refuses
orders the account cannot pay for and moves exactly by each fill.

Like a real venue, it outlives the engine: with a state directory its orders, balances,
fills and clock are written to disk *before* any event is published, so an engine killed
at any point finds, when it restarts, everything the venue ever told it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from falconet.config.runtime import PaperSettings
from falconet.core.enums import OrderType, Side, Venue
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    BalanceUpdate,
    Event,
    Fill,
    OrderAmendRejected,
    OrderCancelRejected,
    OrderEvent,
    OrderRejected,
    PositionUpdate,
)
from falconet.core.instrument import Instrument
from falconet.data.format import EventTable, read_events
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderReport,
    OrderRequest,
    Sink,
    VenueCapabilities,
)
from falconet.observe.log import get_logger
from falconet.sim import layout as L
from falconet.sim import market as market_sim
from falconet.sim.asset import SimAsset
from falconet.sim.models import FeeModel, LatencyModel, SimConfig, VenueProfile
from falconet.venues.paper import markets
from falconet.venues.paper.clock import PaperClock
from falconet.venues.paper.ledger import Ledger
from falconet.venues.paper.session import PaperOrder, SymbolSession
from falconet.venues.paper.store import (
    PaperStore,
    PaperVenueError,
    SavedOrder,
    SavedSymbol,
    SavedVenue,
)

log = get_logger("paper")

PUMP_S = 0.02  # wall seconds between simulator advances
SAVE_EVERY_S = 2.0  # the clock is saved at least this often
KEEP_FILLS = 20_000  # fills kept for `fills_since` (the engine's journal keeps them all)
PAPER_PROFILE = VenueProfile("paper", post_only_reject=True, amend_keeps_priority=True)


class PaperVenue:
    capabilities = VenueCapabilities(amend_keeps_id=True, amend_keeps_priority=True)

    def __init__(
        self,
        settings: PaperSettings,
        symbols: Sequence[str],
        *,
        state_dir: Path | None = None,
        venue: Venue = Venue.PAPER,
        start_ns: int | None = None,
        pump: bool = True,
    ) -> None:
        self.venue = venue
        self.settings = settings
        self.symbols = list(dict.fromkeys(symbols))
        self.store = PaperStore(state_dir, KEEP_FILLS)
        self.sink: Sink | None = None
        self.ledger = Ledger(dict(settings.balances) or _default_balances(self.symbols, settings))
        self.sessions: dict[str, SymbolSession] = {}
        self.by_instrument: dict[str, SymbolSession] = {}
        self.subscribed: set[str] = set()
        self.fills: list[Fill] = []
        self.next_order = 1
        self.next_trade = 1
        self.clock = PaperClock(start_ns or time.time_ns(), float(settings.speed))
        self.recorded: EventTable | None = None
        self._pump: asyncio.Task[None] | None = None
        self._last_save = 0.0
        self._dirty = False
        self._sent_balances: dict[str, tuple[Decimal, Decimal]] = {}
        self.pump_errors = 0
        self.closed = False
        self.loaded = False  # connect() finished: only then is there a state worth saving
        self._new_fills: list[Fill] = []
        self.auto_pump = pump  # False: the caller drives `step` (tests)
        self.started_ns = 0  # paper time when this session connected

    @property
    def time_scale(self) -> float:
        return self.clock.speed

    # --- lifecycle ----------------------------------------------------------------------

    def set_sink(self, sink: Sink) -> None:
        self.sink = sink

    async def connect(self) -> None:
        saved, fills = self.store.load()
        if self.settings.market != "sim":
            self.recorded = read_events(self.settings.market)
        if saved is not None:
            self.clock.restart_at(saved.sim_now)
            self.next_order, self.next_trade = saved.next_order, saved.next_trade
            self.ledger = Ledger({k: Decimal(v) for k, v in saved.balances.items()})
            self.fills = fills
        elif self.recorded is not None and len(self.recorded):
            # a recorded market plays from its beginning, not from today's date
            self.clock.restart_at(int(self.recorded.column("ts_local")[0]))
        now = self.started_ns = self.clock.now_ns()
        for symbol in self.symbols:
            state = saved.symbols.get(symbol) if saved else None
            session = self._session(symbol, state, now)
            session.advance(now)
            session.ev_cursor = int(session.sim.S[L.S_NEV])
            session.tr_cursor = int(session.sim.S[L.S_NTR])
            self.sessions[symbol] = session
            self.by_instrument[session.instrument.id] = session
        if saved is not None:
            for o in saved.orders:
                owner = self.sessions.get(o.symbol)
                if owner is None:
                    log.warning("saved order for a symbol no longer traded", symbol=o.symbol)
                    continue
                order = PaperOrder(
                    o.client_id, o.venue_order_id, o.side, o.price, o.quantity, o.tif,
                    o.order_type, filled=o.filled, accepted=True,
                )  # fmt: skip
                owner.submit(order, carried=True)
            log.info(
                "paper venue restored",
                orders=len(saved.orders),
                fills=len(fills),
                sim_now=saved.sim_now,
            )
        self.loaded = True
        self._save()
        if self.auto_pump:
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="paper-pump")

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
        if self.loaded:  # a venue that never loaded must not overwrite what is on disk
            self._save()

    def instrument(self, symbol: str) -> Instrument:
        try:
            return self.sessions[symbol].instrument
        except KeyError:
            raise PaperVenueError(f"paper venue: no market for {symbol!r}") from None

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        now = self.clock.now_ns()
        for inst in instruments:
            session = self.by_instrument.get(inst.id)
            if session is None:
                raise PaperVenueError(f"paper venue: cannot subscribe to {inst.id}")
            self.subscribed.add(inst.id)
            session.last_top = session.top()
            self._emit(session.book(now))
        self._publish_balances()

    # --- markets ------------------------------------------------------------------------

    def _session(self, symbol: str, state: SavedSymbol | None, now: int) -> SymbolSession:
        fees = (Decimal(self.settings.maker_fee), Decimal(self.settings.taker_fee))
        if self.recorded is not None:
            table = self.recorded
            inst = table.instrument
            start = Decimal(0)
            chunk, chunk_start = 0, int(table.column("ts_local")[0]) if len(table) else now
        else:
            chunk = state.chunk if state else 0
            # a fresh market opened a second ago, so its first book is already there
            chunk_start = state.chunk_start_ns if state else now - 1_000_000_000
            start = (
                Decimal(state.start_price) if state else markets.start_price(symbol, self.settings)
            )
            table = self._chunk(symbol, chunk, chunk_start, start)
            inst = table.instrument
        published = replace(inst, venue=self.venue, symbol=symbol, min_notional=Decimal(5))
        sim = SimAsset(table, self._sim_config())
        return SymbolSession(published, sim, chunk, chunk_start, start, *fees)

    def _chunk(self, symbol: str, chunk: int, start_ns: int, price: Decimal) -> EventTable:
        tick, lot = markets.increments(markets.start_price(symbol, self.settings))
        p = markets.params(
            symbol, self.settings, price=price, tick=tick, lot=lot, start_ns=start_ns, chunk=chunk
        )
        return market_sim.generate(p)

    def _sim_config(self) -> SimConfig:
        latency = float(self.settings.latency_ms)
        return SimConfig(
            latency=LatencyModel.constant(latency, latency),
            fees=FeeModel(float(self.settings.maker_fee), float(self.settings.taker_fee)),
            venue=PAPER_PROFILE,
            partial_fills=True,
        )

    def _roll(self, symbol: str, old: SymbolSession) -> SymbolSession:
        """The next chunk of a simulated market, continuing from the last price, with our
        resting orders carried over."""
        price = old.sim.best_bid() or old.sim.best_ask()
        start = old.instrument.price_decimal(price) if price else old.start_price
        state = SavedSymbol(old.chunk + 1, old.end_ns + 1, f"{start:f}")
        nxt = self._session(symbol, state, old.end_ns + 1)
        old.carry_into(nxt)
        self.sessions[symbol] = nxt
        self.by_instrument[nxt.instrument.id] = nxt
        log.info("paper market rolled", symbol=symbol, chunk=nxt.chunk, price=state.start_price)
        return nxt

    # --- the pump -----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(PUMP_S)
            try:
                self.step()
            except Exception as exc:  # a simulator fault must not stop the venue
                self.pump_errors += 1
                log.error("paper venue step failed", error=str(exc), errors=self.pump_errors)

    def step(self, now: int | None = None) -> None:
        """Advance every market to `now` (default: the paper clock) and publish. What
        happened is written down first; if writing fails it is published anyway (and
        logged): an engine that never hears of a fill is worse than a stale file."""
        now = self.clock.now_ns() if now is None else now
        market: list[Event] = []
        orders: list[OrderEvent] = []
        for symbol in list(self.sessions):
            try:
                self._advance(symbol, now, market, orders)
            except Exception as exc:  # one market's fault must not silence the others
                self.pump_errors += 1
                log.error("paper market step failed", symbol=symbol, error=str(exc))
        if orders:
            self._dirty = True
        wall = time.monotonic()
        if self._dirty or wall - self._last_save >= SAVE_EVERY_S:
            try:
                self._save()  # before anyone hears of it
            except OSError as exc:
                self.pump_errors += 1
                log.error("paper venue state not saved", error=str(exc))
        for event in market:
            self._emit(event)
        for order_event in orders:
            self._emit(order_event)
        if orders:
            self._publish_balances()

    def _advance(
        self, symbol: str, now: int, market: list[Event], orders: list[OrderEvent]
    ) -> None:
        session = self.sessions[symbol]
        while self.recorded is None and now > session.end_ns:
            session.send_deferred()
            session.advance(session.end_ns)
            orders += self._drain(session)
            session = self._roll(symbol, session)
        session.send_deferred()
        session.advance(now)
        orders += self._drain(session)
        if session.instrument.id in self.subscribed:
            market += session.trades()
            top = session.top()
            if top != session.last_top:
                session.last_top = top
                market.append(session.book(now))
        else:
            session.tr_cursor = int(session.sim.S[L.S_NTR])

    def _drain(self, session: SymbolSession) -> list[OrderEvent]:
        events = session.order_events(self.next_trade)
        for event in events:
            if isinstance(event, Fill):
                self.next_trade += 1
                self.ledger.apply_fill(
                    session.instrument, event.side, event.price, event.size, event.fee
                )
                self.fills.append(event)
                self._new_fills.append(event)
        if len(self.fills) > KEEP_FILLS:
            del self.fills[: len(self.fills) - KEEP_FILLS]
        return events

    def _emit(self, event: Event) -> None:
        if self.sink is not None:
            self.sink(event)

    # --- balances ---------------------------------------------------------------------

    def _locks(self) -> dict[str, Decimal]:
        rows = []
        for session in self.sessions.values():
            best_ask = session.sim.best_ask() or 0
            best_bid = session.sim.best_bid() or 0
            for o in session.orders.values():
                price = o.price or (best_ask if o.side is Side.BUY else best_bid)
                rows.append((session.instrument, o.side, price, o.remaining))
        return Ledger.locks(rows)

    def _balance_events(self) -> list[BalanceUpdate]:
        locks = self._locks()
        ts = self.clock.now_ns()
        assets = set(self.ledger.balances) | set(locks)
        return [
            BalanceUpdate(
                ts_exchange=ts,
                ts_local=ts,
                venue=self.venue,
                asset=asset,
                total=self.ledger.get(asset),
                free=self.ledger.get(asset) - locks.get(asset, Decimal(0)),
            )
            for asset in sorted(assets)
        ]

    def _publish_balances(self) -> None:
        for event in self._balance_events():
            key = (event.total, event.free)
            if self._sent_balances.get(event.asset) != key:
                self._sent_balances[event.asset] = key
                self._emit(event)

    # --- requests -----------------------------------------------------------------------

    def _catch_up(self) -> None:
        """Bring the markets to now before a request enters them: between pump steps the
        simulators lag the clock, and an order must not fill before it was sent."""
        if self.auto_pump and not self.closed:
            self.step()

    async def place(self, request: OrderRequest) -> None:
        self._catch_up()
        session = self.by_instrument.get(request.instrument.id)
        ts = self.clock.now_ns()
        base: dict[str, Any] = {
            "ts_exchange": ts,
            "ts_local": ts,
            "instrument_id": request.instrument.id,
            "client_id": request.client_id,
        }
        if session is None:
            reason, kind = "unknown instrument", ErrorKind.INVALID_REQUEST
            self._emit(OrderRejected(**base, reason=reason, kind=kind))
            return
        if request.client_id in session.orders:
            reason, kind = "duplicate client order id", ErrorKind.DUPLICATE
            self._emit(OrderRejected(**base, reason=reason, kind=kind))
            return
        if request.order_type not in (OrderType.LIMIT, OrderType.MARKET):
            reason, kind = f"{request.order_type} orders not supported", ErrorKind.INVALID_REQUEST
            self._emit(OrderRejected(**base, reason=reason, kind=kind))
            return
        price = request.price or 0
        shortfall = self._shortfall(session, request.side, price, request.quantity)
        if shortfall is not None:
            kind = ErrorKind.INSUFFICIENT_FUNDS
            self._emit(OrderRejected(**base, reason=shortfall, kind=kind))
            return
        order = PaperOrder(
            request.client_id,
            f"P{self.next_order}",
            request.side,
            price,
            request.quantity,
            request.time_in_force,
            request.order_type,
        )
        self.next_order += 1
        session.submit(order)

    def _shortfall(
        self,
        session: SymbolSession,
        side: Side,
        price: int,
        size: int,
        replacing: PaperOrder | None = None,
    ) -> str | None:
        """Why the account cannot pay for this order, or None. `replacing`: an order
        being amended, whose current lock is freed by the amend."""
        inst = session.instrument
        if not price:  # market: valued at the far touch, with room for walking the book
            far = session.sim.best_ask() if side is Side.BUY else session.sim.best_bid()
            if far is None:
                return "no liquidity for a market order"
            price = far * 102 // 100 if side is Side.BUY else far
        locks = self._locks()
        if side is Side.BUY:
            asset, need = inst.quote, inst.notional(price, size)
        else:
            asset, need = inst.base, inst.size_decimal(size)
        free = self.ledger.get(asset) - locks.get(asset, Decimal(0))
        if replacing is not None:
            free += Ledger.locks(
                [(inst, replacing.side, replacing.price, replacing.remaining)]
            ).get(asset, Decimal(0))
        if need > free:
            return f"insufficient balance: needs {need} {asset}, {free} free"
        return None

    async def cancel(self, request: CancelRequest) -> None:
        self._catch_up()
        session = self.by_instrument.get(request.instrument.id)
        order = session.orders.get(request.client_id) if session else None
        if session is None or order is None:
            self._emit(
                _answer(OrderCancelRejected, request, self.clock.now_ns(), "order not found")
            )
            return
        session.cancel(order)

    async def amend(self, request: AmendRequest) -> None:
        self._catch_up()
        session = self.by_instrument.get(request.instrument.id)
        order = session.orders.get(request.client_id) if session else None
        if session is None or order is None:
            now = self.clock.now_ns()
            self._emit(_answer(OrderAmendRejected, request, now, "order not found"))
            return
        price = request.price or order.price
        shortfall = self._shortfall(
            session, order.side, price, request.quantity - order.filled, replacing=order
        )
        if shortfall is not None:
            self._emit(_answer(OrderAmendRejected, request, self.clock.now_ns(), shortfall))
            return
        session.amend(order, price, request.quantity)

    # --- queries ------------------------------------------------------------------------

    async def open_orders(self) -> list[OrderReport]:
        return [
            OrderReport(
                client_id=o.client_id,
                venue_order_id=o.venue_order_id,
                instrument_id=s.instrument.id,
                side=o.side,
                price=o.price,
                quantity=o.quantity,
                filled=o.filled,
            )
            for s in self.sessions.values()
            for o in s.orders.values()
            if o.accepted
        ]

    async def fills_since(self, since_ns: int) -> list[Fill]:
        return [f for f in self.fills if f.ts_exchange >= since_ns]

    async def balances(self) -> list[BalanceUpdate]:
        return self._balance_events()

    async def positions(self) -> list[PositionUpdate]:
        return []

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        return f"{self.settings.maker_fee:f}", f"{self.settings.taker_fee:f}"

    # --- persistence --------------------------------------------------------------------

    def _snapshot(self) -> SavedVenue:
        return SavedVenue(
            version=1,
            sim_now=self.clock.now_ns(),
            next_order=self.next_order,
            next_trade=self.next_trade,
            balances={k: f"{v:f}" for k, v in self.ledger.balances.items()},
            symbols={
                sym: SavedSymbol(s.chunk, s.chunk_start_ns, f"{s.start_price:f}")
                for sym, s in self.sessions.items()
            },
            orders=[
                _saved(sym, o)
                for sym, s in self.sessions.items()
                for o in s.orders.values()
                if o.accepted
            ],
        )

    def _save(self) -> None:
        self._dirty = False
        self._last_save = time.monotonic()
        new, self._new_fills = self._new_fills, []
        self.store.append_fills(new, self.fills)
        self.store.save(self._snapshot())


def _answer(
    kind: type[OrderAmendRejected] | type[OrderCancelRejected],
    request: AmendRequest | CancelRequest,
    ts: int,
    reason: str,
) -> OrderEvent:
    return kind(
        ts_exchange=ts,
        ts_local=ts,
        instrument_id=request.instrument.id,
        client_id=request.client_id,
        venue_order_id=request.venue_order_id,
        reason=reason,
    )


def _saved(symbol: str, o: PaperOrder) -> SavedOrder:
    return SavedOrder(
        o.client_id, o.venue_order_id, symbol, o.side, o.price, o.quantity, o.filled, o.tif,
        o.order_type,
    )  # fmt: skip


DEFAULT_QUOTE_BALANCE = Decimal(10_000)
DEFAULT_BASE_VALUE = Decimal(2_000)  # grids sell first: they need coins to start


def _default_balances(symbols: list[str], settings: PaperSettings) -> dict[str, Decimal]:
    """No `paper.balances` configured: 10,000 of each quote currency traded, and about
    2,000 quote's worth of each base asset at its starting price."""
    out: dict[str, Decimal] = {}
    for symbol in symbols:
        base, _, quote = symbol.replace("-", "/").partition("/")
        out[quote or "USD"] = DEFAULT_QUOTE_BALANCE
        price = markets.start_price(symbol, settings)
        out[base] = (DEFAULT_BASE_VALUE / price).quantize(Decimal("0.0001"))
    return dict(sorted(out.items()))
