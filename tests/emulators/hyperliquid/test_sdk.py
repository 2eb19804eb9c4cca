"""The official hyperliquid-python-sdk, unchanged, against the emulator."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

from tests.emulators.hyperliquid.conftest import Running


def _passive_buy_px(info: Info, coin: str) -> float:
    book = info.l2_snapshot(coin)
    best_bid = Decimal(book["levels"][0][0]["px"])
    return float(best_bid * Decimal("0.95"))


def test_trading_round_trip(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    info = Info(emulator.url, skip_ws=True)
    ex = Exchange(wallet, emulator.url)
    assert info.coin_to_asset["BTC"] == 0
    assert info.coin_to_asset["PURR/USDC"] == 10000

    px = round(float(f"{_passive_buy_px(info, 'ETH'):.5g}"), 2)
    res = ex.order("ETH", True, 0.01, px, {"limit": {"tif": "Alo"}})
    assert res["status"] == "ok", res
    oid = res["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [o["oid"] for o in info.open_orders(user)] == [oid]
    front = info.frontend_open_orders(user)
    assert front[0]["oid"] == oid and front[0]["tif"] == "Alo"
    assert emulator.run(emulator.emu.open_orders, user)[0]["oid"] == oid

    # modify is cancel-replace: a new oid
    res = ex.modify_order(oid, "ETH", True, 0.02, px, {"limit": {"tif": "Gtc"}})
    assert res["status"] == "ok", res
    new_oid = res["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert new_oid != oid
    orders = info.open_orders(user)
    assert [(o["oid"], o["sz"]) for o in orders] == [(new_oid, "0.02")]
    assert info.query_order_by_oid(user, oid)["order"]["status"] == "canceled"

    res = ex.cancel("ETH", new_oid)
    assert res["response"]["data"]["statuses"] == ["success"]
    res = ex.cancel("ETH", new_oid)
    assert "never placed" in res["response"]["data"]["statuses"][0]["error"]

    cloid = Cloid.from_str("0x" + "ab" * 16)
    res = ex.order("ETH", True, 0.01, px, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    assert "resting" in res["response"]["data"]["statuses"][0], res
    assert info.open_orders(user)[0]["cloid"] == cloid.to_raw()
    assert info.query_order_by_cloid(user, cloid)["order"]["status"] == "open"
    res = ex.cancel_by_cloid("ETH", cloid)
    assert res["response"]["data"]["statuses"] == ["success"]
    assert info.open_orders(user) == []

    # marketable: fills, and shows in fills and in the account
    res = ex.market_open("ETH", True, 0.05)
    filled = res["response"]["data"]["statuses"][0]["filled"]
    assert Decimal(filled["totalSz"]) == Decimal("0.05")
    fills = info.user_fills(user)
    assert fills and fills[0]["oid"] == filled["oid"] and fills[0]["dir"] == "Open Long"
    assert fills[0]["feeToken"] == "USDC" and Decimal(fills[0]["fee"]) > 0
    state = info.user_state(user)
    pos = state["assetPositions"][0]["position"]
    assert pos["coin"] == "ETH" and pos["szi"] == "0.05"
    assert emulator.run(emulator.emu.perp_positions, user) == {"ETH": Decimal("0.05")}

    # spot: a buy pays its fee in the base token
    res = ex.market_open("PURR/USDC", True, 100)
    assert "filled" in res["response"]["data"]["statuses"][0], res
    spot = {b["coin"]: b for b in info.spot_user_state(user)["balances"]}
    assert Decimal("100000") < Decimal(spot["PURR"]["total"]) < Decimal("100100")
    assert info.user_fills(user)[0]["feeToken"] == "PURR"


def test_venue_errors(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    info = Info(emulator.url, skip_ws=True)
    ex = Exchange(wallet, emulator.url)
    ask = Decimal(info.l2_snapshot("BTC")["levels"][1][0]["px"])
    res = ex.order("BTC", True, 0.001, float(ask + 10), {"limit": {"tif": "Alo"}})
    err = res["response"]["data"]["statuses"][0]["error"]
    assert err.startswith("Post only order would have immediately matched"), err
    res = ex.order("BTC", True, 0.001, 50000.5, {"limit": {"tif": "Gtc"}})
    assert res["response"]["data"]["statuses"][0]["error"].startswith(
        "Price must be divisible by tick size."
    )
    res = ex.order("BTC", True, 0.0001, 50000, {"limit": {"tif": "Gtc"}})
    assert res["response"]["data"]["statuses"][0]["error"].startswith(
        "Order must have minimum value of $10."
    )
    res = ex.order("BTC", True, 100.0, 50000, {"limit": {"tif": "Gtc"}})
    assert res["response"]["data"]["statuses"][0]["error"].startswith(
        "Insufficient margin to place order."
    )
    res = ex.order("BTC", False, 0.001, 70000, {"limit": {"tif": "Gtc"}}, reduce_only=True)
    assert res["response"]["data"]["statuses"][0]["error"].startswith(
        "Reduce only order would increase position."
    )


def test_sdk_websocket(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    info = Info(emulator.url, skip_ws=False)
    got: dict[str, list[Any]] = {"l2Book": [], "userFills": []}
    seen = threading.Event()

    def on(msg: Any) -> None:
        got[msg["channel"]].append(msg["data"])
        if len(got["userFills"]) >= 2:
            seen.set()

    try:
        info.subscribe({"type": "l2Book", "coin": "ETH"}, on)
        info.subscribe({"type": "userFills", "user": user}, on)
        deadline = time.monotonic() + 5
        while len(got["userFills"]) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert got["userFills"][0]["isSnapshot"] is True
        ex = Exchange(wallet, emulator.url)
        res = ex.market_open("ETH", True, 0.01)
        assert "filled" in res["response"]["data"]["statuses"][0], res
        assert seen.wait(5)
        assert got["userFills"][1]["fills"][0]["coin"] == "ETH"
        assert got["l2Book"] and got["l2Book"][0]["coin"] == "ETH"
        assert {"px", "sz", "n"} <= set(got["l2Book"][0]["levels"][0][0])
    finally:
        info.disconnect_websocket()
