"""Our answers have the shapes of the real venue's recorded answers (the SDK's VCR
cassettes): the same keys, and values of the same JSON types."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import eth_account
import pytest
from hyperliquid.exchange import Exchange

from tests.emulators.hyperliquid.conftest import Running
from tests.emulators.hyperliquid.helpers import post

pytestmark = pytest.mark.shared_data

# values the venue may send as null where we send text (and the reverse)
NULLABLE = {"liquidationPx", "tif", "cloid", "entryPx"}


def recorded(shared_vectors: Path) -> dict[str, Any]:
    doc = json.loads((shared_vectors / "hyperliquid_info_cassettes.json").read_text())
    out: dict[str, Any] = {}
    for cassette in doc["cassettes"]:
        for interaction in cassette["interactions"]:
            out.setdefault(interaction["request_body"]["type"], interaction["response_body"])
    return out


def same_shape(real: Any, ours: Any, path: str = "$") -> None:
    if isinstance(real, dict):
        assert isinstance(ours, dict), path
        missing = set(real) - set(ours)
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        for key, value in real.items():
            if value is None or ours[key] is None:
                assert key in NULLABLE, f"{path}.{key}: null mismatch"
                continue
            same_shape(value, ours[key], f"{path}.{key}")
    elif isinstance(real, list):
        assert isinstance(ours, list), path
        if real and ours:
            same_shape(real[0], ours[0], f"{path}[0]")
    else:
        assert type(real) is type(ours), f"{path}: {type(real).__name__} vs {type(ours)}"


@pytest.fixture
def traded(emulator: Running) -> tuple[Running, str]:
    """An account with a position, a fill and a resting order."""
    wallet = eth_account.Account.create()
    ex = Exchange(wallet, emulator.url)
    res = ex.market_open("BTC", False, 0.01)
    assert "filled" in res["response"]["data"]["statuses"][0], res
    bid = Decimal(ex.info.l2_snapshot("ETH")["levels"][0][0]["px"])
    px = float((bid * Decimal("0.9")).quantize(Decimal("0.1")))
    res = ex.order("ETH", True, 0.05, px, {"limit": {"tif": "Gtc"}})
    assert "resting" in res["response"]["data"]["statuses"][0], res
    return emulator, wallet.address


@pytest.mark.parametrize(
    "kind",
    ["meta", "l2Book", "openOrders", "frontendOpenOrders", "userFills", "userFillsByTime",
     "clearinghouseState", "candleSnapshot", "allMids", "userRateLimit"],
)  # fmt: skip
def test_shape(kind: str, traded: tuple[Running, str], shared_vectors: Path) -> None:
    emu, user = traded
    real = recorded(shared_vectors)[kind]
    bodies: dict[str, Any] = {
        "meta": {"type": "meta"},
        "l2Book": {"type": "l2Book", "coin": "BTC"},
        "openOrders": {"type": "openOrders", "user": user},
        "frontendOpenOrders": {"type": "frontendOpenOrders", "user": user},
        "userFills": {"type": "userFills", "user": user},
        "userFillsByTime": {"type": "userFillsByTime", "user": user, "startTime": 0},
        "clearinghouseState": {"type": "clearinghouseState", "user": user},
        "candleSnapshot": {
            "type": "candleSnapshot",
            "req": {"coin": "BTC", "interval": "1m", "startTime": 0, "endTime": 2**53},
        },
        "allMids": {"type": "allMids"},
        "userRateLimit": {"type": "userRateLimit", "user": user},
    }
    resp = post(emu.url, "/info", bodies[kind])
    assert resp.status_code == 200
    ours = resp.json()
    assert ours, f"{kind}: empty answer"
    if kind == "allMids":  # coin names differ; the values are text
        assert all(isinstance(v, str) for v in ours.values())
        return
    same_shape(real, ours)


def test_unknown_info_type(emulator: Running) -> None:
    resp = post(emulator.url, "/info", {"type": "noSuchThing"})
    assert resp.status_code == 422
    assert resp.text.startswith("Failed to deserialize the JSON body")
