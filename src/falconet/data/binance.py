"""Binance raw websocket captures: combined-stream depth diffs, trades and bookTicker,
plus the REST depth snapshot, turned into normalized events.

Book synchronisation follows Binance's rules: diffs before the snapshot are buffered,
the ones the snapshot already covers are dropped, the first kept diff must bridge the
snapshot (futures: `U <= lastUpdateId <= u`, or `pu == lastUpdateId`, since futures ids
are not contiguous), and every later diff must continue the sequence (futures: `pu`
equals the previous `u`; spot: `U` equals the previous `u` + 1). `BinanceBookSync` applies that to
an `L2Book` and counts what it dropped and any gap it found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from falconet.core.book import BookStatus, L2Book
from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.events import BookDelta, BookSnapshot, Level, TopOfBook, Trade
from falconet.core.fixed import parse_scaled
from falconet.core.instrument import Instrument
from falconet.data.captures import CaptureError, iter_capture_lines

NS_PER_MS = 1_000_000


class _Envelope(msgspec.Struct):
    stream: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"")  # decoded later, by channel
    # REST depth snapshot fields (no "stream" key)
    lastUpdateId: int | None = None  # noqa: N815 - wire name
    E: int | None = None
    T: int | None = None
    bids: list[tuple[str, str]] | None = None
    asks: list[tuple[str, str]] | None = None


class _Depth(msgspec.Struct):
    E: int
    U: int
    u: int
    b: list[tuple[str, str]]
    a: list[tuple[str, str]]
    pu: int | None = None  # futures only


class _Trade(msgspec.Struct):
    T: int
    t: int
    p: str
    q: str
    m: bool


class _Ticker(msgspec.Struct):
    u: int
    b: str
    B: str
    a: str
    A: str
    E: int | None = None  # futures only; spot bookTicker has no timestamp


_envelope = msgspec.json.Decoder(_Envelope)
_depth = msgspec.json.Decoder(_Depth)
_trade = msgspec.json.Decoder(_Trade)
_ticker = msgspec.json.Decoder(_Ticker)

# Tick and lot of the symbols in the published sample captures; anything else is
# described by the caller. Spot books still hold resting orders from before the lot
# size grew, so spot sizes are read at the wire's 8 decimals.
KNOWN_INSTRUMENTS: dict[tuple[str, str], tuple[str, str]] = {
    ("usdm", "BTCUSDT"): ("0.1", "0.001"),
    ("spot", "BTCUSDT"): ("0.01", "0.00001"),
    ("cm", "BTCUSD_PERP"): ("0.1", "1"),
}
SPOT_WIRE_DECIMALS = 8


def binance_instrument(
    market: str, symbol: str, tick: str | None = None, lot: str | None = None
) -> Instrument:
    """Instrument for a Binance market: "spot", "usdm" (USD-M futures) or "cm" (COIN-M)."""
    if market not in ("spot", "usdm", "cm"):
        raise CaptureError(f"unknown Binance market {market!r}: expected spot, usdm or cm")
    known = KNOWN_INSTRUMENTS.get((market, symbol.upper()))
    if tick is None or lot is None:
        if known is None:
            raise CaptureError(f"unknown Binance instrument {market}/{symbol}: pass tick and lot")
        tick, lot = tick or known[0], lot or known[1]
    kind = InstrumentKind.SPOT if market == "spot" else InstrumentKind.PERP
    base, quote = _split_symbol(symbol)
    return Instrument.with_increments(
        Venue.BINANCE,
        symbol.upper(),
        base,
        quote,
        kind,
        tick=tick,
        lot=lot,
        size_decimals=SPOT_WIRE_DECIMALS if market == "spot" else None,
    )


def _split_symbol(symbol: str) -> tuple[str, str]:
    s = symbol.upper().split("_")[0]
    for quote in ("USDT", "USDC", "BUSD", "USD", "BTC", "ETH"):
        if s.endswith(quote) and len(s) > len(quote):
            return s[: -len(quote)], quote
    return s, ""


@dataclass(slots=True)
class CaptureStats:
    lines: int = 0
    snapshots: int = 0
    depth_diffs: int = 0
    trades: int = 0
    tickers: int = 0
    malformed: int = 0
    other: int = 0


BinanceEvent = BookSnapshot | BookDelta | Trade | TopOfBook


class BinanceCaptureReader:
    """Decodes one capture file into normalized events, in file order."""

    def __init__(self, path: str | Path, instrument: Instrument, *, strict: bool = True) -> None:
        self.path = Path(path)
        self.instrument = instrument
        self.strict = strict  # raise on a malformed line instead of counting it
        self.stats = CaptureStats()
        self._pd = instrument.price_decimals
        self._sd = instrument.size_decimals

    def _levels(self, raw: list[tuple[str, str]]) -> list[Level]:
        pd, sd = self._pd, self._sd
        return [(parse_scaled(p, pd), parse_scaled(q, sd)) for p, q in raw]

    def __iter__(self) -> Iterator[BinanceEvent]:
        iid = self.instrument.id
        stats = self.stats
        for local_ns, body in iter_capture_lines(self.path):
            stats.lines += 1
            try:
                env = _envelope.decode(body)
                if env.stream is None:
                    if env.lastUpdateId is None or env.bids is None or env.asks is None:
                        raise CaptureError("neither a stream message nor a depth snapshot")
                    stats.snapshots += 1
                    ts = (env.E or 0) * NS_PER_MS or local_ns
                    yield BookSnapshot(
                        ts_exchange=ts,
                        ts_local=local_ns,
                        instrument_id=iid,
                        bids=self._levels(env.bids),
                        asks=self._levels(env.asks),
                        seq=env.lastUpdateId,
                    )
                    continue
                channel = env.stream.partition("@")[2]
                data = env.data
                if not data:
                    raise CaptureError("stream message without data")
                if channel.startswith("depth"):
                    d = _depth.decode(data)
                    stats.depth_diffs += 1
                    yield BookDelta(
                        ts_exchange=d.E * NS_PER_MS,
                        ts_local=local_ns,
                        instrument_id=iid,
                        bids=self._levels(d.b),
                        asks=self._levels(d.a),
                        seq=d.u,
                        first_seq=d.U,
                        prev_seq=d.pu,
                    )
                elif channel == "trade":
                    t = _trade.decode(data)
                    stats.trades += 1
                    yield Trade(
                        ts_exchange=t.T * NS_PER_MS,
                        ts_local=local_ns,
                        instrument_id=iid,
                        price=parse_scaled(t.p, self._pd),
                        size=parse_scaled(t.q, self._sd),
                        # m: the buyer is the maker, so the seller was the aggressor
                        aggressor=Side.SELL if t.m else Side.BUY,
                        trade_id=str(t.t),
                    )
                elif channel == "bookTicker":
                    k = _ticker.decode(data)
                    stats.tickers += 1
                    yield TopOfBook(
                        ts_exchange=(k.E or 0) * NS_PER_MS or local_ns,
                        ts_local=local_ns,
                        instrument_id=iid,
                        bid_px=parse_scaled(k.b, self._pd),
                        bid_sz=parse_scaled(k.B, self._sd),
                        ask_px=parse_scaled(k.a, self._pd),
                        ask_sz=parse_scaled(k.A, self._sd),
                        seq=k.u,
                    )
                else:
                    stats.other += 1
            except (msgspec.DecodeError, msgspec.ValidationError, CaptureError, ValueError) as exc:
                if self.strict:
                    raise CaptureError(f"{self.path}: line {stats.lines}: {exc}") from None
                stats.malformed += 1


@dataclass(slots=True)
class SyncStats:
    buffered: int = 0
    dropped_stale: int = 0
    applied: int = 0
    gaps: int = 0
    crossed: int = 0
    gap_at: list[int] = field(default_factory=list)  # update ids where gaps were found


class BinanceBookSync:
    """Keeps an L2Book in sync with Binance diffs and snapshots (see module docstring).

    On a gap the book is marked for resync and later diffs are buffered until the next
    snapshot arrives, as a live client would do after re-fetching one.
    """

    def __init__(
        self, book: L2Book, on_applied: Callable[[BookDelta, L2Book], None] | None = None
    ) -> None:
        self.book = book
        self.stats = SyncStats()
        # Called after every diff that changed the book, including buffered ones replayed
        # when a snapshot arrives.
        self.on_applied = on_applied
        self._pending: list[BookDelta] = []

    def on_snapshot(self, snap: BookSnapshot) -> None:
        self.book.apply(snap)
        pending, self._pending = self._pending, []
        for delta in pending:
            self._apply(delta)

    def on_delta(self, delta: BookDelta) -> BookStatus:
        if self.book.needs_resync:
            self._pending.append(delta)
            self.stats.buffered += 1
            return BookStatus.UNSYNCED
        return self._apply(delta)

    def _apply(self, delta: BookDelta) -> BookStatus:
        status = self.book.apply(delta)
        if status is BookStatus.STALE:
            self.stats.dropped_stale += 1
        elif status is BookStatus.GAP:
            self.stats.gaps += 1
            self.stats.gap_at.append(delta.seq or 0)
            self._pending.append(delta)
        elif status is BookStatus.UNSYNCED:
            self._pending.append(delta)
        else:
            self.stats.applied += 1
            if status is BookStatus.CROSSED:
                self.stats.crossed += 1
            if self.on_applied is not None:
                self.on_applied(delta, self.book)
        return status
