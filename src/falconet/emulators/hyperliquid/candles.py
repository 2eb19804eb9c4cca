"""The venue's candles (`candleSnapshot`, the `candle` channel) from the one-minute
candles each emulated market keeps."""

from __future__ import annotations

from typing import Any

from falconet.emulators.hyperliquid.market import CoinMarket
from falconet.emulators.hyperliquid.numbers import wire

MAX_CANDLES = 5000  # the venue answers at most this many


def candle_rows(
    market: CoinMarket,
    coin: str,
    interval: str,
    step: int,
    start: int,
    end: int,
    minutes: range | None = None,
) -> list[dict[str, Any]]:
    """Candles of `step` ms overlapping [start, end], oldest first, built from the
    market's minutes (only those in `minutes` when given)."""
    buckets: dict[int, list[Any]] = {}
    keys = sorted(market.candles) if minutes is None else minutes
    for minute in keys:
        c = market.candles.get(minute)
        if c is None:
            continue
        t = minute - minute % step
        if t + step <= start or t > end:
            continue
        b = buckets.get(t)
        if b is None:
            buckets[t] = [c.o, c.h, c.low, c.c, c.v, c.n]
        else:
            b[1], b[2], b[3] = max(b[1], c.h), min(b[2], c.low), c.c
            b[4] += c.v
            b[5] += c.n
    return [
        {"t": t, "T": t + step - 1, "s": coin, "i": interval, "o": wire(b[0]),
         "c": wire(b[3]), "h": wire(b[1]), "l": wire(b[2]), "v": wire(b[4]), "n": b[5]}
        for t, b in sorted(buckets.items())
    ][-MAX_CANDLES:]  # fmt: skip
