"""`HyperliquidVenue`: the live Hyperliquid adapter (spot and perps) behind `VenueClient`.

One WebSocket carries market data (l2Book snapshots, trades, bbo), the account streams
(userFills, orderUpdates, webData2) and, by default, our orders (`post`); REST is the
fallback for orders and serves every query. A `HealthMonitor` keeps the socket alive
(ping, data-silence watchdog, reconnect with back-off). After every reconnect the
adapter resubscribes, then reconciles: orders, fills since the last one seen, positions
and balances, emitting whatever the engine missed, then runs `on_reconnect` hooks.

Amends are cancel-replace (`batchModify`): the replacement gets the request's
`new_client_id` as its cloid and a new oid, reported in `OrderAmended`.

The venue is a facade over parts that share one `HlState`: `MarketFeed` (market data),
`Queries` (REST reads), `Ledger` (account streams and reports, the flip guard),
`Trading` (orders and account actions) and `Recovery` (after a reconnect). It owns the
connection's lifecycle and routes each frame to the part that reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal

import msgspec

from falconet.core.enums import Side, Venue
from falconet.core.errors import PrecisionError
from falconet.core.events import BalanceUpdate, Bar, Fill, PositionUpdate
from falconet.core.ids import IdFormat
from falconet.core.instrument import Instrument
from falconet.engine.errors import VenueError, describe_error
from falconet.engine.health.monitor import HealthMonitor
from falconet.engine.health.record import ConnectionOptions, ConnectionState, StateChange
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderReport,
    OrderRequest,
    Sink,
    VenueCapabilities,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid.execution import Executor, SignerLike
from falconet.venues.hyperliquid.feed import MarketFeed
from falconet.venues.hyperliquid.instruments import Universe
from falconet.venues.hyperliquid.ledger import Ledger
from falconet.venues.hyperliquid.nonces import NonceSource
from falconet.venues.hyperliquid.orders import OrderTracker
from falconet.venues.hyperliquid.queries import Queries
from falconet.venues.hyperliquid.ratelimit import AddressBudget, WeightLimiter
from falconet.venues.hyperliquid.recovery import Recovery
from falconet.venues.hyperliquid.rest import RestClient
from falconet.venues.hyperliquid.settings import HyperliquidSettings
from falconet.venues.hyperliquid.state import HlState
from falconet.venues.hyperliquid.trading import Trading
from falconet.venues.hyperliquid.units import MS
from falconet.venues.hyperliquid.ws import HyperliquidSocket

log = get_logger("hyperliquid")

CONNECT_TIMEOUT_S = 30.0
CLOCK_MARGIN_MS = 2_000  # the connect watermark on our clock: this much early (clocks differ)


class HyperliquidVenue:
    venue = Venue.HYPERLIQUID
    capabilities = VenueCapabilities(
        amend_keeps_id=False,
        amend_keeps_priority=False,
        id_format=IdFormat.HEX128,
        inline_books=True,
    )

    def __init__(
        self,
        settings: HyperliquidSettings,
        *,
        signer: SignerLike | None = None,
        nonces: NonceSource | None = None,
        monitor: HealthMonitor | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        # the socket's callbacks are this object's: it routes frames to the parts below
        self.state = HlState(
            settings,
            on_frame=self._on_frame,
            on_lost=self._on_lost,
            on_data=self._on_data,
            signer=signer,
            nonces=nonces,
            monitor=monitor,
            clock_ns=clock_ns,
        )
        self.feed = MarketFeed(self.state)
        self.queries = Queries(self.state)
        self.ledger = Ledger(self.state, self.queries)
        self.trading = Trading(self.state, self.ledger, self.feed)
        self.recovery = Recovery(self.state, self.ledger, self.queries, self.trading)

    def __repr__(self) -> str:
        return f"HyperliquidVenue(base_url={self.settings.base_url!r}, user={self.user!r})"

    # --- the shared state, as the adapter showed it before it had parts -------------------

    @property
    def settings(self) -> HyperliquidSettings:
        return self.state.settings

    @property
    def user(self) -> str | None:
        return self.state.user

    @property
    def signer(self) -> SignerLike | None:
        return self.state.signer

    @property
    def socket(self) -> HyperliquidSocket:
        return self.state.socket

    @property
    def rest(self) -> RestClient:
        return self.state.rest

    @property
    def monitor(self) -> HealthMonitor:
        return self.state.monitor

    @property
    def limiter(self) -> WeightLimiter:
        return self.state.limiter

    @property
    def budget(self) -> AddressBudget:
        return self.state.budget

    @property
    def rate_budget(self) -> AddressBudget:
        """Spent by the engine's OMS (engine.venue.RateBudget)."""
        return self.state.budget

    @property
    def nonces(self) -> NonceSource:
        return self.state.nonces

    @property
    def executor(self) -> Executor | None:
        return self.state.executor

    @property
    def tracker(self) -> OrderTracker:
        return self.state.tracker

    @property
    def universe(self) -> Universe:
        return self.state.universe

    @universe.setter
    def universe(self, universe: Universe) -> None:
        self.state.universe = universe

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self.state.instruments

    @property
    def on_reconnect(self) -> list[Callable[[], Awaitable[None]]]:
        return self.state.on_reconnect

    @property
    def counts(self) -> dict[str, int]:
        return self.state.counts

    # --- lifecycle ----------------------------------------------------------------------

    def set_sink(self, sink: Sink) -> None:
        self.state.sink = sink

    async def connect(self) -> None:
        state = self.state
        # fills before this moment are the engine's to replay (fills_since), not news:
        # the venue's clock when it tells it, else ours less a margin
        self.ledger.watermark_ms = state.clock_ns() // MS - CLOCK_MARGIN_MS
        await self.feed.load_markets()
        if state.user is not None:
            await self.ledger.venue_watermark()
        for symbol in state.settings.symbols:
            state.instruments[symbol] = state.universe.bind(symbol)
        if state.user is not None:
            await self.ledger.load_fees()
            for sub in self.ledger.subscriptions():
                await state.socket.subscribe(sub)
        await self._start_monitor()
        if state.user is not None:
            await self.ledger.refresh_account()
        if state.executor is not None:
            await self.queries.sync_budget()
            if state.settings.leverage is not None:
                await self.trading.pin_leverage(state.settings.leverage)
            if state.settings.dead_man_s is not None:
                self.trading.start_dead_man(state.settings.dead_man_s)
        state.started = True

    async def _start_monitor(self) -> None:
        """Hand the socket to the health monitor and wait for it to connect."""
        state = self.state
        state.monitor.register(
            state.socket,
            ConnectionOptions(
                ping_interval_s=min(state.settings.ping_s, 50.0),
                data_timeout_s=state.settings.silence_s,
            ),
        )
        state.monitor.add_listener(self._on_state)
        state.monitor.start()
        try:
            await asyncio.wait_for(
                state.monitor.wait_connected(state.socket.name), CONNECT_TIMEOUT_S
            )
        except TimeoutError:
            await self.close()
            raise VenueError(
                f"hyperliquid: websocket {state.settings.ws_url} did not connect in "
                f"{CONNECT_TIMEOUT_S:g} s",
                venue="hyperliquid",
            ) from None

    async def close(self) -> None:
        state = self.state
        if state.closed:
            return
        state.closed = True
        await self.trading.stop_dead_man()
        for task in list(state.tasks):
            task.cancel()
        for task in list(state.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if state.socket.name in state.monitor.names:
            await state.monitor.remove(state.socket.name)
        if state.own_monitor:
            await state.monitor.stop()
        await state.socket.close()
        await state.rest.close()

    def instrument(self, symbol: str) -> Instrument:
        inst = self.state.instruments.get(symbol)
        if inst is None:
            inst = self.state.instruments[symbol] = self.state.universe.bind(symbol)
        return inst

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        await self.feed.subscribe(instruments)

    # --- the socket's callbacks -----------------------------------------------------------

    def _on_data(self) -> None:
        if self.state.socket.name in self.state.monitor.names:
            self.state.monitor.record_data(self.state.socket.name)

    def _on_lost(self, reason: str) -> None:
        state = self.state
        if state.socket.name in state.monitor.names and not state.closed:
            state.monitor.report_failure(state.socket.name, reason)

    def _on_state(self, change: StateChange) -> None:
        state = self.state
        if change.name != state.socket.name or change.new is not ConnectionState.CONNECTED:
            return
        if state.started and not state.closed:
            state.counts["reconnects"] += 1
            state.spawn(self.recovery.recover())

    def _on_frame(self, channel: str, data: msgspec.Raw, raw: bytes, ts: int) -> None:
        try:
            if channel in Ledger.CHANNELS:
                self.ledger.on_frame(channel, data, ts)
            else:
                self.feed.on_frame(channel, data, raw, ts)
        except (msgspec.DecodeError, msgspec.ValidationError, PrecisionError) as exc:
            counts = self.state.counts
            counts["decode_errors"] += 1
            log.warning(
                "malformed frame",
                channel=channel,
                error=describe_error(exc),
                errors=counts["decode_errors"],
                frame=raw[:200].decode("utf-8", "replace"),
            )

    # --- orders and account actions (Trading) -------------------------------------------

    async def place(self, request: OrderRequest) -> None:
        await self.trading.place(request)

    async def amend(self, request: AmendRequest) -> None:
        await self.trading.amend(request)

    async def cancel(self, request: CancelRequest) -> None:
        await self.trading.cancel(request)

    async def update_leverage(self, instrument: Instrument, leverage: int, is_cross: bool) -> None:
        await self.trading.update_leverage(instrument, leverage, is_cross)

    async def usd_class_transfer(self, amount: Decimal, to_perp: bool) -> None:
        """Move USDC between the spot and perp balances."""
        await self.trading.usd_class_transfer(amount, to_perp)

    # --- queries (Queries, Ledger, MarketFeed) --------------------------------------------

    async def open_orders(self) -> list[OrderReport]:
        return await self.queries.open_orders()

    async def fills_since(self, since_ns: int) -> list[Fill]:
        return await self.queries.fills_since(since_ns)

    async def balances(self) -> list[BalanceUpdate]:
        return await self.queries.balances()

    async def positions(self) -> list[PositionUpdate]:
        return await self.queries.positions()

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        return self.ledger.fee_rates(instrument)

    async def flip_guard(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> bool:
        """True when the venue's position allows the order (see `Ledger.flip_problem`)."""
        return await self.ledger.flip_guard(instrument, side, quantity, exit=exit)

    async def candles(
        self, instrument: Instrument, interval: str, start_ms: int, end_ms: int
    ) -> list[Bar]:
        """History for warm-up (candleSnapshot; the venue keeps the latest 5000 bars)."""
        return await self.feed.candles(instrument, interval, start_ms, end_ms)

    # --- stats --------------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, int]:
        state = self.state
        s = state.socket.stats
        ex = state.executor.stats if state.executor is not None else None
        limiter, budget = state.limiter, state.budget
        waits = limiter.stats.waits + limiter.stats.backoffs + budget.stats.waits
        return {
            "decode_errors": state.counts["decode_errors"] + s["decode_errors"],
            "reconnects": state.counts["reconnects"],
            "rate_limit_waits": waits,
            "rate_limit_errors": limiter.stats.limit_errors,
            "address_budget_refused": budget.refused,
            "posts": ex.ws_posts if ex else 0,
            "rest_fallbacks": ex.rest_fallbacks if ex else 0,
            "resends_avoided": ex.resends_avoided if ex else 0,
            "rest_requests": state.rest.requests,
            "frames": s["frames"],
            "handler_errors": s["handler_errors"],
            "post_timeouts": s["post_timeouts"],
            "duplicate_fills": state.counts["duplicate_fills"],
            "snapshot_fills_skipped": state.counts["snapshot_fills_skipped"],
            "recover_errors": state.counts["recover_errors"],
            "dead_man_errors": state.counts["dead_man_errors"],
        }
