"""`HyperliquidEmulator`: the venue on loopback. aiohttp serves POST /info, POST /exchange
and the /ws WebSocket; a pump task runs the simulated markets at the wall clock x speed
and publishes what changed. Faults and rate limits are applied here, at the transport."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from falconet.data.format import read_events
from falconet.emulators.hyperliquid.faults import Faults
from falconet.emulators.hyperliquid.limits import (
    RATE_LIMITED,
    IpWeights,
    exchange_weight,
    info_weight,
)
from falconet.emulators.hyperliquid.settings import EmulatorSettings
from falconet.emulators.hyperliquid.venue import EmulatedVenue, RequestError
from falconet.emulators.hyperliquid.ws import Hub
from falconet.observe.log import get_logger
from falconet.venues.paper.clock import PaperClock

log = get_logger("hl-emulator")


class HyperliquidEmulator:
    def __init__(self, settings: EmulatorSettings | None = None) -> None:
        self.settings = settings or EmulatorSettings()
        self.faults = Faults()
        self.base_url = ""
        self.weights = IpWeights(self.settings.ip_weight_per_min)
        self.pump_errors = 0
        self._venue: EmulatedVenue | None = None
        self._hub: Hub | None = None
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._clock: PaperClock | None = None
        self._speed = self.settings.speed

    @property
    def venue(self) -> EmulatedVenue:
        if self._venue is None:
            raise RuntimeError("the emulator is not started")
        return self._venue

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            raise RuntimeError("the emulator is not started")
        return self._hub

    # --- lifecycle ------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        s = self.settings
        recorded = None if s.market == "sim" else read_events(s.market)
        anchor = time.time_ns()
        if recorded is not None and len(recorded):
            anchor = int(recorded.column("ts_local")[0])  # a recording plays from its start
        clock = self._clock = PaperClock(anchor, s.speed)
        self._venue = EmulatedVenue(s, sim_now_ns=clock.now_ns, recorded=recorded)
        self._hub = Hub(
            self._venue,
            self.faults,
            s.silence_s,
            limited=lambda ip, weight: not self.weights.spend(ip, weight),
        )
        self.faults._drop.append(self._hub.drop_all)
        app = web.Application()
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self._hub.handle)
        app.router.add_post("/_faults", self._faults)
        app.router.add_post("/_fund", self._fund)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = int(sockets[0].getsockname()[1]) if sockets else port
        self.base_url = f"http://{host}:{bound}"
        self._stopping.clear()
        self._pump = asyncio.get_running_loop().create_task(self._run(), name="hl-emulator-pump")
        log.info("hyperliquid emulator listening", url=self.base_url, market=s.market)
        return bound

    def freeze(self) -> None:
        """Stop the market's clock: nothing moves and no resting order fills until `thaw`
        (requests are still answered). For tests that compare views at rest."""
        if self._clock is not None and self._clock.speed:
            self._speed = self._clock.speed
            self._clock.restart_at(self._clock.now_ns())
            self._clock.speed = 0.0

    def thaw(self) -> None:
        if self._clock is not None and not self._clock.speed:
            self._clock.restart_at(self._clock.now_ns())
            self._clock.speed = self._speed

    async def stop(self) -> None:
        self._stopping.set()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._hub is not None:
            await self._hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.pump_s)
            try:
                self.step()
            except Exception as exc:  # one bad step must not stop the venue
                self.pump_errors += 1
                log.error("emulator step failed", error=repr(exc), errors=self.pump_errors)

    def step(self) -> None:
        """Advance the markets to now and publish (the pump does this every pump_s)."""
        self.venue.step()
        self.hub.publish_market()

    # --- HTTP -----------------------------------------------------------------------

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RequestError(400, "Failed to parse the request body as JSON") from None

    def _limited(self, request: web.Request, weight: int) -> bool:
        if self.faults.take_limited():
            return True
        return not self.weights.spend(request.remote or "?", weight)

    async def _info(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._body(request)
            if self._limited(request, info_weight(body)):
                return web.Response(status=429, text=RATE_LIMITED)
            return _json(self.venue.info(body))
        except RequestError as exc:
            return web.Response(status=exc.status, text=exc.text)

    async def _exchange(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._body(request)
            if self._limited(request, exchange_weight(body)):
                return web.Response(status=429, text=RATE_LIMITED)
            answer = self.venue.exchange(body)
        except RequestError as exc:
            return web.Response(status=exc.status, text=exc.text)
        self.hub.publish_market()
        if self.faults.take_lost_ack():
            await self._stopping.wait()  # the action ran; its answer never comes
            return web.Response(status=503, text="emulator stopping")
        if self.faults.ack_delay_s:
            await asyncio.sleep(self.faults.ack_delay_s)
        return _json(answer)

    async def _faults(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not isinstance(body, dict):
            return web.Response(status=422, text="expected a JSON object")
        return _json(self.faults.command(body))

    async def _fund(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, str) or len(user) != 42:
            return web.Response(status=422, text='expected {"user": "0x…"}')
        self.venue.fund(user)
        return _json({"status": "ok"})

    # --- views for end-to-end checks (keyed by lowercase account address) ----------

    def fund(self, user: str) -> None:
        """Create `user`'s account with the starting balances (needed when
        `auto_accounts` is off)."""
        self.venue.fund(user)

    def open_orders(self, user: str) -> list[dict[str, Any]]:
        return self.venue.open_orders_of(user.lower())

    def user_fills(self, user: str) -> list[dict[str, Any]]:
        return self.venue.user_fills(user.lower())

    def spot_balances(self, user: str) -> dict[str, Decimal]:
        acct = self.venue.accounts.get(user.lower())
        return dict(acct.spot) if acct else {}

    def perp_positions(self, user: str) -> dict[str, Decimal]:
        acct = self.venue.accounts.get(user.lower())
        return {c: p.szi for c, p in acct.positions.items() if p.szi} if acct else {}

    def usdc_perp(self, user: str) -> Decimal:
        """Perp account value: USDC plus unrealized pnl at the mids."""
        acct = self.venue.accounts.get(user.lower())
        if acct is None:
            return Decimal(0)
        mids = self.venue.mids()
        return acct.usdc + sum(
            ((mids.get(c, p.entry_px) - p.entry_px) * p.szi for c, p in acct.positions.items()),
            Decimal(0),
        )


def _json(doc: Any) -> web.Response:
    return web.Response(
        text=json.dumps(doc, separators=(",", ":")), content_type="application/json"
    )
