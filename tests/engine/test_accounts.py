"""Two accounts on one venue, side by side: an entry's `"account"` picks one, its
credentials come from the venue's variables with `_LABEL` appended, and each account has
its own client, OMS, orders, state keys and (paper) files; the default account keeps the
plain variable names and the state keys of earlier versions."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from falconet.config.environment import load_env_settings
from falconet.config.loader import parse_config_text
from falconet.config.report import config_warnings
from falconet.core.errors import ConfigError
from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from falconet.engine.build import make_venues, plan
from falconet.engine.engine import Engine
from falconet.sim.warm import warm_up
from tests.waiting import until

pytestmark = pytest.mark.timeout(180)

MM = {"symbol": "BTC", "exchange": "hyperliquid", "strategy": "MM", "qty": "0.0002",
      "max_exposure": "400", "min_usd_balance": "100"}  # fmt: skip


def config(doc: dict[str, Any]) -> Any:
    return parse_config_text(json.dumps(doc), "<accounts>")


async def test_two_hyperliquid_accounts_trade_the_same_coin_side_by_side(tmp_path: Path) -> None:
    warm_up()
    emu = HyperliquidEmulator(EmulatorSettings(seed=11, speed=20.0))
    await emu.start()
    first, second = Account.create(), Account.create()
    for wallet in (first, second):
        emu.fund(wallet.address)
    env = load_env_settings(
        {
            "HYPERLIQUID_PRIVATE_KEY": first.key.hex(),
            "HYPERLIQUID_BASE_URL": emu.base_url,
            "HYPERLIQUID_PRIVATE_KEY_B": second.key.hex(),
            "HYPERLIQUID_BASE_URL_B": emu.base_url,
        },
        dotenv_path=None,
    )
    users = first.address.lower(), second.address.lower()
    cfg = config({"orders": {"cancel_on_shutdown": True},
                  "trading": [MM, {**MM, "account": "b"}]})  # fmt: skip
    engine = Engine(cfg, data_dir=tmp_path, env=env)
    try:
        await engine.start()
        assert set(engine.venues) == {"hyperliquid", "hyperliquid:B"}
        assert [s.plan.key for s in engine.slots] == ["MM:BTC:hyperliquid", "MM:BTC:hyperliquid:B"]
        accounts = dict(zip(("hyperliquid", "hyperliquid:B"), users, strict=True))

        def known(account: str) -> set[str]:
            return {str(m.order.venue_order_id) for m in engine.venues[account].oms.open_orders()}

        def resting(user: str) -> set[str]:
            return {str(o["oid"]) for o in emu.open_orders(user)}

        await until(
            lambda: all(known(a) & resting(u) for a, u in accounts.items()),
            60,
            "each account's quotes acknowledged and resting under its own user",
        )
        # each OMS knows its own account's orders, none of the other's
        assert not known("hyperliquid") & resting(users[1])
        assert not known("hyperliquid:B") & resting(users[0])
    finally:
        await engine.stop()
        await emu.stop()
    assert [emu.open_orders(u) for u in users] == [[], []]  # a clean stop on both


def test_a_labelled_account_reads_its_own_variables(tmp_path: Path) -> None:
    cfg = config({"trading": [MM, {**MM, "account": "b"}]})
    only_default = load_env_settings({"HYPERLIQUID_PRIVATE_KEY": "11" * 32}, dotenv_path=None)
    with pytest.raises(ConfigError, match="HYPERLIQUID_PRIVATE_KEY_B is not set"):
        make_venues(cfg, plan(cfg, paper=False), tmp_path, only_default)
    env = load_env_settings(
        {"HYPERLIQUID_PRIVATE_KEY": "11" * 32, "HYPERLIQUID_PRIVATE_KEY_B": "22" * 32,
         "HYPERLIQUID_BASE_URL_B": "https://api.hyperliquid-testnet.xyz"},
        dotenv_path=None,
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r'HYPERLIQUID_BASE_URL_B is .* "testnet": false'):
        make_venues(cfg, plan(cfg, paper=False), tmp_path, env)
    # a labelled variable an entry uses is not reported as misspelt; one no entry uses is
    assert env.unrecognised == ("HYPERLIQUID_BASE_URL_B", "HYPERLIQUID_PRIVATE_KEY_B")
    assert not [w for w in config_warnings(cfg, env) if "_B is set" in w]
    alone = config({"trading": [MM]})
    assert len([w for w in config_warnings(alone, env) if "_B is set" in w]) == 2
    # a labelled account short of a credential is named with its label
    gaps = [w for w in config_warnings(cfg, only_default) if "not set" in w]
    assert gaps == [
        "hyperliquid: HYPERLIQUID_WALLET_ADDRESS not set; needed to place orders for "
        "trading[0] BTC",
        "hyperliquid account B: HYPERLIQUID_WALLET_ADDRESS_B, HYPERLIQUID_PRIVATE_KEY_B not "
        "set; needed to place orders for trading[1] BTC",
    ]


def test_a_labelled_secret_is_masked() -> None:
    from falconet.observe.redact import redact

    key = "ab" * 32
    load_env_settings({"HYPERLIQUID_PRIVATE_KEY_B": key}, dotenv_path=None)
    assert key not in redact(f"boom {key}")


async def test_two_paper_accounts_keep_their_own_books_and_files(tmp_path: Path) -> None:
    grid = {"symbol": "BTC/USD", "exchange": "paper", "strategy": "Grid", "qty": "0.01"}
    cfg = config({"paper": {"speed": "20", "seed": 5},
                  "orders": {"cancel_on_shutdown": False},
                  "trading": [grid, {**grid, "account": "side"}]})  # fmt: skip
    engine = Engine(cfg, data_dir=tmp_path)
    try:
        await engine.start()
        default, side = engine.clients["paper"], engine.clients["paper:SIDE"]
        assert default is not side
        deadline = time.monotonic() + 30
        while True:
            listed = {a: await c.open_orders() for a, c in engine.clients.items()}
            if all(listed.values()):
                break
            assert time.monotonic() < deadline, "both paper accounts resting orders"
            await asyncio.sleep(0.05)
    finally:
        await engine.stop()
    ids = {a: {o.client_id for o in orders} for a, orders in listed.items()}
    assert ids["paper"] and ids["paper:SIDE"] and not ids["paper"] & ids["paper:SIDE"]
    assert (tmp_path / "paper-venue.json").is_file()
    assert (tmp_path / "paper-accounts" / "SIDE" / "paper-venue.json").is_file()
    # a restart adopts each account's resting orders on that account
    again = Engine(cfg, data_dir=tmp_path)
    try:
        await again.start()
        adopted = {a: len(r.adopted) for a, r in again.reconciled.items()}
    finally:
        await again.stop()
    assert adopted == {"paper": len(ids["paper"]), "paper:SIDE": len(ids["paper:SIDE"])}


def test_two_accounts_on_one_address_and_two_hedges_on_one_perp_are_refused(
    tmp_path: Path,
) -> None:
    from falconet.engine.build import hedge_plans

    cfg = config({"trading": [MM, {**MM, "symbol": "ETH", "account": "b"}]})
    same = load_env_settings(
        {"HYPERLIQUID_PRIVATE_KEY": "11" * 32, "HYPERLIQUID_PRIVATE_KEY_B": "11" * 32},
        dotenv_path=None,
    )
    with pytest.raises(ConfigError, match=r"accounts .* and B trade the same address"):
        make_venues(cfg, plan(cfg, paper=False), tmp_path, same)
    grid = {"exchange": "hyperliquid", "strategy": "Grid", "qty": "1", "hedge": True}
    two = config({"trading": [{**grid, "symbol": "HYPE/USDC"}, {**grid, "symbol": "HYPE/USDH"}]})
    with pytest.raises(ConfigError, match="would both hedge on HYPE"):
        hedge_plans(two, plan(two, paper=False))


def test_a_labelled_account_without_its_own_url_is_warned_about() -> None:
    cfg = config({"trading": [MM, {**MM, "account": "b"}]})
    env = load_env_settings(
        {"HYPERLIQUID_BASE_URL": "http://127.0.0.1:8555", "HYPERLIQUID_PRIVATE_KEY_B": "22" * 32},
        dotenv_path=None,
    )
    [warning] = [w for w in config_warnings(cfg, env) if "BASE_URL_B" in w]
    assert warning.startswith("HYPERLIQUID_BASE_URL is set but HYPERLIQUID_BASE_URL_B is not")


def test_config_check_rows_name_a_labelled_account() -> None:
    from falconet.config.report import RunLine
    from falconet.config.secrets import EnvSettings

    cfg = config({"trading": [MM, {**MM, "account": "b"}]})
    rows = [RunLine.of(i, e, EnvSettings()) for i, e in enumerate(cfg.trading)]
    assert [r.exchange for r in rows] == ["hyperliquid", "hyperliquid:B"]
