"""Hyperliquid signing: bit-exact on every official vector, and equal to the official SDK
(hyperliquid-python-sdk 0.24.0) on random actions, including the expiresAfter and vault
variants no official vector covers."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path
from typing import Any

import coincurve
import msgpack
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from hyperliquid.utils import signing as sdk
from hyperliquid.utils.types import Cloid
from hypothesis import given, settings
from hypothesis import strategies as st

from falconet.config.secrets import Secret
from falconet.venues.hyperliquid.actions import (
    USD_CLASS_TRANSFER_FIELDS,
    USD_CLASS_TRANSFER_TYPE,
    cancel_action,
    limit_type,
    order_action,
    order_wire,
    trigger_type,
    usd_class_transfer_action,
)
from falconet.venues.hyperliquid.signing import (
    Signer,
    action_hash,
    checksum_address,
    keccak256,
    l1_digest,
    phantom_agent,
    user_signed_digest,
)

TEST_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
TEST_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
VAULT = "0x1719884eb866cb12b2287399b15f7db5e7d775ea"

# Named here so each case is its own readable test; test_vector_file_has_exactly_these
# fails if the file gains or loses a case.
L1_CASES = [
    "dummy_action",
    "order_gtc_asset1",
    "order_gtc_with_cloid",
    "dummy_action_with_vault",
    "order_trigger_sl",
    "create_sub_account",
    "sub_account_transfer",
    "schedule_cancel_unset",
    "schedule_cancel_time",
]
USER_CASES = ["usd_send_testnet", "withdraw3_testnet"]
HASH_CASES = ["phantom_agent_matches_production"]
NETWORKS = ["mainnet", "testnet"]


@pytest.fixture(scope="module")
def vectors(shared_vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_vectors / "hyperliquid_signing.json").read_text())
    return data


def _case(vectors: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    (case,) = [c for c in vectors[section] if c["name"] == name]
    found: dict[str, Any] = case
    return found


def test_vector_file_has_exactly_these_cases(vectors: dict[str, Any]) -> None:
    assert [c["name"] for c in vectors["l1_cases"]] == L1_CASES
    assert [c["name"] for c in vectors["user_signed_cases"]] == USER_CASES
    assert [c["name"] for c in vectors["action_hash_cases"]] == HASH_CASES


# --- official vectors ----------------------------------------------------------------------


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("name", L1_CASES)
def test_l1_case_is_bit_exact(vectors: dict[str, Any], name: str, network: str) -> None:
    case = _case(vectors, "l1_cases", name)
    derived = case["derived"]
    mainnet = network == "mainnet"
    action, vault, nonce = case["action"], case["vault_address"], case["nonce"]

    assert msgpack.packb(action).hex() == derived["msgpack_action_hex"]
    connection_id = action_hash(action, vault, nonce, case["expires_after"])
    assert "0x" + connection_id.hex() == derived["action_hash_connectionId"]

    agent = phantom_agent(connection_id, mainnet)
    expected_agent = derived[f"{network}_phantom_agent"]
    assert agent["source"] == expected_agent["source"]
    assert "0x" + agent["connectionId"].hex() == expected_agent["connectionId"]
    assert "0x" + l1_digest(connection_id, mainnet).hex() == derived[f"{network}_eip712_digest"]

    signer = Signer(case["private_key"], mainnet=mainnet)
    assert signer.address == case["signer_address"]
    signature = signer.sign_l1(
        action, nonce, vault_address=vault, expires_after=case["expires_after"]
    )
    # Exact dict equality: r/s unpadded lowercase hex, v an int 27/28.
    assert signature == case["expected"][network]


@pytest.mark.parametrize("name", USER_CASES)
def test_user_signed_case_is_bit_exact(vectors: dict[str, Any], name: str) -> None:
    case = _case(vectors, "user_signed_cases", name)
    signer = Signer(case["private_key"], mainnet=case["is_mainnet"])
    fields = [(f["name"], f["type"]) for f in case["eip712_types"]]
    action = dict(case["input_message"])

    signature = signer.sign_user(action, case["primary_type"], fields)

    assert action == case["signed_message"]
    assert list(action) == list(case["signed_message"])  # the two keys are appended
    assert int(action["signatureChainId"], 16) == case["domain"]["chainId"]
    digest = user_signed_digest(action, case["primary_type"], fields)
    assert "0x" + digest.hex() == case["derived"]["eip712_digest"]
    assert signature == case["expected"]


@pytest.mark.parametrize("name", HASH_CASES)
def test_action_hash_case(vectors: dict[str, Any], name: str) -> None:
    case = _case(vectors, "action_hash_cases", name)
    assert msgpack.packb(case["action"]).hex() == case["derived"]["msgpack_action_hex"]
    connection_id = action_hash(
        case["action"], case["vault_address"], case["nonce"], case["expires_after"]
    )
    assert "0x" + connection_id.hex() == case["expected"]["connectionId"]
    assert phantom_agent(connection_id, True)["source"] == case["expected"]["source_mainnet"]


def test_the_vector_order_is_what_our_builders_make(vectors: dict[str, Any]) -> None:
    """The builders reproduce the vector actions key for key (so the signatures hold)."""
    gtc = _case(vectors, "l1_cases", "order_gtc_with_cloid")["action"]
    ours = order_action(
        [order_wire(1, True, "100", "100", False, limit_type("Gtc"), "0x" + "0" * 31 + "1")]
    )
    assert json.dumps(ours) == json.dumps(gtc)
    sl = _case(vectors, "l1_cases", "order_trigger_sl")["action"]
    ours = order_action([order_wire(1, True, "100", "100", False, trigger_type("103", True, "sl"))])
    assert json.dumps(ours) == json.dumps(sl)


# --- signer hygiene --------------------------------------------------------------------------


def test_signer_address_and_secret_input() -> None:
    assert Signer(TEST_KEY, mainnet=True).address == TEST_ADDRESS
    assert Signer(Secret(TEST_KEY[2:]), mainnet=False).address == TEST_ADDRESS
    assert Account.from_key(TEST_KEY).address == TEST_ADDRESS


def test_signer_addresses_equal_eth_account_on_many_random_keys() -> None:
    rng = random.Random(20260701)
    for _ in range(500):
        key = "0x" + rng.randbytes(32).hex()
        assert Signer(key, mainnet=True).address == Account.from_key(key).address, key


def test_checksum_address_equals_eth_utils_on_many_random_addresses() -> None:
    rng = random.Random(55)
    for _ in range(500):
        raw = rng.randbytes(20)
        assert checksum_address(raw) == to_checksum_address(raw), raw.hex()


@pytest.mark.parametrize(("nibble", "upper"), [(8, True), (7, False)])
def test_a_letter_is_upper_case_exactly_when_its_hash_nibble_is_8_or_more(
    nibble: int, upper: bool
) -> None:
    # EIP-55: upper case where the keccak of the lower-case hex has a nibble >= 8.
    rng = random.Random(nibble)
    while True:
        raw = rng.randbytes(20)
        lower = raw.hex()
        digest = keccak(text=lower).hex()
        spots = [i for i, ch in enumerate(lower) if ch.isalpha() and int(digest[i], 16) == nibble]
        if spots:
            break
    text = checksum_address(raw)
    for i in spots:
        assert text[2 + i].isupper() is upper, (lower, i)
    assert text == to_checksum_address(raw)


def test_signer_text_never_shows_the_key() -> None:
    signer = Signer(Secret(TEST_KEY), mainnet=True)
    bare = TEST_KEY[2:]
    for text in (repr(signer), str(signer), f"{signer}", repr([signer]), repr(vars_of(signer))):
        assert bare not in text.lower()
    assert TEST_ADDRESS in repr(signer)
    with pytest.raises(TypeError) as info:
        pickle.dumps(signer)
    assert bare not in str(info.value)


def vars_of(signer: Signer) -> dict[str, str]:
    # What a debugger or a structured logger dumping slots would show.
    return {name: repr(getattr(signer, name)) for name in Signer.__slots__}


@pytest.mark.parametrize(
    "bad",
    [
        "0x0123456789012345678901234567890123456789012345678901234567890",  # odd length
        "0x" + "zz" * 32,
        "0x" + "00" * 32,  # zero is not a valid secp256k1 key
        "0x" + "ff" * 32,  # above the curve order
        "0x" + "01" * 31,  # 31 bytes
        "0x" + "0123456789abcdef" * 5,  # 40 bytes
    ],
    ids=["odd-length", "not-hex", "zero", "over-order", "31-bytes", "40-bytes"],
)
def test_bad_key_errors_never_quote_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        Signer(bad, mainnet=True)
    text = f"{info.value!s} {info.value!r} {info.value.__cause__!r} {info.value.__context__!r}"
    assert bad[2:] not in text
    assert bad[2:12] not in text  # not even a prefix
    assert info.value.__suppress_context__


# --- the official SDK as an independent implementation ---------------------------------------

_SDK_WALLET = Account.from_key(TEST_KEY)
_SIGNER = {True: Signer(TEST_KEY, mainnet=True), False: Signer(TEST_KEY, mainnet=False)}


@st.composite
def sdk_orders(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A random SDK OrderRequest and asset id, with prices/sizes as exact decimals < 1e7
    (above that the SDK's float text carries binary noise; see tests/core/test_fixed.py)."""
    decimals = draw(st.integers(0, 8))
    px_units = draw(st.integers(1, 10**7 * 10**decimals - 1))
    sz_decimals = draw(st.integers(0, 6))
    sz_units = draw(st.integers(1, 10**6 * 10**sz_decimals))
    kind = draw(st.sampled_from(["Gtc", "Alo", "Ioc", "tp", "sl"]))
    if kind in ("tp", "sl"):
        trigger_units = draw(st.integers(1, 10**7 * 10**decimals - 1))
        order_type: dict[str, Any] = {
            "trigger": {
                "triggerPx": trigger_units / 10**decimals,
                "isMarket": draw(st.booleans()),
                "tpsl": kind,
            }
        }
    else:
        order_type = {"limit": {"tif": kind}}
    cloid = draw(st.one_of(st.none(), st.integers(0, 2**128 - 1).map(Cloid.from_int)))
    request = {
        "coin": "X",
        "is_buy": draw(st.booleans()),
        "sz": sz_units / 10**sz_decimals,
        "limit_px": px_units / 10**decimals,
        "order_type": order_type,
        "reduce_only": draw(st.booleans()),
        "cloid": cloid,
    }
    asset = draw(st.sampled_from([0, 1, 5, 10000, 10107, 110000, 120003]))
    return request, asset


def _ours_from_request(request: dict[str, Any], asset: int) -> dict[str, Any]:
    """Our OrderWire for the same order, built from exact decimal text (not the floats)."""
    from decimal import Decimal

    from falconet.venues.hyperliquid.wire import decimal_wire

    def text(x: float) -> str:
        return decimal_wire(Decimal(repr(x)))

    t = request["order_type"]
    if "limit" in t:
        order_type = limit_type(t["limit"]["tif"])
    else:
        trig = t["trigger"]
        order_type = trigger_type(text(trig["triggerPx"]), trig["isMarket"], trig["tpsl"])
    cloid = request["cloid"].to_raw() if request["cloid"] is not None else None
    return order_wire(
        asset,
        request["is_buy"],
        text(request["limit_px"]),
        text(request["sz"]),
        request["reduce_only"],
        order_type,
        cloid,
    )


@settings(max_examples=150, deadline=None)
@given(
    orders=st.lists(sdk_orders(), min_size=1, max_size=3),
    nonce=st.integers(0, 2**63 - 1),
    vault=st.one_of(st.none(), st.just(VAULT), st.just("0x" + "ab" * 20)),
    expires_after=st.one_of(st.none(), st.integers(0, 2**64 - 1)),
    mainnet=st.booleans(),
    grouping=st.sampled_from(["na", "normalTpsl", "positionTpsl"]),
)
def test_random_orders_equal_the_sdk(
    orders: list[tuple[dict[str, Any], int]],
    nonce: int,
    vault: str | None,
    expires_after: int | None,
    mainnet: bool,
    grouping: str,
) -> None:
    sdk_wires = [sdk.order_request_to_order_wire(req, asset) for req, asset in orders]
    sdk_action = sdk.order_wires_to_order_action(sdk_wires, None, grouping)
    ours = order_action([_ours_from_request(req, asset) for req, asset in orders], grouping)

    assert json.dumps(ours) == json.dumps(sdk_action)  # same keys, same order, same text
    assert msgpack.packb(ours) == msgpack.packb(sdk_action)
    assert action_hash(ours, vault, nonce, expires_after) == sdk.action_hash(
        sdk_action, vault, nonce, expires_after
    )
    expected = sdk.sign_l1_action(_SDK_WALLET, sdk_action, vault, nonce, expires_after, mainnet)
    got = _SIGNER[mainnet].sign_l1(ours, nonce, vault_address=vault, expires_after=expires_after)
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(
    oids=st.lists(st.tuples(st.integers(0, 200_000), st.integers(0, 2**63 - 1)), min_size=1),
    nonce=st.integers(0, 2**48),
    expires_after=st.one_of(st.none(), st.integers(0, 2**48)),
)
def test_cancel_signature_equals_the_sdk(
    oids: list[tuple[int, int]], nonce: int, expires_after: int | None
) -> None:
    action = cancel_action(oids)
    expected = sdk.sign_l1_action(_SDK_WALLET, action, VAULT, nonce, expires_after, False)
    got = _SIGNER[False].sign_l1(action, nonce, vault_address=VAULT, expires_after=expires_after)
    assert got == expected


@pytest.mark.parametrize("mainnet", [True, False], ids=["mainnet", "testnet"])
@pytest.mark.parametrize("vault", [None, VAULT], ids=["own-account", "subaccount"])
def test_usd_class_transfer_equals_the_sdk(mainnet: bool, vault: str | None) -> None:
    from decimal import Decimal

    ours = usd_class_transfer_action(Decimal("12.5"), True, 1_700_000_000_123, vault)
    theirs = dict(ours)  # the SDK's Exchange builds this same body from str(12.5)
    expected = sdk.sign_usd_class_transfer_action(_SDK_WALLET, theirs, mainnet)
    got = _SIGNER[mainnet].sign_user(ours, USD_CLASS_TRANSFER_TYPE, USD_CLASS_TRANSFER_FIELDS)
    assert got == expected
    assert ours == theirs and list(ours) == list(theirs)
    assert list(USD_CLASS_TRANSFER_FIELDS) == [
        (f["name"], f["type"]) for f in sdk.USD_CLASS_TRANSFER_SIGN_TYPES
    ]


def test_our_digest_equals_eth_account_typed_data_digest() -> None:
    """The hand-built EIP-712 digest equals eth_account's generic encoder's."""
    action = {"type": "dummy", "num": 7}
    connection_id = action_hash(action, None, 5, 9)
    for mainnet in (True, False):
        typed = sdk.l1_payload(sdk.construct_phantom_agent(connection_id, mainnet))
        message = encode_typed_data(full_message=typed)
        expected = keccak256(b"\x19" + message.version + message.header + message.body)
        assert l1_digest(connection_id, mainnet) == expected


def test_signature_recovers_to_the_signer() -> None:
    signer = Signer(TEST_KEY, mainnet=True)
    digest = l1_digest(action_hash({"type": "dummy"}, None, 1, None), True)
    sig = signer.sign_digest(digest)
    raw = (
        int(sig["r"], 16).to_bytes(32, "big")
        + int(sig["s"], 16).to_bytes(32, "big")
        + bytes([sig["v"] - 27])
    )
    public = coincurve.PublicKey.from_signature_and_message(raw, digest, hasher=None)
    assert checksum_address(keccak256(public.format(compressed=False)[1:])[-20:]) == TEST_ADDRESS
