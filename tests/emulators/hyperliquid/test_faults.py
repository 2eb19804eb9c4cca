"""Faults on command (Python API and HTTP), and rate limits."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal

import eth_account
import pytest
import requests
from websockets.exceptions import ConnectionClosed

from tests.emulators.hyperliquid.conftest import Running
from tests.emulators.hyperliquid.helpers import noop, post, signed_body
from tests.emulators.hyperliquid.test_ws import book, open_ws, order_action, subscribe, until


def test_drop_ws(emulator: Running) -> None:
    with open_ws(emulator) as ws:
        subscribe(ws, {"type": "allMids"})
        emulator.emu.faults.drop_ws()
        with pytest.raises(ConnectionClosed):
            for _ in range(1000):
                ws.recv(3)


def test_delay_acks(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    emulator.emu.faults.delay_acks(0.6)
    started = time.monotonic()
    assert noop(emulator.url, wallet)["status"] == "ok"
    assert time.monotonic() - started >= 0.6
    emulator.emu.faults.delay_acks(0)
    started = time.monotonic()
    noop(emulator.url, wallet)
    assert time.monotonic() - started < 0.5


def test_lost_ack_still_executes(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    bid = Decimal(book(emulator, "ETH")["levels"][0][0]["px"])
    px = str((bid * Decimal("0.9")).quantize(Decimal("0.1")))
    emulator.emu.faults.lose_acks(1)
    action = order_action(emulator, 1, True, px, "0.01", "Gtc")
    cloid = "0x" + "42" * 16
    action["orders"][0]["c"] = cloid
    with pytest.raises(requests.Timeout):
        post(emulator.url, "/exchange", signed_body(wallet, action), timeout=1.0)
    assert len(emulator.run(emulator.emu.open_orders, user)) == 1
    # what a client does after a lost answer: ask by its cloid
    found = post(emulator.url, "/info", {"type": "orderStatus", "user": user, "oid": cloid})
    assert found.json()["order"]["status"] == "open"
    # the next one is answered again; over WS a lost ack is simply never sent
    assert noop(emulator.url, wallet)["status"] == "ok"
    emulator.emu.faults.lose_acks(1)
    with open_ws(emulator) as ws:
        request = {"type": "action", "payload": signed_body(wallet, {"type": "noop"})}
        ws.send(json.dumps({"method": "post", "id": 1, "request": request}))
        request = {"type": "action", "payload": signed_body(wallet, {"type": "noop"})}
        ws.send(json.dumps({"method": "post", "id": 2, "request": request}))
        answer = until(ws, lambda m: m["channel"] == "post")
        assert answer["data"]["id"] == 2


def test_duplicate_fills(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    emulator.emu.faults.duplicate_fills(1)
    with open_ws(emulator) as ws:
        subscribe(ws, {"type": "userFills", "user": wallet.address})
        until(ws, lambda m: m["channel"] == "userFills")  # the snapshot
        ask = Decimal(book(emulator, "ETH")["levels"][1][0]["px"])
        action = order_action(emulator, 1, True, str(ask + 10), "0.01", "Ioc")
        res = post(emulator.url, "/exchange", signed_body(wallet, action)).json()
        assert "filled" in res["response"]["data"]["statuses"][0], res
        a = until(ws, lambda m: m["channel"] == "userFills")["data"]
        b = until(ws, lambda m: m["channel"] == "userFills")["data"]
        assert a == b and a["fills"][0]["tid"] == b["fills"][0]["tid"]


def test_rate_limit_on_command(emulator: Running) -> None:
    emulator.emu.faults.rate_limit(2)
    assert post(emulator.url, "/info", {"type": "meta"}).status_code == 429
    assert post(emulator.url, "/info", {"type": "meta"}).status_code == 429
    assert post(emulator.url, "/info", {"type": "meta"}).status_code == 200
    emulator.emu.faults.rate_limit(1)
    with open_ws(emulator) as ws:
        request = {"type": "info", "payload": {"type": "allMids"}}
        ws.send(json.dumps({"method": "post", "id": 3, "request": request}))
        answer = until(ws, lambda m: m["channel"] == "post")["data"]
        assert answer["id"] == 3 and answer["response"]["type"] == "error"


def test_faults_over_http(emulator: Running) -> None:
    state = post(emulator.url, "/_faults", {"rate_limit": 1, "delay_acks": 0.25}).json()
    assert state["rate_limit"] == 1 and state["delay_acks"] == 0.25
    assert post(emulator.url, "/info", {"type": "meta"}).status_code == 429
    assert post(emulator.url, "/_faults", {"clear": True}).json()["delay_acks"] == 0.0
    with open_ws(emulator) as ws:
        subscribe(ws, {"type": "allMids"})
        post(emulator.url, "/_faults", {"drop_ws": True})
        with pytest.raises(ConnectionClosed):
            for _ in range(1000):
                ws.recv(3)


def test_ip_weight_limit(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(ip_weight_per_min=50)
    assert post(emu.url, "/info", {"type": "meta"}).status_code == 200  # 20
    assert post(emu.url, "/info", {"type": "meta"}).status_code == 200  # 40
    assert post(emu.url, "/info", {"type": "l2Book", "coin": "BTC"}).status_code == 200  # 42
    assert post(emu.url, "/info", {"type": "meta"}).status_code == 429
    assert post(emu.url, "/info", {"type": "allMids"}).status_code == 200  # 44


def test_address_budget(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(address_initial_budget=3)
    wallet = eth_account.Account.create()
    for _ in range(3):
        assert noop(emu.url, wallet)["status"] == "ok"
    res = noop(emu.url, wallet)
    assert res["status"] == "err" and res["response"].startswith("Too many cumulative requests")
    limit = post(emu.url, "/info", {"type": "userRateLimit", "user": wallet.address}).json()
    assert limit == {"cumVlm": "0.0", "nRequestsUsed": 3, "nRequestsCap": 3}
