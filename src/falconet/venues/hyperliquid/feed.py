"""Market data frames → falconet events: l2Book snapshots, bbo, trades, mids, candles.

Every Hyperliquid l2Book message is a full snapshot of the top levels (no diffs), so it
becomes a `BookSnapshot`. `top_of_book` reads only the best level of each side from the
raw frame, for callers that need nothing else (see benchmarks/hl_decode.py for what it
saves).
"""

from __future__ import annotations

import msgspec

from falconet.core.events import Bar, BookSnapshot, Level, TopOfBook, Trade
from falconet.core.fixed import parse_scaled
from falconet.core.instrument import Instrument
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.units import MS, px, px_rounded, side, sz, sz_rounded

INTERVAL_S = {
    "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200,
    "4h": 14400, "8h": 28800, "12h": 43200, "1d": 86400, "3d": 259200, "1w": 604800,
    "1M": 2592000,
}  # fmt: skip


# Text → units, per scale. Consecutive snapshots repeat most prices and sizes, and a dict
# hit costs a fraction of an exact parse (benchmarks/hl_decode.py). Bounded: cleared when full.
_UNITS: dict[int, dict[str, int]] = {}
UNITS_CACHE_MAX = 50_000


def _units(decimals: int) -> dict[str, int]:
    cache = _UNITS.get(decimals)
    if cache is None or len(cache) > UNITS_CACHE_MAX:
        cache = _UNITS[decimals] = {}
    return cache


def _levels(rows: list[msgs.Level], pd: int, sd: int) -> list[Level]:
    prices, sizes = _units(pd), _units(sd)
    out: list[Level] = []
    for lv in rows:
        price = prices.get(lv.px)
        if price is None:
            price = prices[lv.px] = parse_scaled(lv.px, pd)
        size = sizes.get(lv.sz)
        if size is None:
            size = sizes[lv.sz] = parse_scaled(lv.sz, sd)
        out.append((price, size))
    return out


def book_snapshot(inst: Instrument, book: msgs.Book, ts_local: int) -> BookSnapshot:
    pd, sd = inst.price_decimals, inst.size_decimals
    bids = _levels(book.levels[0], pd, sd)
    asks = _levels(book.levels[1], pd, sd)
    return BookSnapshot(
        ts_exchange=book.time * MS, ts_local=ts_local, instrument_id=inst.id, bids=bids,
        asks=asks, seq=book.time or None,
    )  # fmt: skip


def top_of_book(inst: Instrument, bbo: msgs.Bbo, ts_local: int) -> TopOfBook | None:
    """None while a side is empty (a TopOfBook needs both)."""
    bid, ask = bbo.bbo
    if bid is None or ask is None:
        return None
    return TopOfBook(
        ts_exchange=bbo.time * MS, ts_local=ts_local, instrument_id=inst.id,
        bid_px=px(inst, bid.px), bid_sz=sz(inst, bid.sz), ask_px=px(inst, ask.px),
        ask_sz=sz(inst, ask.sz), seq=bbo.time or None,
    )  # fmt: skip


_LEVEL = msgspec.json.Decoder(msgs.Level)


def book_top_from_frame(inst: Instrument, frame: bytes, ts_local: int) -> TopOfBook | None:
    """The best bid and ask of an l2Book WebSocket frame, decoding only those two level
    objects and the time; None when a side is empty or the frame is not an l2Book one.

    Relies on the venue's compact layout `"levels":[[{best bid},…],[{best ask},…]]`;
    any other spelling is decoded in full.
    """
    start = frame.find(b'"levels":[[')
    if start < 0:  # not the venue's compact layout: read it the long way
        book = msgs.BOOK.decode(msgs.FRAME.decode(frame).data)
        bids, asks = book.levels
        if not bids or not asks:
            return None
        return TopOfBook(
            ts_exchange=book.time * MS, ts_local=ts_local, instrument_id=inst.id,
            bid_px=px(inst, bids[0].px), bid_sz=sz(inst, bids[0].sz),
            ask_px=px(inst, asks[0].px), ask_sz=sz(inst, asks[0].sz), seq=book.time or None,
        )  # fmt: skip
    i = start + 11
    if frame[i : i + 1] != b"{":
        return None  # no bids
    end = frame.index(b"}", i) + 1
    bid = _LEVEL.decode(frame[i:end])
    j = frame.find(b"],[", end)
    if j < 0 or frame[j + 3 : j + 4] != b"{":
        return None  # no asks
    end2 = frame.index(b"}", j + 3) + 1
    ask = _LEVEL.decode(frame[j + 3 : end2])
    t = frame.find(b'"time":')
    time_ms = 0
    if t >= 0:
        k = t + 7
        e = k
        while e < len(frame) and frame[e] in b"0123456789":
            e += 1
        time_ms = int(frame[k:e] or b"0")
    return TopOfBook(
        ts_exchange=time_ms * MS, ts_local=ts_local, instrument_id=inst.id,
        bid_px=px(inst, bid.px), bid_sz=sz(inst, bid.sz), ask_px=px(inst, ask.px),
        ask_sz=sz(inst, ask.sz), seq=time_ms or None,
    )  # fmt: skip


def frame_coin(frame: bytes) -> str | None:
    """The `coin` of a market-data frame, read without decoding the frame."""
    start = frame.find(b'"coin":"')
    if start < 0:
        return None
    start += 8
    end = frame.find(b'"', start)
    return frame[start:end].decode() if end > start else None


def trades(inst: Instrument, rows: list[msgs.WsTrade], ts_local: int) -> list[Trade]:
    return [
        Trade(
            ts_exchange=t.time * MS,
            ts_local=ts_local,
            instrument_id=inst.id,
            price=px(inst, t.px),
            size=sz(inst, t.sz),
            aggressor=side(t.side),
            trade_id=str(t.tid) if t.tid else t.hash,
        )
        for t in rows
    ]


def mid(inst: Instrument, text: str) -> int:
    """allMids gives mids at up to one more decimal than the price scale."""
    return px_rounded(inst, text)


def bars(inst: Instrument, candles: list[msgs.Candle], ts_local: int) -> list[Bar]:
    """candleSnapshot rows → bars (ts_exchange = the bar's open time)."""
    out = []
    for c in candles:
        out.append(
            Bar(
                ts_exchange=c.t * MS,
                ts_local=ts_local,
                instrument_id=inst.id,
                interval_s=INTERVAL_S.get(c.i, 0),
                open=px_rounded(inst, c.o),
                high=px_rounded(inst, c.h),
                low=px_rounded(inst, c.l),
                close=px_rounded(inst, c.c),
                volume=sz_rounded(inst, c.v),
            )
        )
    return out
