"""The venue side of signing: who may act, and with which nonces."""

from __future__ import annotations

from collections.abc import Callable

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.emulators.hyperliquid.conftest import Running
from tests.emulators.hyperliquid.helpers import next_nonce, noop, post, signed_body


def test_known_signer_is_accepted_and_unknown_refused(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(auto_accounts=False)
    wallet = eth_account.Account.create()
    res = noop(emu.url, wallet)
    assert res == {
        "status": "err",
        "response": f"L1 error: User or API Wallet {wallet.address.lower()} does not exist.",
    }
    emu.run(emu.emu.fund, wallet.address)
    assert noop(emu.url, wallet) == {"status": "ok", "response": {"type": "default"}}
    # the same over HTTP, for tests outside the process
    other = eth_account.Account.create()
    assert noop(emu.url, other)["status"] == "err"
    assert post(emu.url, "/_fund", {"user": other.address}).json() == {"status": "ok"}
    assert noop(emu.url, other)["status"] == "ok"


def test_tampered_signature_and_wrong_chain(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(auto_accounts=False)
    wallet = eth_account.Account.create()
    emu.run(emu.emu.fund, wallet.address)
    body = signed_body(wallet, {"type": "noop"})
    # a changed s still recovers (r fixes the point): to someone else
    s = int(body["signature"]["s"], 16)
    body["signature"]["s"] = hex(s ^ 0x10)
    res = post(emu.url, "/exchange", body).json()
    assert res["status"] == "err" and "does not exist" in res["response"]
    assert wallet.address.lower() not in res["response"]
    # signed for mainnet, sent to a testnet venue: recovers someone else
    res = noop(emu.url, wallet, mainnet=True)
    assert res["status"] == "err" and "does not exist" in res["response"]
    # a tampered action no longer matches its signature either
    body = signed_body(wallet, {"type": "scheduleCancel"})
    body["action"]["time"] = 1
    res = post(emu.url, "/exchange", body).json()
    assert res["status"] == "err" and "does not exist" in res["response"]


def test_nonces(emulator: Running) -> None:
    wallet = eth_account.Account.create()
    nonce = next_nonce()
    assert noop(emulator.url, wallet, nonce)["status"] == "ok"
    res = noop(emulator.url, wallet, nonce)
    assert res["status"] == "err" and res["response"].startswith("Invalid nonce")
    old = nonce - 3 * 86_400_000
    res = noop(emulator.url, wallet, old)
    assert res["status"] == "err" and res["response"].startswith("Invalid nonce")
    future = nonce + 2 * 86_400_000
    assert noop(emulator.url, wallet, future)["status"] == "err"
    # only the 100 highest are kept: below all of them is refused, even if never used
    base = next_nonce() + 1000
    for i in range(100):
        assert noop(emulator.url, wallet, base + i)["status"] == "ok"
    res = noop(emulator.url, wallet, base - 1)
    assert res["status"] == "err" and res["response"].startswith("Invalid nonce")
    assert noop(emulator.url, wallet, base + 100)["status"] == "ok"


def test_agent_approval(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(auto_accounts=False)
    main = eth_account.Account.create()
    user = main.address.lower()
    emu.run(emu.emu.fund, user)
    ex = Exchange(main, emu.url)
    res, agent_key = ex.approve_agent("bot")
    assert res == {"status": "ok", "response": {"type": "default"}}
    agent = eth_account.Account.from_key(agent_key)
    agent_ex = Exchange(agent, emu.url, account_address=main.address)
    info = Info(emu.url, skip_ws=True)
    bid = float(info.l2_snapshot("SOL")["levels"][0][0]["px"])
    px = round(float(f"{bid * 0.9:.5g}"), 4)
    res = agent_ex.order("SOL", True, 1.0, px, {"limit": {"tif": "Gtc"}})
    oid = res["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [o["oid"] for o in info.open_orders(user)] == [oid]
    assert info.open_orders(agent.address) == []
    # a stranger's agent is unknown
    other = eth_account.Account.create()
    res = noop(emu.url, other)
    assert res["status"] == "err" and "does not exist" in res["response"]
    # the user-signed transfer must name the venue's chain
    res = ex.usd_class_transfer(100.0, False)
    assert res == {"status": "ok", "response": {"type": "default"}}
    balances = emu.run(emu.emu.spot_balances, user)
    assert balances["USDC"] == 100_100
    # an API wallet trades for its user but cannot move the user's money
    res = agent_ex.usd_class_transfer(50.0, True)
    assert res["status"] == "err" and "does not exist" in res["response"]
    assert emu.run(emu.emu.spot_balances, user)["USDC"] == 100_100
