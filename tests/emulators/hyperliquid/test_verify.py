"""The emulator's signature recovery against the official signing vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from falconet.emulators.hyperliquid import verify
from falconet.emulators.hyperliquid.nonce_book import NonceBook

pytestmark = pytest.mark.shared_data


def vectors(shared_vectors: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((shared_vectors / "hyperliquid_signing.json").read_text())
    return doc


def test_l1_cases_recover_the_signer(shared_vectors: Path) -> None:
    cases = vectors(shared_vectors)["l1_cases"]
    assert len(cases) == 9
    for case in cases:
        want = case["signer_address"].lower()
        assert (
            verify.action_hash(
                case["action"], case["vault_address"], case["nonce"], case["expires_after"]
            ).hex()
            == case["derived"]["action_hash_connectionId"][2:]
        ), case["name"]
        for net in ("mainnet", "testnet"):
            got = verify.recover_l1(
                case["action"],
                case["expected"][net],
                vault=case["vault_address"],
                nonce=case["nonce"],
                expires_after=case["expires_after"],
                mainnet=net == "mainnet",
            )
            assert got == want, (case["name"], net)
            # the other network's reading recovers someone else
            other = verify.recover_l1(
                case["action"],
                case["expected"][net],
                vault=case["vault_address"],
                nonce=case["nonce"],
                expires_after=case["expires_after"],
                mainnet=net != "mainnet",
            )
            assert other != want


def test_user_signed_cases(shared_vectors: Path) -> None:
    names = {"usd_send_testnet": "usdSend", "withdraw3_testnet": "withdraw3"}
    for case in vectors(shared_vectors)["user_signed_cases"]:
        action = {"type": names[case["name"]], **case["signed_message"]}
        got = verify.recover_user_signed(action, case["expected"])
        assert got == case["signer_address"].lower(), case["name"]
        action["amount"] = "2"
        assert verify.recover_user_signed(action, case["expected"]) != got


def test_action_hash_case(shared_vectors: Path) -> None:
    for case in vectors(shared_vectors)["action_hash_cases"]:
        got = verify.action_hash(
            case["action"], case.get("vault_address"), case["nonce"], case.get("expires_after")
        )
        assert "0x" + got.hex() == case["expected"]["connectionId"]


def test_bad_signature_parts() -> None:
    with pytest.raises(verify.SignatureError):
        verify.recover_l1({"type": "noop"}, {"r": "zz", "s": "0x1", "v": 27},
                          vault=None, nonce=1, expires_after=None, mainnet=False)  # fmt: skip


def test_nonce_book_rules() -> None:
    book = NonceBook()
    now = 1_700_000_000_000
    assert book.check("a", now, now) is None
    assert book.check("a", now, now) is not None  # reused
    assert book.check("b", now, now) is None  # per signer
    assert book.check("a", now - 2 * 86_400_000, now) is not None  # too old
    assert book.check("a", now + 86_400_000, now) is not None  # too far ahead
    for i in range(1, 101):
        assert book.check("a", now + i, now) is None
    assert book.check("a", now + 1, now) is not None  # below the smallest kept
