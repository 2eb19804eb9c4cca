"""Market data frames → falconet events: l2Book snapshots, bbo, trades, mids, candles;
and `MarketFeed`, the adapter's market data part (markets, subscriptions, frames, mids).

Every Hyperliquid l2Book message is a full snapshot of the top levels (no diffs), so it
becomes a `BookSnapshot`. `top_of_book` reads only the best level of each side from the
raw frame, for callers that need nothing else (see benchmarks/hl_decode.py for what it
saves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from falconet.core.events import Bar, BookSnapshot, Level, TopOfBook, Trade
from falconet.core.fixed import parse_scaled
from falconet.core.instrument import Instrument
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.instruments import build_universe, dexes_needed
from falconet.venues.hyperliquid.units import MS, px, px_rounded, side, sz, sz_rounded

if TYPE_CHECKING:
    from falconet.venues.hyperliquid.state import HlState

log = get_logger("hyperliquid")

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


class MarketFeed:
    """The market data part: loads the markets, subscribes books and trades, turns their
    frames into events and keeps the latest mid per coin (market orders are priced off
    it). Candles (warm-up history) are read here too."""

    CHANNELS = frozenset({"l2Book", "trades", "bbo", "allMids"})

    def __init__(self, state: HlState) -> None:
        self.state = state
        self.mids: dict[str, int] = {}  # coin -> mid price units, from books

    async def load_markets(self) -> None:
        rest = self.state.rest
        meta = msgs.ANY.decode(await rest.info({"type": "meta"}))
        spot = msgs.ANY.decode(await rest.info({"type": "spotMeta"}))
        dex_metas = []
        wanted = dexes_needed(self.state.settings.symbols)
        if wanted:
            dexes = msgs.ANY.decode(await rest.info({"type": "perpDexs"}))
            for index, row in enumerate(dexes):
                if isinstance(row, dict) and row.get("name") in wanted:
                    name = str(row["name"])
                    body = {"type": "meta", "dex": name}
                    dex_metas.append((name, index, msgs.ANY.decode(await rest.info(body))))
        self.state.universe = build_universe(meta, spot, dex_metas)
        log.info(
            "hyperliquid markets loaded", markets=len(self.state.universe), dexes=len(dex_metas)
        )

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        for inst in instruments:
            coin = self.state.market(inst).coin
            await self.state.socket.subscribe({"type": "l2Book", "coin": coin})
            await self.state.socket.subscribe({"type": "trades", "coin": coin})

    def on_frame(self, channel: str, data: msgspec.Raw, raw: bytes, ts: int) -> None:
        """A market data frame (one of CHANNELS); decode errors are the caller's to count."""
        if channel == "l2Book":
            if self.state.settings.top_of_book_only:
                self._on_book_top(raw, data, ts)
            else:
                self._on_book(msgs.BOOK.decode(data), ts)
        elif channel == "trades":
            self._on_trades(msgs.TRADES.decode(data), ts)
        elif channel == "bbo":
            bbo = msgs.BBO.decode(data)
            inst = self.state.universe.instrument_for_coin(bbo.coin)
            top = top_of_book(inst, bbo, ts) if inst is not None else None
            if top is not None:
                self.state.emit(top)
        elif channel == "allMids":
            for coin, text in msgs.ALL_MIDS.decode(data).mids.items():
                inst = self.state.universe.instrument_for_coin(coin)
                if inst is not None:
                    self.mids[coin] = mid(inst, text)

    def _on_book(self, book: msgs.Book, ts: int) -> None:
        inst = self.state.universe.instrument_for_coin(book.coin)
        if inst is None:
            return
        snap = book_snapshot(inst, book, ts)
        if snap.bids and snap.asks:
            self.mids[book.coin] = (snap.bids[0][0] + snap.asks[0][0]) // 2
        self.state.emit(snap)

    def _on_book_top(self, raw: bytes, data: msgspec.Raw, ts: int) -> None:
        coin = frame_coin(raw) or msgs.BOOK.decode(data).coin
        inst = self.state.universe.instrument_for_coin(coin)
        if inst is None:
            return
        top = book_top_from_frame(inst, raw, ts)
        if top is not None:
            self.mids[coin] = (top.bid_px + top.ask_px) // 2
            self.state.emit(top)

    def _on_trades(self, rows: list[msgs.WsTrade], ts: int) -> None:
        if not rows:
            return
        inst = self.state.universe.instrument_for_coin(rows[0].coin)
        if inst is not None:
            for trade in trades(inst, rows, ts):
                self.state.emit(trade)

    async def candles(
        self, instrument: Instrument, interval: str, start_ms: int, end_ms: int
    ) -> list[Bar]:
        """History for warm-up (candleSnapshot; the venue keeps the latest 5000 bars)."""
        coin = self.state.market(instrument).coin
        body = {
            "type": "candleSnapshot",
            "req": {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms},
        }
        rows = msgs.CANDLES.decode(await self.state.rest.info(body))
        self.state.limiter.charge(len(rows) // 60)
        return bars(instrument, rows, self.state.clock_ns())
