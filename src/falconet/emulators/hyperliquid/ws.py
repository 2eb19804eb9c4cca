"""The /ws endpoint: subscriptions and their channels, ping/pong, and `post` requests
(info and actions over the socket). Each connection has its own send queue, so one slow
reader never holds up the pump."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from falconet.emulators.hyperliquid.faults import Faults
from falconet.emulators.hyperliquid.limits import RATE_LIMITED, exchange_weight, info_weight
from falconet.emulators.hyperliquid.numbers import wire
from falconet.emulators.hyperliquid.venue import INTERVALS_MS, EmulatedVenue, RequestError

GREETING = "Websocket connection established."
COIN_CHANNELS = {"l2Book", "trades", "bbo", "candle", "activeAssetCtx"}
USER_CHANNELS = {"userFills", "orderUpdates", "userEvents", "webData2", "userFundings",
                 "userNonFundingLedgerUpdates", "notification"}  # fmt: skip
WEBDATA_EVERY_S = 1.0


@dataclass(eq=False)  # identity: connections live in a set
class Connection:
    ws: web.WebSocketResponse
    ip: str
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    subs: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> subscription

    def send(self, channel: str, data: Any) -> None:
        self.queue.put_nowait(json.dumps({"channel": channel, "data": data}))

    def wants(self, kind: str, **match: str) -> bool:
        for sub in self.subs.values():
            if sub.get("type") == kind and all(
                str(sub.get(k, "")).lower() == v.lower() for k, v in match.items()
            ):
                return True
        return False


def _key(sub: dict[str, Any]) -> str:
    norm = {k: (v.lower() if k == "user" and isinstance(v, str) else v) for k, v in sub.items()}
    return json.dumps(norm, sort_keys=True)


class Hub:
    def __init__(
        self,
        venue: EmulatedVenue,
        faults: Faults,
        silence_s: float,
        limited: Callable[[str, int], bool] = lambda ip, weight: False,
    ) -> None:
        self.venue = venue
        self.faults = faults
        self.limited = limited  # (ip, weight) -> over the IP's budget
        self.silence_s = silence_s
        self.conns: set[Connection] = set()
        self._last_webdata = 0.0
        self._mids_sent: dict[str, str] = {}
        self.loop = asyncio.get_running_loop()
        self._closing: set[asyncio.Task[None]] = set()
        venue.listeners.fills.append(self._user_fills)
        venue.listeners.orders.append(self._order_updates)
        venue.listeners.user_events.append(self._user_events)

    # --- connections ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        conn = Connection(ws, request.remote or "?")
        self.conns.add(conn)
        writer = asyncio.get_running_loop().create_task(self._write(conn))
        conn.queue.put_nowait(GREETING)
        try:
            while True:
                try:
                    msg = await ws.receive(timeout=self.silence_s)
                except TimeoutError:
                    break  # silent too long: the venue hangs up
                if msg.type != WSMsgType.TEXT:
                    break
                await self._on_message(conn, msg.data)
        finally:
            self.conns.discard(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await writer
            await ws.close()
        return ws

    async def _write(self, conn: Connection) -> None:
        while True:
            text = await conn.queue.get()
            if text is None or conn.ws.closed:
                return
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def drop_all(self) -> None:
        """Close every connection (callable from any thread)."""
        self.loop.call_soon_threadsafe(self._drop_now)

    def _drop_now(self) -> None:
        for conn in list(self.conns):
            task = self.loop.create_task(self._close(conn))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close(self, conn: Connection) -> None:
        with contextlib.suppress(Exception):
            await conn.ws.close()

    async def close_all(self) -> None:
        for conn in list(self.conns):
            with contextlib.suppress(Exception):
                await conn.ws.close()

    # --- requests -------------------------------------------------------------------

    async def _on_message(self, conn: Connection, text: str) -> None:
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            conn.send("error", f"Invalid JSON: {text[:100]}")
            return
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            conn.queue.put_nowait(json.dumps({"channel": "pong"}))
        elif method in ("subscribe", "unsubscribe"):
            self._subscription(conn, str(method), msg.get("subscription"))
        elif method == "post":
            await self._post(conn, msg)
        else:
            conn.send("error", f"Unknown method: {text[:100]}")

    def _subscription(self, conn: Connection, method: str, sub: Any) -> None:
        kind = sub.get("type") if isinstance(sub, dict) else None
        if not isinstance(sub, dict) or not isinstance(kind, str):
            conn.send("error", f"Invalid subscription {json.dumps(sub)}")
            return
        if kind in COIN_CHANNELS and sub.get("coin") not in self.venue.markets:
            conn.send("error", f"Invalid subscription {json.dumps(sub)}")
            return
        if kind == "candle" and sub.get("interval") not in INTERVALS_MS:
            conn.send("error", f"Invalid subscription {json.dumps(sub)}")
            return
        if kind == "l2Book" and sub.get("nSigFigs") not in (None, 2, 3, 4, 5):
            conn.send("error", f"Invalid subscription {json.dumps(sub)}")
            return
        if kind in USER_CHANNELS and not isinstance(sub.get("user"), str):
            conn.send("error", f"Invalid subscription {json.dumps(sub)}")
            return
        key = _key(sub)
        if method == "unsubscribe":
            if conn.subs.pop(key, None) is None:
                conn.send("error", f"Already unsubscribed: {json.dumps(sub)}")
                return
            conn.send("subscriptionResponse", {"method": method, "subscription": sub})
            return
        if key in conn.subs:
            conn.send("error", f"Already subscribed: {json.dumps(sub)}")
            return
        conn.subs[key] = sub
        conn.send("subscriptionResponse", {"method": method, "subscription": sub})
        self._snapshot(conn, sub)

    def _snapshot(self, conn: Connection, sub: dict[str, Any]) -> None:
        kind, v = sub["type"], self.venue
        if kind == "l2Book":
            conn.send("l2Book", v.l2_book(sub["coin"], sub.get("nSigFigs")))
        elif kind == "bbo":
            conn.send("bbo", v.bbo(sub["coin"]))
        elif kind == "allMids":
            conn.send("allMids", {"mids": v.all_mids()})
        elif kind == "userFills":
            user = sub["user"].lower()
            conn.send("userFills", {"isSnapshot": True, "user": user, "fills": v.user_fills(user)})
        elif kind == "webData2":
            conn.send("webData2", self._webdata(sub["user"].lower()))
        elif kind == "orderUpdates":
            pass  # no snapshot: updates only, as on the venue

    async def _post(self, conn: Connection, msg: dict[str, Any]) -> None:
        rid = msg.get("id")
        request = msg.get("request")
        kind = request.get("type") if isinstance(request, dict) else None
        payload = request.get("payload") if isinstance(request, dict) else None

        def answer(rtype: str, body: Any) -> None:
            conn.send("post", {"id": rid, "response": {"type": rtype, "payload": body}})

        weight = exchange_weight(payload) if kind == "action" else info_weight(payload)
        if self.faults.take_limited() or self.limited(conn.ip, weight):
            answer("error", RATE_LIMITED)
            return
        try:
            if kind == "info":
                answer("info", {"type": payload.get("type") if isinstance(payload, dict)
                                else None, "data": self.venue.info(payload)})  # fmt: skip
                return
            if kind != "action":
                answer("error", f"Unknown post request type: {kind}")
                return
            result = self.venue.exchange(payload)
        except RequestError as exc:
            answer("error", exc.text)
            return
        self.publish_market()
        if self.faults.take_lost_ack():
            return
        if self.faults.ack_delay_s:
            await asyncio.sleep(self.faults.ack_delay_s)
        answer("action", result)

    # --- publishing -----------------------------------------------------------------

    def publish_market(self) -> None:
        v = self.venue
        changed, v.book_changed = v.book_changed, set()
        trades = {n: m.unsent_trades for n, m in v.markets.items() if m.unsent_trades}
        for m in v.markets.values():
            m.unsent_trades = []
        if not self.conns:
            return
        mids = v.all_mids()
        mids_changed = mids != self._mids_sent
        self._mids_sent = mids
        loop_now = asyncio.get_running_loop().time()
        webdata = loop_now - self._last_webdata >= WEBDATA_EVERY_S
        if webdata:
            self._last_webdata = loop_now
        for conn in list(self.conns):
            for sub in list(conn.subs.values()):
                coin = str(sub.get("coin"))
                if coin not in changed:
                    continue
                if sub["type"] == "l2Book":
                    conn.send("l2Book", v.l2_book(coin, sub.get("nSigFigs")))
                elif sub["type"] == "bbo":
                    conn.send("bbo", v.bbo(coin))
                elif sub["type"] == "candle" and sub.get("interval") in INTERVALS_MS:
                    candle = v.last_candle(coin, str(sub["interval"]))
                    if candle is not None:
                        conn.send("candle", candle)
            for coin, rows in trades.items():
                if conn.wants("trades", coin=coin):
                    conn.send("trades", [_trade(coin, t) for t in rows])
            if mids_changed and conn.wants("allMids"):
                conn.send("allMids", {"mids": mids})
            if webdata:
                for sub in conn.subs.values():
                    if sub.get("type") == "webData2":
                        conn.send("webData2", self._webdata(str(sub["user"]).lower()))

    def _webdata(self, user: str) -> dict[str, Any]:
        v = self.venue
        return {
            "clearinghouseState": v.clearinghouse(user),
            "spotState": v.spot_clearinghouse(user),
            "openOrders": v.open_orders_of(user, frontend=True),
            "serverTime": v.wall_ms(),
            "user": user,
        }

    def _user_fills(self, user: str, fills: list[dict[str, Any]]) -> None:
        for conn in list(self.conns):
            if conn.wants("userFills", user=user):
                conn.send("userFills", {"user": user, "fills": fills})
                if self.faults.take_duplicate():
                    conn.send("userFills", {"user": user, "fills": fills})

    def _order_updates(self, user: str, updates: list[dict[str, Any]]) -> None:
        for conn in list(self.conns):
            if conn.wants("orderUpdates", user=user):
                conn.send("orderUpdates", updates)

    def _user_events(self, user: str, event: dict[str, Any]) -> None:
        for conn in list(self.conns):
            if conn.wants("userEvents", user=user):
                conn.send("user", event)


def _trade(coin: str, t: Any) -> dict[str, Any]:
    return {
        "coin": coin,
        "side": "B" if t.is_buy else "A",
        "px": wire(t.px),
        "sz": wire(t.sz),
        "time": t.ts_ms,
        "hash": "0x" + "0" * 64,
        "tid": t.ts_ms,
        "users": ["0x0000000000000000000000000000000000000000"] * 2,
    }
