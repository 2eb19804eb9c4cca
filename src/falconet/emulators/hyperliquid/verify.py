"""The venue's side of signing: recover who signed an action.

An independent implementation from the facts in the spec (not the adapter's signer):
L1 actions are hashed (msgpack of the action, nonce, vault, expiry) into a phantom agent
signed under EIP-712 domain "Exchange"/1337; user-signed actions (transfers, agent
approval) are EIP-712 messages of their own type under "HyperliquidSignTransaction"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgpack
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# primary type and fields of the user-signed actions the emulator accepts
USER_SIGNED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "usdClassTransfer": (
        "HyperliquidTransaction:UsdClassTransfer",
        [("hyperliquidChain", "string"), ("amount", "string"), ("toPerp", "bool"),
         ("nonce", "uint64")],
    ),
    "approveAgent": (
        "HyperliquidTransaction:ApproveAgent",
        [("hyperliquidChain", "string"), ("agentAddress", "address"),
         ("agentName", "string"), ("nonce", "uint64")],
    ),
    "withdraw3": (
        "HyperliquidTransaction:Withdraw",
        [("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
         ("time", "uint64")],
    ),
    "usdSend": (
        "HyperliquidTransaction:UsdSend",
        [("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
         ("time", "uint64")],
    ),
}  # fmt: skip

_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class SignatureError(ValueError):
    """The signature cannot be read or recovers to nothing."""


def action_hash(
    action: Mapping[str, Any], vault: str | None, nonce: int, expires_after: int | None
) -> bytes:
    data = msgpack.packb(dict(action))
    data += nonce.to_bytes(8, "big")
    if vault is None:
        data += b"\x00"
    else:
        data += b"\x01" + bytes.fromhex(vault.removeprefix("0x"))
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return bytes(keccak(data))


def _recover(message: dict[str, Any], signature: Mapping[str, Any]) -> str:
    try:
        r = int(str(signature["r"]), 16)
        s = int(str(signature["s"]), 16)
        v = int(signature["v"])
        encoded = encode_typed_data(full_message=message)
        address: str = Account.recover_message(encoded, vrs=(v, r, s))
    except Exception as exc:  # any malformed part: the venue cannot recover a signer
        raise SignatureError(str(exc)) from None
    return address.lower()


def recover_l1(
    action: Mapping[str, Any],
    signature: Mapping[str, Any],
    *,
    vault: str | None,
    nonce: int,
    expires_after: int | None,
    mainnet: bool,
) -> str:
    """The lowercase address that signed an L1 action (or whatever a tampered signature
    recovers to: that address is then simply unknown)."""
    connection_id = action_hash(action, vault, nonce, expires_after)
    message = {
        "domain": {
            "chainId": 1337,
            "name": "Exchange",
            "verifyingContract": ZERO_ADDRESS,
            "version": "1",
        },
        "types": {
            "Agent": [
                {"name": "source", "type": "string"},
                {"name": "connectionId", "type": "bytes32"},
            ],
            "EIP712Domain": _DOMAIN_FIELDS,
        },
        "primaryType": "Agent",
        "message": {"source": "a" if mainnet else "b", "connectionId": connection_id},
    }
    return _recover(message, signature)


def recover_user_signed(action: Mapping[str, Any], signature: Mapping[str, Any]) -> str:
    kind = str(action.get("type"))
    if kind not in USER_SIGNED:
        raise SignatureError(f"not a user-signed action: {kind}")
    primary, fields = USER_SIGNED[kind]
    try:
        chain_id = int(str(action["signatureChainId"]), 16)
    except (KeyError, ValueError):
        raise SignatureError("missing signatureChainId") from None
    values = {name: action.get(name) for name, _ in fields}
    if kind == "approveAgent" and values["agentName"] is None:
        values["agentName"] = ""  # the SDK signs "" and then drops the key
    message = {
        "domain": {
            "name": "HyperliquidSignTransaction",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": ZERO_ADDRESS,
        },
        "types": {
            primary: [{"name": n, "type": t} for n, t in fields],
            "EIP712Domain": _DOMAIN_FIELDS,
        },
        "primaryType": primary,
        "message": values,
    }
    return _recover(message, signature)
