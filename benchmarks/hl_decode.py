"""Hyperliquid frame decoding cost: l2Book, userFills and bbo WebSocket frames decoded
with msgspec into falconet events, and the top-of-book shortcut that decodes only the
best level of each side of an l2Book frame. Prints µs per message (best of --repeat).

    python benchmarks/hl_decode.py [--messages N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable

from falconet.core.enums import InstrumentKind
from falconet.core.fixed import format_scaled
from falconet.venues.hyperliquid import account, feed
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.instruments import hl_instrument

INST = hl_instrument(
    "ETH", base="ETH", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=4, asset_id=1
)
LEVELS = 20  # the venue's l2Book depth per side


def book_frame(i: int, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> bytes:
    data = {
        "coin": "ETH",
        "time": 1_700_000_000_000 + i,
        "levels": [
            [{"px": format_scaled(p, 2), "sz": format_scaled(s, 4), "n": 3} for p, s in side]
            for side in (bids, asks)
        ],
    }
    return json.dumps({"channel": "l2Book", "data": data}, separators=(",", ":")).encode()


def book_frames(n: int, rng: random.Random) -> list[bytes]:
    """Unrelated random books: every text is new (the decoder's worst case)."""
    out = []
    for i in range(n):
        mid = 3_000_00 + rng.randint(-500, 500)  # price units: 2 decimals
        bids = [(mid - 1 - k, rng.randint(1, 10**6)) for k in range(LEVELS)]
        asks = [(mid + 1 + k, rng.randint(1, 10**6)) for k in range(LEVELS)]
        out.append(book_frame(i, bids, asks))
    return out


def market_book_frames(n: int, rng: random.Random) -> list[bytes]:
    """Snapshots as a live market sends them: each differs from the one before in a few
    levels (a size here, a price step there), so most texts repeat."""
    mid = 3_000_00
    sizes = [rng.randint(1, 10**6) for _ in range(2 * LEVELS)]
    out = []
    for i in range(n):
        for _ in range(2):
            sizes[rng.randrange(2 * LEVELS)] = rng.randint(1, 10**6)
        if rng.random() < 0.1:
            mid += rng.choice((-1, 1))
        bids = [(mid - 1 - k, sizes[k]) for k in range(LEVELS)]
        asks = [(mid + 1 + k, sizes[LEVELS + k]) for k in range(LEVELS)]
        out.append(book_frame(i, bids, asks))
    return out


def fill_frames(n: int, rng: random.Random, per_frame: int = 3) -> list[bytes]:
    out = []
    for i in range(n):
        fills = [
            {
                "coin": "ETH",
                "px": format_scaled(3_000_00 + rng.randint(-99, 99), 2),
                "sz": format_scaled(rng.randint(1, 10**5), 4),
                "side": rng.choice("AB"),
                "time": 1_700_000_000_000 + i,
                "startPosition": "1.5",
                "dir": "Open Long",
                "closedPnl": "0.0",
                "hash": "0x" + "ab" * 32,
                "oid": 1000 + i,
                "crossed": bool(k % 2),
                "fee": "0.012",
                "tid": i * per_frame + k,
                "feeToken": "USDC",
            }
            for k in range(per_frame)
        ]
        body = {"channel": "userFills", "data": {"user": "0x" + "cd" * 20, "fills": fills}}
        out.append(json.dumps(body, separators=(",", ":")).encode())
    return out


def bbo_frames(n: int, rng: random.Random) -> list[bytes]:
    out = []
    for i in range(n):
        mid = 3_000_00 + rng.randint(-500, 500)
        bbo = [
            {"px": format_scaled(p, 2), "sz": format_scaled(rng.randint(1, 10**6), 4), "n": 2}
            for p in (mid - 1, mid + 1)
        ]
        data = {"coin": "ETH", "time": 1_700_000_000_000 + i, "bbo": bbo}
        out.append(json.dumps({"channel": "bbo", "data": data}, separators=(",", ":")).encode())
    return out


def full_book(frame: bytes) -> object:
    env = msgs.FRAME.decode(frame)
    return feed.book_snapshot(INST, msgs.BOOK.decode(env.data), 0)


def top_only(frame: bytes) -> object:
    return feed.book_top_from_frame(INST, frame, 0)


def book_struct_only(frame: bytes) -> object:
    return msgs.BOOK.decode(msgs.FRAME.decode(frame).data)


def stdlib_json(frame: bytes) -> object:
    return json.loads(frame)


def fills(frame: bytes) -> object:
    env = msgs.FRAME.decode(frame)
    return [account.fill_event(INST, f, "", 0) for f in msgs.USER_FILLS.decode(env.data).fills]


def bbo(frame: bytes) -> object:
    env = msgs.FRAME.decode(frame)
    return feed.top_of_book(INST, msgs.BBO.decode(env.data), 0)


def bench(fn: Callable[[bytes], object], frames: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for frame in frames:
            fn(frame)
        best = min(best, time.perf_counter() - t0)
    return best / len(frames) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(7)
    books = book_frames(args.messages, rng)
    # the shortcut must agree with the full decode before it is worth timing
    for frame in books[:100]:
        snap = full_book(frame)
        top = top_only(frame)
        assert isinstance(top, object) and top is not None
        assert (top.bid_px, top.ask_px) == (snap.bids[0][0], snap.asks[0][0])  # type: ignore[attr-defined]
    market = market_book_frames(args.messages, rng)
    rows = [
        ("l2Book → BookSnapshot (20+20 levels)", full_book, books),
        ("l2Book → BookSnapshot, market-like sequence", full_book, market),
        ("l2Book → TopOfBook (top-only shortcut)", top_only, books),
        ("l2Book → msgspec structs only", book_struct_only, books),
        ("l2Book → json.loads (stdlib, reference)", stdlib_json, books),
        ("userFills (3 fills) → Fill events", fills, fill_frames(args.messages, rng)),
        ("bbo → TopOfBook", bbo, bbo_frames(args.messages, rng)),
    ]
    results = {}
    for name, fn, frames in rows:
        results[name] = us = bench(fn, frames, args.repeat)
        print(f"{name:44s} {us:8.2f} µs/msg")
    ratio = results[rows[0][0]] / results[rows[1][0]]
    print(f"top-only vs full book event: {ratio:.1f}x faster")


if __name__ == "__main__":
    main()
