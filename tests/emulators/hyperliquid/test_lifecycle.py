"""Running the emulator on the caller's own event loop, and from the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal

import aiohttp

from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from tests.emulators.hyperliquid.helpers import post


async def test_on_the_callers_loop() -> None:
    emu = HyperliquidEmulator(EmulatorSettings(seed=3))
    port = await emu.start(port=0)
    try:
        assert emu.base_url == f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(emu.base_url + "/info", json={"type": "allMids"}) as resp:
                mids = await resp.json()
            assert set(mids) >= {"BTC", "ETH", "SOL", "HYPE", "PURR/USDC", "@107"}
            async with http.ws_connect(emu.base_url + "/ws") as ws:
                assert (await ws.receive_str()) == "Websocket connection established."
                await ws.send_json({"method": "subscribe",
                                    "subscription": {"type": "l2Book", "coin": "SOL"}})  # fmt: skip
                ack = await ws.receive_json()
                assert ack["channel"] == "subscriptionResponse"
                book = await ws.receive_json()
                assert book["channel"] == "l2Book" and book["data"]["coin"] == "SOL"
        emu.step()
        user = "0x" + "ab" * 20
        assert emu.open_orders(user) == [] and emu.user_fills(user) == []
        assert emu.perp_positions(user) == {} and emu.usdc_perp(user) == Decimal(0)
        emu.fund(user)
        assert emu.spot_balances(user)["USDC"] == Decimal(100_000)
        assert emu.usdc_perp(user) == Decimal(100_000)
    finally:
        await emu.stop()


def test_cli_prints_the_url_and_stops_on_sigint() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "falconet", "emulate", "hyperliquid", "--port", "0",
         "--seed", "5", "--speed", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert post(url, "/info", {"type": "meta"}).json()["universe"][0]["name"] == "BTC"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
