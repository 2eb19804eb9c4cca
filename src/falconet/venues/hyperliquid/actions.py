"""Hyperliquid exchange action bodies, built with exactly the venue's key order.

The L1 signature covers msgpack(action), and msgpack keeps dict insertion order, so a
body with the right keys in another order signs as a different action and the venue
answers with an error or, worse, recovers another signer. Every builder here writes its
keys in the order the official SDK does (venues.md §1 "Exchange actions"); prices and
sizes arrive as wire text already (wire.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, get_args

from falconet.venues.hyperliquid.wire import decimal_wire

Tif = Literal["Gtc", "Alo", "Ioc"]
Tpsl = Literal["tp", "sl"]
Grouping = Literal["na", "normalTpsl", "positionTpsl"]

USD_CLASS_TRANSFER_TYPE = "HyperliquidTransaction:UsdClassTransfer"
USD_CLASS_TRANSFER_FIELDS: tuple[tuple[str, str], ...] = (
    ("hyperliquidChain", "string"),
    ("amount", "string"),
    ("toPerp", "bool"),
    ("nonce", "uint64"),
)
# User-signed actions carry their own nonce and are signed by the main wallet: the SDK
# never sends a vaultAddress with them (the sub-account goes into the amount text).
_NO_VAULT_ACTIONS = frozenset({"usdClassTransfer", "sendAsset"})

_TIFS = frozenset(get_args(Tif))


def check_cloid(cloid: str) -> str:
    """A cloid is "0x" and 32 hex digits (16 bytes)."""
    if len(cloid) != 34 or not cloid.startswith("0x"):
        raise ValueError(f"cloid must be 0x and 32 hex digits, got {cloid!r}")
    try:
        int(cloid[2:], 16)
    except ValueError:
        raise ValueError(f"cloid must be 0x and 32 hex digits, got {cloid!r}") from None
    return cloid


def limit_type(tif: Tif) -> dict[str, Any]:
    """{"limit": {"tif": ...}}; a fresh dict each call, so callers may keep it."""
    if tif not in _TIFS:
        raise ValueError(f"unknown time in force {tif!r}")
    return {"limit": {"tif": tif}}


def trigger_type(trigger_px: str, is_market: bool, tpsl: Tpsl) -> dict[str, Any]:
    if tpsl not in ("tp", "sl"):
        raise ValueError(f"tpsl must be 'tp' or 'sl', got {tpsl!r}")
    return {"trigger": {"isMarket": is_market, "triggerPx": trigger_px, "tpsl": tpsl}}


def order_wire(
    asset: int,
    is_buy: bool,
    px: str,
    sz: str,
    reduce_only: bool,
    order_type: dict[str, Any],
    cloid: str | None = None,
) -> dict[str, Any]:
    """One OrderWire: a, b, p, s, r, t, then the optional cloid c last."""
    wire: dict[str, Any] = {
        "a": asset,
        "b": is_buy,
        "p": px,
        "s": sz,
        "r": reduce_only,
        "t": order_type,
    }
    if cloid is not None:
        wire["c"] = check_cloid(cloid)
    return wire


def order_action(
    orders: list[dict[str, Any]],
    grouping: str = "na",
    *,
    builder: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """Place orders; `builder` is (builder address, fee in tenths of a basis point)."""
    action: dict[str, Any] = {"type": "order", "orders": orders, "grouping": grouping}
    if builder is not None:
        action["builder"] = {"b": builder[0].lower(), "f": builder[1]}
    return action


def cancel_action(cancels: list[tuple[int, int]]) -> dict[str, Any]:
    """Cancel by (asset, oid)."""
    return {"type": "cancel", "cancels": [{"a": asset, "o": oid} for asset, oid in cancels]}


def cancel_by_cloid_action(cancels: list[tuple[int, str]]) -> dict[str, Any]:
    """Cancel by (asset, cloid); this action spells its keys out ("asset", "cloid")."""
    return {
        "type": "cancelByCloid",
        "cancels": [{"asset": asset, "cloid": check_cloid(cloid)} for asset, cloid in cancels],
    }


def batch_modify_action(modifies: list[tuple[int | str, dict[str, Any]]]) -> dict[str, Any]:
    """Replace orders: (oid or cloid of the resting order, new OrderWire)."""
    return {
        "type": "batchModify",
        "modifies": [
            {"oid": oid if isinstance(oid, int) else check_cloid(oid), "order": order}
            for oid, order in modifies
        ],
    }


def update_leverage_action(asset: int, is_cross: bool, leverage: int) -> dict[str, Any]:
    return {"type": "updateLeverage", "asset": asset, "isCross": is_cross, "leverage": leverage}


def schedule_cancel_action(time_ms: int | None) -> dict[str, Any]:
    """Dead man's switch: cancel all at `time_ms` (>= 5 s ahead); None clears it."""
    action: dict[str, Any] = {"type": "scheduleCancel"}
    if time_ms is not None:
        action["time"] = time_ms
    return action


def usd_class_transfer_action(
    amount: Decimal, to_perp: bool, nonce: int, vault_address: str | None = None
) -> dict[str, Any]:
    """Move USDC between the spot and perp balances (user-signed: sign it with
    `Signer.sign_user(action, USD_CLASS_TRANSFER_TYPE, USD_CLASS_TRANSFER_FIELDS)`).
    For a sub-account or vault the venue reads the account from the amount text."""
    if amount <= 0:
        raise ValueError(f"transfer amount must be positive, got {amount}")
    text = decimal_wire(amount)
    if vault_address:
        text += f" subaccount:{vault_address}"
    return {"type": "usdClassTransfer", "amount": text, "toPerp": to_perp, "nonce": nonce}


def exchange_payload(
    action: dict[str, Any],
    signature: dict[str, Any],
    nonce: int,
    vault_address: str | None,
    expires_after: int | None,
) -> dict[str, Any]:
    """The POST /exchange body (also the WS post payload), keys in the SDK's order."""
    return {
        "action": action,
        "nonce": nonce,
        "signature": signature,
        "vaultAddress": None if action["type"] in _NO_VAULT_ACTIONS else vault_address,
        "expiresAfter": expires_after,
    }
