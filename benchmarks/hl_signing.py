"""Hyperliquid order signing, per order, in microseconds.

The steps between a strategy's order and the bytes on the wire, on random limit orders
for a perp (prices and sizes as integer units, as inside falconet):

- build: price/size text from units, OrderWire and the order action;
- hash: msgpack of the action + nonce + vault flag, keccak256 (the connectionId);
- sign: the whole L1 signature as the adapter does it (hash, EIP-712 digest, coincurve);
- eth_account: the same signature through eth_account's generic sign_typed_data, the
  path the official SDK takes, for comparison.

One signature is checked against the official SDK (when it is installed) and every
coincurve signature against the eth_account one.

    python benchmarks/hl_signing.py [--orders N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from eth_account import Account

from falconet.core.enums import InstrumentKind
from falconet.venues.hyperliquid.actions import limit_type, order_action, order_wire
from falconet.venues.hyperliquid.instruments import hl_instrument
from falconet.venues.hyperliquid.nonces import NonceSource
from falconet.venues.hyperliquid.signing import Signer, action_hash
from falconet.venues.hyperliquid.wire import price_wire, size_wire

# The SDK's public test key: never a funded wallet.
KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
BTC = hl_instrument(
    "BTC", base="BTC", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=5, asset_id=0
)


def random_orders(n: int, seed: int = 7) -> list[tuple[int, int, bool, str]]:
    """(price units, size units, is_buy, cloid) around 95,000 USDC with 5 sig figs."""
    rng = random.Random(seed)
    orders = []
    for _ in range(n):
        px = rng.randrange(90_000, 100_000) * 10  # 5 significant figures at 1 decimal
        sz = rng.randrange(1, 500_000)
        orders.append((px, sz, rng.random() < 0.5, f"0x{rng.getrandbits(128):032x}"))
    return orders


def build(order: tuple[int, int, bool, str]) -> dict[str, Any]:
    px, sz, is_buy, cloid = order
    wire = order_wire(
        0, is_buy, price_wire(BTC, px), size_wire(BTC, sz), False, limit_type("Alo"), cloid
    )
    return order_action([wire])


def typed_data(connection_id: bytes, mainnet: bool) -> dict[str, Any]:
    """The phantom-agent message as eth_account's generic encoder takes it."""
    return {
        "domain": {
            "chainId": 1337,
            "name": "Exchange",
            "verifyingContract": "0x0000000000000000000000000000000000000000",
            "version": "1",
        },
        "types": {
            "Agent": [
                {"name": "source", "type": "string"},
                {"name": "connectionId", "type": "bytes32"},
            ],
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
        },
        "primaryType": "Agent",
        "message": {"source": "a" if mainnet else "b", "connectionId": connection_id},
    }


def eth_account_sign(action: dict[str, Any], nonce: int) -> dict[str, Any]:
    signed = Account.sign_typed_data(
        KEY, full_message=typed_data(action_hash(action, None, nonce, None), True)
    )
    return {"r": hex(signed.r), "s": hex(signed.s), "v": signed.v}


def per_item_us(fn: Callable[[Any], object], items: list[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter_ns()
        fn(item)
        out.append((time.perf_counter_ns() - t) / 1000)
    return sorted(out)


def line(name: str, lat: list[float]) -> str:
    p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return f"{name:>12}: {statistics.fmean(lat):7.1f} us/order (p50 {p50:.1f}, p99 {p99:.1f})"


def check_against_sdk(action: dict[str, Any], nonce: int, ours: dict[str, Any]) -> str:
    try:
        from hyperliquid.utils.signing import sign_l1_action
    except ImportError:
        return "official SDK not installed: SDK check skipped"
    expected = sign_l1_action(Account.from_key(KEY), action, None, nonce, None, True)
    if expected != ours:
        raise SystemExit(f"signature differs from the official SDK: {ours} != {expected}")
    return "one signature checked equal to the official SDK's"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", "--cycles", type=int, default=5000, dest="orders")
    args = ap.parse_args()
    signer = Signer(KEY, mainnet=True)
    nonces = NonceSource()
    orders = random_orders(args.orders)
    for o in orders[:50]:  # warm-up
        build(o)
    actions = [(build(o), nonces.next()) for o in orders]

    build_us = per_item_us(build, orders)
    hash_us = per_item_us(lambda an: action_hash(an[0], None, an[1], None), actions)
    sign_us = per_item_us(lambda an: signer.sign_l1(an[0], an[1]), actions)
    eth_n = actions[: max(1, min(len(actions), 2000))]
    eth_us = per_item_us(lambda an: eth_account_sign(an[0], an[1]), eth_n)

    for action, nonce in eth_n:  # same signature both ways, every one
        if signer.sign_l1(action, nonce) != eth_account_sign(action, nonce):
            raise SystemExit("coincurve and eth_account signatures differ")
    sdk_note = check_against_sdk(*actions[0], signer.sign_l1(*actions[0]))

    print(f"Hyperliquid L1 order signing, {len(orders)} orders ({len(eth_n)} via eth_account)")
    print(line("build", build_us))
    print(line("hash", hash_us))
    print(line("sign", sign_us))
    print(line("eth_account", eth_us))
    speedup = statistics.fmean(eth_us) / statistics.fmean(sign_us)
    print(f"sign is {speedup:.0f}x faster than eth_account; {sdk_note}")


if __name__ == "__main__":
    main()
