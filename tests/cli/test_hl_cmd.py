"""`falconet hl transfer`: USDC moved between the spot and perp balances at the venue (the
local Hyperliquid emulator), signed with the configured key, which no output shows."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account import Account

from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator

pytestmark = pytest.mark.timeout(120)


async def falconet(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "falconet", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_transfer_moves_usdc_both_ways_and_keeps_the_key_secret(tmp_path: Path) -> None:
    emu = HyperliquidEmulator(EmulatorSettings())
    await emu.start()
    try:
        wallet = Account.create()
        emu.fund(wallet.address)
        key = wallet.key.hex()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLIQUID_")}
        env |= {"HYPERLIQUID_PRIVATE_KEY": key, "HYPERLIQUID_BASE_URL": emu.base_url}
        spot0 = emu.spot_balances(wallet.address)["USDC"]
        perp0 = emu.usdc_perp(wallet.address)

        rc, out, err = await falconet(
            "hl", "transfer", "250.5", "--to", "perp", env=env, cwd=tmp_path
        )
        assert rc == 0, err
        assert emu.spot_balances(wallet.address)["USDC"] == spot0 - Decimal("250.5")
        assert emu.usdc_perp(wallet.address) == perp0 + Decimal("250.5")
        doc = json.loads(out)
        assert Decimal(doc["perp_usdc"]) == perp0 + Decimal("250.5")
        assert key.removeprefix("0x") not in out + err

        rc, out, err = await falconet(
            "hl", "transfer", "0.5", "--to", "spot", env=env, cwd=tmp_path
        )
        assert rc == 0, err
        assert emu.spot_balances(wallet.address)["USDC"] == spot0 - Decimal("250")

        rc, _, err = await falconet("hl", "transfer", "-3", "--to", "spot", env=env, cwd=tmp_path)
        assert rc != 0 and "amount: must be > 0" in err
    finally:
        await emu.stop()
