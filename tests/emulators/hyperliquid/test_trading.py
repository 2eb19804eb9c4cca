"""Venue behaviour beyond the basics: triggers, the dead man's switch, leverage, HIP-3,
transfers, closing positions, spot balances, candles, and a replayed market."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import eth_account
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from falconet.data.convert import convert
from falconet.data.format import write_events
from falconet.sim.market import MarketParams, generate
from tests.emulators.hyperliquid.conftest import Running
from tests.emulators.hyperliquid.helpers import post


def wait_for(pred: Callable[[], Any], s: float = 5.0) -> Any:
    deadline = time.monotonic() + s
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.25)  # polls cost IP weight, as on the venue
    raise AssertionError("condition not met in time")


def status(res: Any) -> Any:
    assert res["status"] == "ok", res
    return res["response"]["data"]["statuses"][0]


def mid(info: Info, coin: str) -> Decimal:
    return Decimal(info.all_mids()[coin])


def test_close_position_and_triggers(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emulator.url)
    info = ex.info
    assert "filled" in status(ex.market_open("ETH", True, 0.1))
    m = mid(info, "ETH")
    # take profit far above: waits, shown as a trigger order
    tp = status(ex.order("ETH", False, 0.1, float(round(m * 2, 1)),
                         {"trigger": {"triggerPx": float(round(m * 2, 1)), "isMarket": True,
                                      "tpsl": "tp"}}, reduce_only=True))  # fmt: skip
    front = info.frontend_open_orders(user)
    assert front[0]["oid"] == tp["resting"]["oid"] and front[0]["isTrigger"] is True
    assert front[0]["orderType"] == "Take Profit Market"
    assert front[0]["triggerCondition"].startswith("Price above")
    # a stop above the mark fires at once: the long is closed at market
    stop_px = float(round(m * Decimal("1.01"), 1))
    limit = float(round(m * Decimal("0.95"), 1))
    sl = status(ex.order("ETH", False, 0.1, limit,
                         {"trigger": {"triggerPx": stop_px, "isMarket": True, "tpsl": "sl"}},
                         reduce_only=True))  # fmt: skip
    wait_for(lambda: not info.user_state(user)["assetPositions"])
    fills = info.user_fills(user)
    assert fills[0]["oid"] == sl["resting"]["oid"] and fills[0]["dir"] == "Close Long"
    assert fills[0]["startPosition"] == "0.1"
    assert info.query_order_by_oid(user, sl["resting"]["oid"])["order"]["status"] == "filled"
    # the take profit can no longer reduce anything: it is cancelled when it fires,
    # and cancelling it by hand works while it waits
    assert ex.cancel("ETH", tp["resting"]["oid"])["response"]["data"]["statuses"] == ["success"]


def test_reduce_only_close_and_pnl(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emulator.url)
    assert "filled" in status(ex.market_open("SOL", False, 2.0))
    assert emulator.run(emulator.emu.perp_positions, user) == {"SOL": Decimal(-2)}
    res = status(ex.market_close("SOL"))
    assert res["filled"]["totalSz"] == "2.0"
    fill = ex.info.user_fills(user)[0]
    assert fill["dir"] == "Close Short" and fill["startPosition"] == "-2.0"
    assert Decimal(fill["closedPnl"]) != 0 or Decimal(fill["px"]) > 0
    assert emulator.run(emulator.emu.perp_positions, user) == {}
    value = emulator.run(emulator.emu.usdc_perp, user)
    assert Decimal(99_000) < value < Decimal(100_000)


def test_schedule_cancel(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emulator.url)
    now = int(time.time() * 1000)
    res = ex.schedule_cancel(now + 1000)
    assert res["status"] == "err" and "at least 5 seconds" in res["response"]
    bid = Decimal(ex.info.l2_snapshot("BTC")["levels"][0][0]["px"])
    oid = status(ex.order("BTC", True, 0.001, float(round(bid * Decimal("0.9"))),
                          {"limit": {"tif": "Gtc"}}))["resting"]["oid"]  # fmt: skip
    assert ex.schedule_cancel(now + 5_300) == {"status": "ok", "response": {"type": "default"}}
    assert ex.info.open_orders(user)
    wait_for(lambda: not ex.info.open_orders(user), 8.0)
    assert ex.info.query_order_by_oid(user, oid)["order"]["status"] == "scheduledCancel"


def test_leverage_limits_margin(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emulator.url)
    assert ex.update_leverage(2, "BTC") == {"status": "ok", "response": {"type": "default"}}
    res = ex.update_leverage(100, "BTC")
    assert res["status"] == "err" and "leverage" in res["response"]
    bid = Decimal(ex.info.l2_snapshot("BTC")["levels"][0][0]["px"])
    px = float(round(bid * Decimal("0.9")))
    err = status(ex.order("BTC", True, 5.0, px, {"limit": {"tif": "Gtc"}}))["error"]
    assert err.startswith("Insufficient margin to place order.")
    assert "filled" in status(ex.market_open("BTC", True, 0.01))
    lev = ex.info.user_state(user)["assetPositions"][0]["position"]["leverage"]
    assert lev == {"type": "cross", "value": 2}


def test_builder_dex(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    info = Info(emulator.url, skip_ws=True, perp_dexs=["", "xyz"])
    assert info.coin_to_asset["xyz:XYZ100"] == 110_000
    assert info.meta(dex="xyz")["universe"][0]["name"] == "xyz:XYZ100"
    ex = Exchange(wallet, emulator.url, perp_dexs=["", "xyz"])
    assert "filled" in status(ex.market_open("xyz:XYZ100", True, 0.01))
    assert info.user_state(user, dex="xyz")["assetPositions"][0]["position"]["szi"] == "0.01"
    assert info.user_state(user)["assetPositions"] == []


def test_spot_balances_and_transfers(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emulator.url)
    assert "filled" in status(ex.market_open("@107", False, 10.0))  # sell 10 HYPE
    fill = ex.info.user_fills(user)[0]
    assert fill["feeToken"] == "USDC" and fill["dir"] == "Sell"
    bal = emulator.run(emulator.emu.spot_balances, user)
    assert bal["HYPE"] == 990
    err = status(ex.market_open("@107", False, 5000.0))["error"]
    assert "Insufficient spot balance" in err
    assert ex.usd_class_transfer(1000.0, True)["status"] == "ok"
    assert emulator.run(emulator.emu.usdc_perp, user) == 101_000
    res = ex.usd_class_transfer(10**9, True)
    assert res["status"] == "err"


def test_candles_and_contexts(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(speed=60.0)
    time.sleep(1.5)
    info = Info(emu.url, skip_ws=True)
    now = int(time.time() * 1000) + 120_000
    candles = info.candles_snapshot("BTC", "1m", 0, now)
    assert candles and all(c["t"] % 60_000 == 0 and c["T"] == c["t"] + 59_999 for c in candles)
    assert any(c["n"] > 0 for c in candles)
    assert Decimal(candles[-1]["l"]) <= Decimal(candles[-1]["c"]) <= Decimal(candles[-1]["h"])
    meta, ctxs = info.meta_and_asset_ctxs()
    assert len(meta["universe"]) == len(ctxs) == 4
    spot_meta, spot_ctxs = info.spot_meta_and_asset_ctxs()
    assert {u["name"] for u in spot_meta["universe"]} == {"PURR/USDC", "@107"}
    assert {c["coin"] for c in spot_ctxs} == {"PURR/USDC", "@107"}
    fees = post(emu.url, "/info", {"type": "userFees", "user": "0x" + "1" * 40}).json()
    assert fees["userAddRate"] == "0.00015" and fees["userCrossRate"] == "0.00045"
    dexs = post(emu.url, "/info", {"type": "perpDexs"}).json()
    assert dexs[0] is None and dexs[1]["name"] == "xyz"


def test_replayed_market(make_emulator: Callable[..., Running], tmp_path: Path) -> None:
    params = MarketParams(
        symbol="SOL-PERP", base="SOL", quote="USDC", kind="perp", tick="0.01", lot="0.01",
        start_price="123.45", duration_s=600.0, start_ns=1_700_000_000 * 10**9, seed=3,
    )  # fmt: skip
    path = tmp_path / "sol.parquet"
    write_events(path, generate(params))
    emu = make_emulator(market=str(path))
    info = Info(emu.url, skip_ws=True)
    assert abs(Decimal(info.all_mids()["SOL"]) - Decimal("123.45")) < 5
    wallet = eth_account.Account.create()
    ex = Exchange(wallet, emu.url)
    assert "filled" in status(ex.market_open("SOL", True, 1.0))


def test_resting_orders_fill_as_the_market_moves(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(speed=30.0)
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emu.url)
    placed = None
    for _ in range(10):  # the market moves fast: retry until the post-only order rests
        bid = ex.info.l2_snapshot("PURR/USDC")["levels"][0][0]["px"]
        placed = status(ex.order("PURR/USDC", True, 200.0, float(bid), {"limit": {"tif": "Alo"}}))
        if "resting" in placed:
            break
    assert placed is not None and "resting" in placed, placed
    held = {b["coin"]: b for b in ex.info.spot_user_state(user)["balances"]}
    assert Decimal(held["USDC"]["hold"]) == Decimal(bid) * 200
    fills = wait_for(lambda: ex.info.user_fills(user), 15.0)
    maker = fills[-1]
    assert maker["crossed"] is False and maker["side"] == "B"
    assert maker["feeToken"] == "PURR"
    assert Decimal(maker["fee"]) == Decimal(maker["sz"]) * Decimal("0.0004")  # spot maker


def test_markets_roll_on_with_orders_resting(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(chunk_s=4.0, speed=10.0)
    wallet = eth_account.Account.create()
    user = wallet.address.lower()
    ex = Exchange(wallet, emu.url)
    bid = Decimal(ex.info.l2_snapshot("BTC")["levels"][0][0]["px"])
    oid = status(ex.order("BTC", True, 0.001, float(round(bid * Decimal("0.8"))),
                          {"limit": {"tif": "Gtc"}}))["resting"]["oid"]  # fmt: skip
    time.sleep(2.0)  # 20 simulated seconds: every market has rolled a few times
    assert emu.run(lambda: emu.emu.venue.markets["BTC"].session.chunk) >= 3
    assert [o["oid"] for o in ex.info.open_orders(user)] == [oid]
    assert ex.info.l2_snapshot("BTC")["levels"][0]
    assert emu.emu.pump_errors == 0
    assert ex.cancel("BTC", oid)["response"]["data"]["statuses"] == ["success"]


@pytest.mark.shared_data
def test_replaying_a_real_hyperliquid_hour(
    make_emulator: Callable[..., Running], shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "l2" / "hyperliquid" / "20240101_12_l2Book_BTC.lz4"
    path = tmp_path / "btc.parquet"
    write_events(path, convert("hyperliquid", [source]))
    emu = make_emulator(market=str(path), speed=5.0)
    info = Info(emu.url, skip_ws=True)
    bids, asks = info.l2_snapshot("BTC")["levels"]
    assert Decimal(40_000) < Decimal(bids[0]["px"]) < Decimal(asks[0]["px"]) < Decimal(45_000)
    ex = Exchange(eth_account.Account.create(), emu.url)
    assert "filled" in status(ex.market_open("BTC", False, 0.01))
