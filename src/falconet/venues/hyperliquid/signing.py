"""Hyperliquid request signing: L1 actions (orders, cancels…) and user-signed actions.

An L1 action is hashed (msgpack of the action, nonce, vault, optional expiry) into a
`connectionId`, wrapped in the EIP-712 "phantom agent" `Agent(source, connectionId)` and
signed. User-signed actions (transfers) are plain EIP-712 messages of their own type.

The EIP-712 digest is computed here from precomputed domain separators and type hashes and
signed with libsecp256k1 (coincurve) directly: eth_account's generic typed-data encoder
costs tens of microseconds per order, which the tick-to-order budget cannot spare. The
tests prove both give the same bytes. Signatures are RFC 6979 deterministic, so the same
action, nonce and key always give the same signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import coincurve
import msgpack
from Crypto.Hash import keccak as _keccak

from falconet.config.secrets import Secret

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# The SDK's fixed wallet chain for user-signed actions (Arbitrum Sepolia, 421614); the
# venue reads the environment from hyperliquidChain, not from this id.
SIGNATURE_CHAIN_ID = "0x66eee"
L1_CHAIN_ID = 1337


def keccak256(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


# --- L1 actions ----------------------------------------------------------------------------


def action_hash(
    action: Mapping[str, Any], vault_address: str | None, nonce: int, expires_after: int | None
) -> bytes:
    """The 32-byte connectionId the venue recomputes from the request it receives."""
    data = msgpack.packb(action)  # packb keeps dict insertion order, which the hash needs
    data += nonce.to_bytes(8, "big")
    if vault_address is None:
        data += b"\x00"
    else:
        data += b"\x01" + address_bytes(vault_address)
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak256(data)


def phantom_agent(connection_id: bytes, mainnet: bool) -> dict[str, Any]:
    """The message an L1 signature covers (as the SDK builds it, for tests and tools)."""
    return {"source": "a" if mainnet else "b", "connectionId": connection_id}


def address_bytes(address: str) -> bytes:
    """20 address bytes from hex text, with or without 0x (ccxt sends vaults without)."""
    text = address[2:] if address.startswith(("0x", "0X")) else address
    raw = bytes.fromhex(text)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return raw


# --- EIP-712 encoding ----------------------------------------------------------------------

_DOMAIN_TYPE_HASH = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_AGENT_TYPE_HASH = keccak256(b"Agent(string source,bytes32 connectionId)")


def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    return keccak256(
        _DOMAIN_TYPE_HASH
        + keccak256(name.encode())
        + keccak256(version.encode())
        + chain_id.to_bytes(32, "big")
        + address_bytes(verifying_contract).rjust(32, b"\x00")
    )


_L1_DOMAIN = domain_separator("Exchange", "1", L1_CHAIN_ID, ZERO_ADDRESS)
# Everything of the Agent digest but the connectionId is fixed per network, so the struct
# prefix (type hash + hashed source) is built once.
_AGENT_PREFIX = {
    True: _AGENT_TYPE_HASH + keccak256(b"a"),
    False: _AGENT_TYPE_HASH + keccak256(b"b"),
}
_EIP191 = b"\x19\x01"


def l1_digest(connection_id: bytes, mainnet: bool) -> bytes:
    """EIP-712 digest of the phantom agent for `connection_id`."""
    struct_hash = keccak256(_AGENT_PREFIX[mainnet] + connection_id)
    return keccak256(_EIP191 + _L1_DOMAIN + struct_hash)


def encode_field(type_name: str, value: Any) -> bytes:
    """One EIP-712 field, 32 bytes, for the atomic types user-signed actions use."""
    if type_name == "string":
        return keccak256(str(value).encode())
    if type_name == "bool":
        return (1 if value else 0).to_bytes(32, "big")
    if type_name == "address":
        return address_bytes(str(value)).rjust(32, b"\x00")
    if type_name == "bytes32":
        raw = (
            bytes.fromhex(value[2:] if value.startswith("0x") else value)
            if isinstance(value, str)
            else bytes(value)
        )
        if len(raw) != 32:
            raise ValueError(f"bytes32 field needs 32 bytes, got {len(raw)}")
        return raw
    if type_name.startswith("uint"):
        number = int(value)
        if number < 0:
            raise ValueError(f"{type_name} field is negative: {number}")
        return number.to_bytes(32, "big")
    if type_name.startswith("int"):
        return int(value).to_bytes(32, "big", signed=True)
    raise ValueError(f"unsupported EIP-712 field type {type_name!r}")


def user_signed_digest(
    action: Mapping[str, Any], primary_type: str, fields: Sequence[tuple[str, str]]
) -> bytes:
    """EIP-712 digest of a user-signed action; `fields` are (name, type) in type order."""
    signature = ",".join(f"{kind} {name}" for name, kind in fields)
    type_hash = keccak256(f"{primary_type}({signature})".encode())
    struct_hash = keccak256(
        type_hash + b"".join(encode_field(kind, action[name]) for name, kind in fields)
    )
    domain = domain_separator(
        "HyperliquidSignTransaction", "1", int(action["signatureChainId"], 16), ZERO_ADDRESS
    )
    return keccak256(_EIP191 + domain + struct_hash)


# --- the signer ----------------------------------------------------------------------------


def checksum_address(raw: bytes) -> str:
    """EIP-55 mixed-case text of a 20-byte address."""
    lower = raw.hex()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


class Signer:
    """Signs with one private key for one network. Its text never shows the key."""

    __slots__ = ("_address", "_key", "mainnet")

    def __init__(self, private_key: str | Secret, *, mainnet: bool) -> None:
        text = private_key.reveal() if isinstance(private_key, Secret) else private_key
        try:
            raw = bytes.fromhex(text[2:] if text.startswith("0x") else text)
            if len(raw) != 32:  # coincurve would left-pad a short key rather than refuse it
                raise ValueError
            key = coincurve.PrivateKey(raw)
        except Exception:
            # The original error may quote the input; report the problem, never the value.
            raise ValueError("Hyperliquid private key is not a valid 32-byte hex key") from None
        self._key = key
        self.mainnet = mainnet
        public = key.public_key.format(compressed=False)[1:]
        self._address = checksum_address(keccak256(public)[-20:])

    @property
    def address(self) -> str:
        return self._address

    def __repr__(self) -> str:
        network = "mainnet" if self.mainnet else "testnet"
        return f"Signer(address={self._address}, {network})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # Pickling would copy the key into whatever stores the pickle.
        raise TypeError("Signer cannot be pickled")

    def sign_digest(self, digest: bytes) -> dict[str, Any]:
        """{"r", "s", "v"} as the venue and SDK write them: unpadded hex, v 27/28."""
        sig = self._key.sign_recoverable(digest, hasher=None)
        return {
            "r": hex(int.from_bytes(sig[:32], "big")),
            "s": hex(int.from_bytes(sig[32:64], "big")),
            "v": 27 + sig[64],
        }

    def sign_l1(
        self,
        action: Mapping[str, Any],
        nonce: int,
        *,
        vault_address: str | None = None,
        expires_after: int | None = None,
    ) -> dict[str, Any]:
        connection_id = action_hash(action, vault_address, nonce, expires_after)
        return self.sign_digest(l1_digest(connection_id, self.mainnet))

    def sign_user(
        self, action: dict[str, Any], primary_type: str, fields: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        """Sign a user-signed action, adding signatureChainId and hyperliquidChain to it
        in place (both are part of the request body the venue checks)."""
        action["signatureChainId"] = SIGNATURE_CHAIN_ID
        action["hyperliquidChain"] = "Mainnet" if self.mainnet else "Testnet"
        return self.sign_digest(user_signed_digest(action, primary_type, fields))
