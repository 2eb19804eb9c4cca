"""`HyperliquidVenue`: the live Hyperliquid adapter (spot and perps) behind `VenueClient`.

One WebSocket carries market data (l2Book snapshots, trades, bbo), the account streams
(userFills, orderUpdates, webData2) and, by default, our orders (`post`); REST is the
fallback for orders and serves every query. A `HealthMonitor` keeps the socket alive
(ping, data-silence watchdog, reconnect with back-off). After every reconnect the
adapter resubscribes, then reconciles: orders, fills since the last one seen, positions
and balances, emitting whatever the engine missed, then runs `on_reconnect` hooks.

Amends are cancel-replace (`batchModify`): the replacement gets the request's
`new_client_id` as its cloid and a new oid, reported in `OrderAmended`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import msgspec

from falconet.core.enums import Venue
from falconet.core.errors import PrecisionError
from falconet.core.ids import IdFormat
from falconet.core.instrument import Instrument
from falconet.engine.errors import (
    VenueError,
    describe_error,
)
from falconet.engine.health.record import ConnectionOptions, ConnectionState, StateChange
from falconet.engine.venue import (
    Sink,
    VenueCapabilities,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import feed
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.actions import (
    schedule_cancel_action,
)
from falconet.venues.hyperliquid.instruments import (
    build_universe,
    dexes_needed,
)
from falconet.venues.hyperliquid.recovery import Recovery
from falconet.venues.hyperliquid.trading import Trading
from falconet.venues.hyperliquid.units import MS

log = get_logger("hyperliquid")

CONNECT_TIMEOUT_S = 30.0
CLOCK_MARGIN_MS = 2_000  # the connect watermark on our clock: this much early (clocks differ)


class HyperliquidVenue(Trading, Recovery):
    venue = Venue.HYPERLIQUID
    capabilities = VenueCapabilities(
        amend_keeps_id=False,
        amend_keeps_priority=False,
        id_format=IdFormat.HEX128,
        inline_books=True,
    )

    # --- lifecycle ----------------------------------------------------------------------

    def set_sink(self, sink: Sink) -> None:
        self._sink = sink

    async def connect(self) -> None:
        # fills before this moment are the engine's to replay (fills_since), not news:
        # the venue's clock when it tells it, else ours less a margin
        self._watermark_ms = self._clock_ns() // MS - CLOCK_MARGIN_MS
        await self._load_markets()
        if self.user is not None:
            await self._venue_watermark()
        for symbol in self.settings.symbols:
            self.instruments[symbol] = self.universe.bind(symbol)
        if self.user is not None:
            await self._load_fees()
            for sub in self._account_subscriptions():
                await self.socket.subscribe(sub)
        self.monitor.register(
            self.socket,
            ConnectionOptions(
                ping_interval_s=min(self.settings.ping_s, 50.0),
                data_timeout_s=self.settings.silence_s,
            ),
        )
        self.monitor.add_listener(self._on_state)
        self.monitor.start()
        try:
            await asyncio.wait_for(self.monitor.wait_connected(self.socket.name), CONNECT_TIMEOUT_S)
        except TimeoutError:
            await self.close()
            raise VenueError(
                f"hyperliquid: websocket {self.settings.ws_url} did not connect in "
                f"{CONNECT_TIMEOUT_S:g} s",
                venue="hyperliquid",
            ) from None
        if self.user is not None:
            await self._refresh_account()
        if self.executor is not None:
            await self._sync_budget()
            if self.settings.leverage is not None:
                await self._pin_leverage(self.settings.leverage)
            if self.settings.dead_man_s is not None:
                self._dead_man = asyncio.get_running_loop().create_task(
                    self._run_dead_man(self.settings.dead_man_s), name="hl-dead-man"
                )
        self._started = True

    async def _venue_watermark(self) -> None:
        try:
            state = await self._clearinghouse("")
        except (VenueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.info("venue time not available: local clock used", error=describe_error(exc))
            return
        if state.time:
            self._watermark_ms = state.time

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._dead_man is not None:
            self._dead_man.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._dead_man
            if self.executor is not None:
                with contextlib.suppress(Exception):  # best effort: clear the switch
                    await asyncio.wait_for(self.executor.submit(schedule_cancel_action(None)), 3)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.socket.name in self.monitor.names:
            await self.monitor.remove(self.socket.name)
        if self._own_monitor:
            await self.monitor.stop()
        await self.socket.close()
        await self.rest.close()

    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            inst = self.instruments[symbol] = self.universe.bind(symbol)
        return inst

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        for inst in instruments:
            coin = self._market(inst).coin
            await self.socket.subscribe({"type": "l2Book", "coin": coin})
            await self.socket.subscribe({"type": "trades", "coin": coin})

    def _account_subscriptions(self) -> list[dict[str, Any]]:
        user = self.user
        return [
            {"type": "userFills", "user": user},
            {"type": "orderUpdates", "user": user},
            {"type": "webData2", "user": user},
        ]

    # --- metadata -----------------------------------------------------------------------

    async def _load_markets(self) -> None:
        meta = msgs.ANY.decode(await self.rest.info({"type": "meta"}))
        spot = msgs.ANY.decode(await self.rest.info({"type": "spotMeta"}))
        dex_metas = []
        wanted = dexes_needed(self.settings.symbols)
        if wanted:
            dexes = msgs.ANY.decode(await self.rest.info({"type": "perpDexs"}))
            for index, row in enumerate(dexes):
                if isinstance(row, dict) and row.get("name") in wanted:
                    name = str(row["name"])
                    body = {"type": "meta", "dex": name}
                    dex_metas.append((name, index, msgs.ANY.decode(await self.rest.info(body))))
        self.universe = build_universe(meta, spot, dex_metas)
        log.info("hyperliquid markets loaded", markets=len(self.universe), dexes=len(dex_metas))

    async def _load_fees(self) -> None:
        try:
            raw = await self.rest.info({"type": "userFees", "user": self.user})
            self._fees = msgs.USER_FEES.decode(raw)
        except (VenueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.info("fee rates not available", error=describe_error(exc))
            self._fees = None

    def _on_data(self) -> None:
        if self.socket.name in self.monitor.names:
            self.monitor.record_data(self.socket.name)

    def _on_lost(self, reason: str) -> None:
        if self.socket.name in self.monitor.names and not self._closed:
            self.monitor.report_failure(self.socket.name, reason)

    def _on_state(self, change: StateChange) -> None:
        if change.name != self.socket.name or change.new is not ConnectionState.CONNECTED:
            return
        if self._started and not self._closed:
            self.counts["reconnects"] += 1
            self._spawn(self._recover())

    def _on_frame(self, channel: str, data: msgspec.Raw, raw: bytes, ts: int) -> None:
        try:
            if channel == "l2Book":
                if self.settings.top_of_book_only:
                    self._on_book_top(raw, data, ts)
                else:
                    self._on_book(msgs.BOOK.decode(data), ts)
            elif channel == "trades":
                self._on_trades(msgs.TRADES.decode(data), ts)
            elif channel == "bbo":
                bbo = msgs.BBO.decode(data)
                inst = self.universe.instrument_for_coin(bbo.coin)
                top = feed.top_of_book(inst, bbo, ts) if inst is not None else None
                if top is not None:
                    self._emit(top)
            elif channel == "allMids":
                for coin, text in msgs.ALL_MIDS.decode(data).mids.items():
                    inst = self.universe.instrument_for_coin(coin)
                    if inst is not None:
                        self._mids[coin] = feed.mid(inst, text)
            elif channel == "userFills":
                self._on_fills(msgs.USER_FILLS.decode(data), ts)
            elif channel == "orderUpdates":
                for update in msgs.ORDER_UPDATES.decode(data):
                    self._on_order_update(update, ts)
            elif channel == "webData2":
                self._on_web_data(msgs.WEB_DATA2.decode(data), ts)
        except (msgspec.DecodeError, msgspec.ValidationError, PrecisionError) as exc:
            self.counts["decode_errors"] += 1
            log.warning(
                "malformed frame",
                channel=channel,
                error=describe_error(exc),
                errors=self.counts["decode_errors"],
                frame=raw[:200].decode("utf-8", "replace"),
            )

    def _on_book(self, book: msgs.Book, ts: int) -> None:
        inst = self.universe.instrument_for_coin(book.coin)
        if inst is None:
            return
        snap = feed.book_snapshot(inst, book, ts)
        if snap.bids and snap.asks:
            self._mids[book.coin] = (snap.bids[0][0] + snap.asks[0][0]) // 2
        self._emit(snap)

    def _on_book_top(self, raw: bytes, data: msgspec.Raw, ts: int) -> None:
        coin = feed.frame_coin(raw) or msgs.BOOK.decode(data).coin
        inst = self.universe.instrument_for_coin(coin)
        if inst is None:
            return
        top = feed.book_top_from_frame(inst, raw, ts)
        if top is not None:
            self._mids[coin] = (top.bid_px + top.ask_px) // 2
            self._emit(top)

    def _on_trades(self, rows: list[msgs.WsTrade], ts: int) -> None:
        if not rows:
            return
        inst = self.universe.instrument_for_coin(rows[0].coin)
        if inst is not None:
            for trade in feed.trades(inst, rows, ts):
                self._emit(trade)

    # --- stats --------------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, int]:
        s = self.socket.stats
        ex = self.executor.stats if self.executor is not None else None
        waits = self.limiter.stats.waits + self.limiter.stats.backoffs + self.budget.stats.waits
        return {
            "decode_errors": self.counts["decode_errors"] + s["decode_errors"],
            "reconnects": self.counts["reconnects"],
            "rate_limit_waits": waits,
            "rate_limit_errors": self.limiter.stats.limit_errors,
            "address_budget_refused": self.budget.refused,
            "posts": ex.ws_posts if ex else 0,
            "rest_fallbacks": ex.rest_fallbacks if ex else 0,
            "resends_avoided": ex.resends_avoided if ex else 0,
            "rest_requests": self.rest.requests,
            "frames": s["frames"],
            "handler_errors": s["handler_errors"],
            "post_timeouts": s["post_timeouts"],
            "duplicate_fills": self.counts["duplicate_fills"],
            "snapshot_fills_skipped": self.counts["snapshot_fills_skipped"],
            "recover_errors": self.counts["recover_errors"],
            "dead_man_errors": self.counts["dead_man_errors"],
        }
