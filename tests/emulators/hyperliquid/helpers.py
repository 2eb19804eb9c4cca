"""Signed requests built with the official SDK's signing helpers (test-only dependency)."""

from __future__ import annotations

import time
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from hyperliquid.utils.signing import sign_l1_action

_last = [0]


def next_nonce() -> int:
    _last[0] = max(_last[0] + 1, time.time_ns() // 1_000_000)
    return _last[0]


def signed_body(
    wallet: LocalAccount,
    action: dict[str, Any],
    nonce: int | None = None,
    *,
    mainnet: bool = False,
    vault: str | None = None,
) -> dict[str, Any]:
    nonce = next_nonce() if nonce is None else nonce
    signature = sign_l1_action(wallet, action, vault, nonce, None, mainnet)
    return {
        "action": action,
        "nonce": nonce,
        "signature": signature,
        "vaultAddress": vault,
        "expiresAfter": None,
    }


def post(url: str, path: str, body: Any, timeout: float = 10.0) -> requests.Response:
    return requests.post(url + path, json=body, timeout=timeout)


def noop(url: str, wallet: LocalAccount, nonce: int | None = None, **kw: Any) -> Any:
    return post(url, "/exchange", signed_body(wallet, {"type": "noop"}, nonce, **kw)).json()
