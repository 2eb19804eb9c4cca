"""A small fake Hyperliquid for the adapter's tests: POST /info, POST /exchange and the
/ws WebSocket on one aiohttp server on 127.0.0.1, port 0.

It is not an emulator: it keeps just enough state (orders by cloid, fills, positions) to
answer what the adapter asks, and exposes knobs to misbehave on command (silent posts,
inner-status errors, 429s, dropped sockets). Every request it saw is recorded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

USER = "0x14791697260e4c9a71f18484c9f997b308e59325"  # the test key's address

META = {
    "universe": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
        {"name": "ETH", "szDecimals": 4, "maxLeverage": 50},
    ]
}
SPOT_META = {
    "universe": [
        {"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True},
        {"tokens": [2, 0], "name": "@1", "index": 1, "isCanonical": False},
    ],
    "tokens": [
        {"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0},
        {"name": "PURR", "szDecimals": 0, "weiDecimals": 5, "index": 1},
        {"name": "HYPE", "szDecimals": 2, "weiDecimals": 8, "index": 2},
    ],
}


@dataclass
class Knobs:
    silent_posts: int = 0  # action posts to swallow without an answer
    apply_silent: bool = True  # whether a swallowed post is still acted on
    late_apply: bool = False  # a swallowed post is acted on right after the next orderStatus
    inner_error: str | None = None  # the next order gets {"error": ...} inside "ok"
    http_429: int = 0  # the next N HTTP requests are refused with 429
    action_rate_limited: int = 0  # the next N actions get a rate-limit refusal
    address_budget_spent: int = 0  # the next N actions: the per-address budget is spent
    post_errors: int = 0  # the next N action posts are answered {"type":"error"} (429 text)
    ack_subscriptions: bool = True
    answer_pings: bool = True
    # request kind ("exchange" or an info type) -> the next N such HTTP requests hang for
    # stall_s and are not acted on (the client times out)
    stall: dict[str, int] = field(default_factory=dict)
    stall_s: float = 1.0
    fail_info: dict[str, int] = field(default_factory=dict)  # info type -> next N get a 500
    rest_rate_limited: int = 0  # the next N REST /exchange actions get a rate-limit refusal
    fill_on_modify: str | None = None  # a batchModify post: the old order fills this first
    cancel_update_on_modify: bool = False  # a batchModify post: orderUpdates "canceled" first
    modify_error: str | None = None  # the next modify is refused, the old order untouched


@dataclass
class FakeOrder:
    oid: int
    cloid: str | None
    coin: str
    side: str
    px: str
    sz: str
    orig_sz: str
    status: str = "open"
    timestamp: int = 1_700_000_000_000


@dataclass
class FakeHyperliquid:
    knobs: Knobs = field(default_factory=Knobs)
    info_calls: list[dict[str, Any]] = field(default_factory=list)
    exchange_calls: list[dict[str, Any]] = field(default_factory=list)
    ws_received: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, str] = field(default_factory=dict)  # coin -> szi
    spot_usdc: str = "500.0"
    nonces: set[int] = field(default_factory=set)
    connections: int = 0
    next_oid: int = 1000
    port: int = 0
    late: list[dict[str, Any]] = field(default_factory=list)
    time_ms: int = 1_700_000_000_000  # the venue's clock (clearinghouseState "time")
    next_tid: int = 900_000

    def __post_init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_post("/info", self._info)
        self.app.router.add_post("/exchange", self._exchange_http)
        self.app.router.add_get("/ws", self._ws)
        self.sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> int:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def drop_sockets(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()

    async def push(self, channel: str, data: Any) -> None:
        text = json.dumps({"channel": channel, "data": data})
        for ws in list(self.sockets):
            await ws.send_str(text)

    async def push_raw(self, text: str) -> None:
        for ws in list(self.sockets):
            await ws.send_str(text)

    def subscriptions(self) -> list[dict[str, Any]]:
        return [m["subscription"] for m in self.ws_received if m.get("method") == "subscribe"]

    def actions(self, kind: str) -> list[dict[str, Any]]:
        """Every action of this type acted on, over either transport."""
        return [c["action"] for c in self.exchange_calls if c["action"]["type"] == kind]

    # --- the venue ----------------------------------------------------------------------

    def add_fill(
        self,
        oid: int,
        coin: str,
        side: str,
        px: str,
        sz: str,
        *,
        tid: int,
        time: int,
        cloid: str | None = None,
        crossed: bool = False,
    ) -> dict[str, Any]:
        fill = {
            "coin": coin,
            "px": px,
            "sz": sz,
            "side": side,
            "time": time,
            "startPosition": "0",
            "dir": "Open Long",
            "closedPnl": "0",
            "hash": "0xabc",
            "oid": oid,
            "crossed": crossed,
            "fee": "0.01",
            "tid": tid,
            "feeToken": "USDC",
        }
        if cloid is not None:
            fill["cloid"] = cloid
        self.fills.append(fill)
        return fill

    def open_orders(self) -> list[FakeOrder]:
        return [o for o in self.orders.values() if o.status == "open"]

    def _by_cloid(self, cloid: str) -> FakeOrder | None:
        for o in reversed(self.orders.values()):  # the newest order with that cloid
            if o.cloid == cloid:
                return o
        return None

    def _place(self, wire: dict[str, Any]) -> dict[str, Any]:
        coin = META["universe"][wire["a"]]["name"] if wire["a"] < 10000 else "PURR/USDC"
        if self.knobs.inner_error is not None:
            error, self.knobs.inner_error = self.knobs.inner_error, None
            return {"error": error}
        oid = self.next_oid
        self.next_oid += 1
        order = FakeOrder(
            oid,
            wire.get("c"),
            str(coin),
            "B" if wire["b"] else "A",
            wire["p"],
            wire["s"],
            wire["s"],
        )
        self.orders[oid] = order
        return {"resting": {"oid": oid}}

    def _cancel(self, order: FakeOrder | None) -> Any:
        if order is None or order.status != "open":
            return {"error": "Order was never placed, already canceled, or filled."}
        order.status = "canceled"
        return "success"

    def act(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.knobs.action_rate_limited > 0:
            self.knobs.action_rate_limited -= 1
            return {"status": "err", "response": "Rate limited: too many requests"}
        if self.knobs.address_budget_spent > 0:
            self.knobs.address_budget_spent -= 1
            text = "Too many cumulative requests sent (10001 > 10000) for cumulative volume"
            return {"status": "err", "response": text}
        nonce = int(body["nonce"])
        if nonce in self.nonces:
            return {"status": "err", "response": "Invalid nonce: duplicate nonce"}
        self.nonces.add(nonce)
        self.exchange_calls.append(body)
        action = body["action"]
        kind = action["type"]
        if kind == "order":
            statuses = [self._place(w) for w in action["orders"]]
            return _ok("order", statuses)
        if kind == "cancel":
            return _ok("cancel", [self._cancel(self.orders.get(c["o"])) for c in action["cancels"]])
        if kind == "cancelByCloid":
            return _ok(
                "cancel", [self._cancel(self._by_cloid(c["cloid"])) for c in action["cancels"]]
            )
        if kind == "batchModify":
            out = []
            for mod in action["modifies"]:
                target = mod["oid"]
                old = self.orders.get(target) if isinstance(target, int) else self._by_cloid(target)
                if old is None or old.status != "open":
                    out.append({"error": "Cannot modify canceled or filled order"})
                    continue
                if self.knobs.modify_error is not None:
                    out.append({"error": self.knobs.modify_error})
                    self.knobs.modify_error = None
                    continue
                old.status = "canceled"
                out.append(self._place(mod["order"]))
            return _ok("batchModify", out)
        return {"status": "ok", "response": {"type": "default"}}

    def info(self, body: dict[str, Any]) -> Any:
        kind = body["type"]
        if kind == "meta":
            return META
        if kind == "spotMeta":
            return SPOT_META
        if kind == "perpDexs":
            return [None]
        if kind == "userFees":
            return {"userAddRate": "0.00015", "userCrossRate": "0.00045"}
        if kind == "l2Book":
            return book_msg(body["coin"], [("100.0", "1.0")], [("101.0", "2.0")])
        if kind == "frontendOpenOrders":
            return [
                {
                    "coin": o.coin,
                    "side": o.side,
                    "limitPx": o.px,
                    "sz": o.sz,
                    "oid": o.oid,
                    "timestamp": o.timestamp,
                    "origSz": o.orig_sz,
                    "cloid": o.cloid,
                    "reduceOnly": False,
                    "orderType": "Limit",
                    "tif": "Alo",
                }
                for o in self.open_orders()
            ]
        if kind == "orderStatus":
            key = body["oid"]
            order = self.orders.get(key) if isinstance(key, int) else self._by_cloid(key)
            if order is None:
                return {"status": "unknownOid"}
            return {
                "status": "order",
                "order": {
                    "order": {
                        "coin": order.coin,
                        "side": order.side,
                        "limitPx": order.px,
                        "sz": order.sz,
                        "oid": order.oid,
                        "timestamp": order.timestamp,
                        "origSz": order.orig_sz,
                        "cloid": order.cloid,
                    },
                    "status": order.status,
                    "statusTimestamp": order.timestamp,
                },
            }
        if kind in ("userFillsByTime", "userFills"):
            start = body.get("startTime", 0)
            end = body.get("endTime") or 2**62
            rows = [f for f in self.fills if start <= f["time"] <= end]
            return sorted(rows, key=lambda f: -f["time"])[:2000]
        if kind == "clearinghouseState":
            return {
                "assetPositions": [
                    {"position": {"coin": c, "szi": s, "entryPx": "100.0"}, "type": "oneWay"}
                    for c, s in self.positions.items()
                ],
                "marginSummary": {"accountValue": "1000.0", "totalNtlPos": "0"},
                "withdrawable": "900.0",
                "time": self.time_ms,
            }
        if kind == "spotClearinghouseState":
            return {
                "balances": [{"coin": "USDC", "token": 0, "hold": "10.0", "total": self.spot_usdc}]
            }
        return {}

    # --- HTTP -----------------------------------------------------------------------------

    def _throttled(self) -> web.Response | None:
        if self.knobs.http_429 > 0:
            self.knobs.http_429 -= 1
            return web.Response(status=429, text="rate limited")
        return None

    async def _stalled(self, kind: str) -> web.Response | None:
        if self.knobs.stall.get(kind, 0) > 0:
            self.knobs.stall[kind] -= 1
            await asyncio.sleep(self.knobs.stall_s)
            return web.Response(status=504, text="stalled")
        if self.knobs.fail_info.get(kind, 0) > 0:
            self.knobs.fail_info[kind] -= 1
            return web.Response(status=500, text="server error")
        return None

    async def _info(self, request: web.Request) -> web.Response:
        refused = self._throttled()
        if refused is not None:
            return refused
        body = await request.json()
        self.info_calls.append(body)
        stalled = await self._stalled(body["type"])
        if stalled is not None:
            return stalled
        answer = web.json_response(self.info(body))
        if body["type"] == "orderStatus":
            while self.late:  # the lost post turns up just after the check
                self.act(self.late.pop(0))
        return answer

    async def _exchange_http(self, request: web.Request) -> web.Response:
        refused = self._throttled()
        if refused is not None:
            return refused
        body = await request.json()
        stalled = await self._stalled("exchange")
        if stalled is not None:
            return stalled
        if self.knobs.rest_rate_limited > 0:
            self.knobs.rest_rate_limited -= 1
            return web.json_response({"status": "err", "response": "Too many requests sent"})
        return web.json_response(self.act(body))

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        self.sockets.append(ws)
        await ws.send_str("Websocket connection established.")
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            body = json.loads(msg.data)
            self.ws_received.append(body)
            await self._on_ws(ws, body)
        if ws in self.sockets:
            self.sockets.remove(ws)
        return ws

    async def _on_ws(self, ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
        method = body.get("method")
        if method == "ping":
            if self.knobs.answer_pings:
                await ws.send_str('{"channel":"pong"}')
        elif method == "subscribe":
            if self.knobs.ack_subscriptions:
                ack = {"method": "subscribe", "subscription": body["subscription"]}
                await ws.send_str(json.dumps({"channel": "subscriptionResponse", "data": ack}))
            sub = body["subscription"]
            if sub["type"] == "userFills":
                snapshot = {"user": sub["user"], "isSnapshot": True, "fills": list(self.fills)}
                await ws.send_str(json.dumps({"channel": "userFills", "data": snapshot}))
        elif method == "post":
            request = body["request"]
            if request["type"] == "action":
                if self.knobs.post_errors > 0:
                    self.knobs.post_errors -= 1
                    error = {"type": "error", "payload": "429 Too Many Requests"}
                    reply = {"id": body["id"], "response": error}
                    await ws.send_str(json.dumps({"channel": "post", "data": reply}))
                    return
                await self._before_modify(request["payload"])
                if self.knobs.silent_posts > 0:
                    self.knobs.silent_posts -= 1
                    if self.knobs.late_apply:
                        self.late.append(request["payload"])
                    elif self.knobs.apply_silent:
                        self.act(request["payload"])
                    return
                payload: Any = self.act(request["payload"])
            else:
                payload = self.info(request["payload"])
            reply = {"id": body["id"], "response": {"type": request["type"], "payload": payload}}
            await ws.send_str(json.dumps({"channel": "post", "data": reply}))

    async def _before_modify(self, payload: dict[str, Any]) -> None:
        """What the venue streams about the old order while a batchModify is on its way:
        a fill on it, or its cancel (the knobs)."""
        action = payload["action"]
        if action["type"] != "batchModify":
            return
        for mod in action["modifies"]:
            target = mod["oid"]
            old = self.orders.get(target) if isinstance(target, int) else self._by_cloid(target)
            if old is None or old.status != "open":
                continue
            size = self.knobs.fill_on_modify
            if size is not None:
                self.knobs.fill_on_modify = None
                self.next_tid += 1
                fill = self.add_fill(
                    old.oid, old.coin, old.side, old.px, size, tid=self.next_tid,
                    time=self.time_ms + 1, cloid=old.cloid,
                )  # fmt: skip
                old.sz = f"{float(old.sz) - float(size):.8g}"
                await self.push("userFills", {"user": USER, "fills": [fill]})
            if self.knobs.cancel_update_on_modify:
                update = {
                    "coin": old.coin, "side": old.side, "limitPx": old.px, "sz": old.sz,
                    "oid": old.oid, "timestamp": old.timestamp, "origSz": old.orig_sz,
                    "cloid": old.cloid,
                }  # fmt: skip
                status = {"order": update, "status": "canceled", "statusTimestamp": 2}
                await self.push("orderUpdates", [status])


def _ok(kind: str, statuses: list[Any]) -> dict[str, Any]:
    return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}


def book_msg(
    coin: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]], time: int = 1
) -> dict[str, Any]:
    return {
        "coin": coin,
        "time": time,
        "levels": [
            [{"px": p, "sz": s, "n": 1} for p, s in bids],
            [{"px": p, "sz": s, "n": 1} for p, s in asks],
        ],
    }


async def until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until `predicate()` holds (the loop keeps running meanwhile)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
