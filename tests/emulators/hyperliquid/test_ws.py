"""The /ws protocol: greeting, subscriptions and their acks, channels, ping, post."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import eth_account
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.emulators.hyperliquid.conftest import Running
from tests.emulators.hyperliquid.helpers import signed_body


def ws_url(emu: Running) -> str:
    return "ws" + emu.url[4:] + "/ws"


class Client:
    """A WebSocket that keeps what it has read, so messages can be awaited in any order."""

    def __init__(self, emu: Running) -> None:
        self.ws: ClientConnection = connect(ws_url(emu)).__enter__()
        assert self.ws.recv(5) == "Websocket connection established."
        self.seen: list[dict[str, Any]] = []

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()

    def send(self, text: str) -> None:
        self.ws.send(text)

    def recv(self, timeout: float) -> Any:
        return self.ws.recv(timeout)


def open_ws(emu: Running) -> Client:
    return Client(emu)


def until(ws: Client, pred: Callable[[dict[str, Any]], bool], s: float = 5) -> Any:
    for i, msg in enumerate(ws.seen):
        if pred(msg):
            return ws.seen.pop(i)
    deadline = time.monotonic() + s
    while True:
        msg = json.loads(ws.recv(max(0.01, deadline - time.monotonic())))
        if pred(msg):
            return msg
        ws.seen.append(msg)


def subscribe(ws: Client, sub: dict[str, Any]) -> None:
    ws.send(json.dumps({"method": "subscribe", "subscription": sub}))
    ack = until(ws, lambda m: m["channel"] == "subscriptionResponse")
    assert ack["data"] == {"method": "subscribe", "subscription": sub}


def order_action(emu: Running, coin_asset: int, is_buy: bool, px: str, sz: str, tif: str) -> Any:
    return {
        "type": "order",
        "orders": [
            {"a": coin_asset, "b": is_buy, "p": px, "s": sz, "r": False,
             "t": {"limit": {"tif": tif}}}
        ],
        "grouping": "na",
    }  # fmt: skip


def book(emu: Running, coin: str) -> Any:
    return emu.run(emu.emu.venue.l2_book, coin)


def test_channels_and_post(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    with open_ws(emulator) as ws:
        ws.send(json.dumps({"method": "ping"}))
        assert until(ws, lambda m: m["channel"] == "pong") == {"channel": "pong"}
        subscribe(ws, {"type": "l2Book", "coin": "BTC"})
        first = until(ws, lambda m: m["channel"] == "l2Book")["data"]
        assert first["coin"] == "BTC" and len(first["levels"]) == 2
        subscribe(ws, {"type": "bbo", "coin": "BTC"})
        assert until(ws, lambda m: m["channel"] == "bbo")["data"]["bbo"][0]["px"]
        subscribe(ws, {"type": "allMids"})
        assert "BTC" in until(ws, lambda m: m["channel"] == "allMids")["data"]["mids"]
        subscribe(ws, {"type": "userFills", "user": wallet.address})
        snap = until(ws, lambda m: m["channel"] == "userFills")["data"]
        assert snap == {"isSnapshot": True, "user": user, "fills": []}
        subscribe(ws, {"type": "orderUpdates", "user": wallet.address})
        subscribe(ws, {"type": "userEvents", "user": wallet.address})
        subscribe(ws, {"type": "webData2", "user": wallet.address})
        wd = until(ws, lambda m: m["channel"] == "webData2")["data"]
        assert "clearinghouseState" in wd and "spotState" in wd

        # post: info
        ws.send(json.dumps({"method": "post", "id": 7,
                            "request": {"type": "info", "payload": {"type": "meta"}}}))  # fmt: skip
        post = until(ws, lambda m: m["channel"] == "post")["data"]
        assert post["id"] == 7 and post["response"]["type"] == "info"
        assert post["response"]["payload"]["data"]["universe"][0]["name"] == "BTC"

        # post: a marketable order, then its fill on every user channel
        ask = Decimal(book(emulator, "BTC")["levels"][1][0]["px"])
        action = order_action(emulator, 0, True, str(ask + 100), "0.001", "Ioc")
        body = signed_body(wallet, action)
        ws.send(json.dumps({"method": "post", "id": 8,
                            "request": {"type": "action", "payload": body}}))  # fmt: skip
        post = until(ws, lambda m: m["channel"] == "post")["data"]
        assert post["id"] == 8 and post["response"]["type"] == "action"
        status = post["response"]["payload"]["response"]["data"]["statuses"][0]
        oid = status["filled"]["oid"]
        fill = until(ws, lambda m: m["channel"] == "userFills")["data"]
        assert fill["user"] == user and fill["fills"][0]["oid"] == oid
        assert "isSnapshot" not in fill
        upd = until(ws, lambda m: m["channel"] == "orderUpdates" and
                    m["data"][0]["status"] == "filled")["data"]  # fmt: skip
        assert upd[0]["order"]["oid"] == oid and upd[0]["order"]["origSz"] == "0.001"
        event = until(ws, lambda m: m["channel"] == "user")["data"]
        assert event["fills"][0]["oid"] == oid

        # a refused order is reported under its rejection status
        bid = Decimal(book(emulator, "BTC")["levels"][0][0]["px"])
        action = order_action(emulator, 0, False, str(bid - 50), "0.001", "Alo")
        action["orders"][0]["c"] = "0x" + "07" * 16
        body = signed_body(wallet, action)
        ws.send(json.dumps({"method": "post", "id": 9,
                            "request": {"type": "action", "payload": body}}))  # fmt: skip
        post = until(ws, lambda m: m["channel"] == "post")["data"]
        status = post["response"]["payload"]["response"]["data"]["statuses"][0]
        assert status["error"].startswith("Post only order would have immediately matched")
        upd = until(ws, lambda m: m["channel"] == "orderUpdates" and
                    m["data"][0]["status"] == "badAloPxRejected")["data"]  # fmt: skip
        assert upd[0]["order"]["cloid"] == "0x" + "07" * 16

        ws.send(json.dumps({"method": "unsubscribe",
                            "subscription": {"type": "l2Book", "coin": "BTC"}}))  # fmt: skip
        ack = until(ws, lambda m: m["channel"] == "subscriptionResponse")
        assert ack["data"]["method"] == "unsubscribe"


def test_market_channels(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(speed=20.0)
    with open_ws(emu) as ws:
        subscribe(ws, {"type": "trades", "coin": "ETH"})
        trades = until(ws, lambda m: m["channel"] == "trades", 10)["data"]
        assert trades[0]["coin"] == "ETH" and trades[0]["side"] in ("A", "B")
        subscribe(ws, {"type": "candle", "coin": "ETH", "interval": "1m"})
        candle = until(ws, lambda m: m["channel"] == "candle", 10)["data"]
        assert candle["s"] == "ETH" and candle["i"] == "1m" and candle["t"] % 60_000 == 0
        coarse = {"type": "l2Book", "coin": "BTC", "nSigFigs": 3}
        subscribe(ws, coarse)
        book = until(ws, lambda m: m["channel"] == "l2Book", 10)["data"]
        assert all(Decimal(lv["px"]) % 100 == 0 for lv in book["levels"][0])
        assert book["levels"][0][0]["n"] > 1
        ws.send(json.dumps({"method": "subscribe",
                            "subscription": {"type": "l2Book", "coin": "NOPE"}}))  # fmt: skip
        assert until(ws, lambda m: m["channel"] == "error")["data"].startswith("Invalid")


def test_silent_connection_is_closed(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(silence_s=0.5)
    with open_ws(emu) as ws, pytest.raises(ConnectionClosed):
        for _ in range(100):
            ws.recv(3)
