"""Shared helpers of the market maker tests (this module holds no tests): an instrument,
a scripted venue, shortcuts."""

from __future__ import annotations

from typing import Any

from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.strategies.api import Fees
from falconet.strategies.mm import MarketMaker
from falconet.strategies.testing import FakeContext, Request
from falconet.venues.hyperliquid.instruments import hl_instrument

# Kraken-like spot pair: 0.01 tick, 0.0001 lot, 0.001 minimum size.
ETH = Instrument.with_increments(
    Venue.KRAKEN,
    "ETH/USD",
    "ETH",
    "USD",
    InstrumentKind.SPOT,
    tick="0.01",
    lot="0.0001",
    min_size="0.001",
)
HYPE = hl_instrument(
    "HYPE/USDC", base="HYPE", quote="USDC", kind=InstrumentKind.SPOT, sz_decimals=2, asset_id=7
)
S = 1_000_000_000  # one second in ns


def px(text: str) -> int:
    return ETH.price(text)


def sz(text: str) -> int:
    return ETH.size(text)


def make_ctx(
    *,
    bid: str | None = "100.00",
    ask: str | None = "100.10",
    base: str | None = "10",
    quote: str | None = "10000",
    maker_fee: str = "0.001",
    instrument: Instrument = ETH,
) -> FakeContext:
    return FakeContext(
        instrument,
        bid=bid,
        ask=ask,
        base=base,
        quote=quote,
        maker_fee=maker_fee,
        strategy_code=StrategyCode.MM,
        now_ns=1_000 * S,
    )


class NoFeeContext(FakeContext):
    """A venue whose fee schedule is not known yet."""

    def fees(self) -> Fees:
        raise LookupError("fees not fetched yet")


def make_mm(qty: str = "1", **kw: Any) -> MarketMaker:
    return MarketMaker(qty=sz(qty), **kw)


def started(
    qty: str = "1", ctx: FakeContext | None = None, **kw: Any
) -> tuple[MarketMaker, FakeContext]:
    """A market maker that has run its first cycle; the requests it made are kept."""
    mm = make_mm(qty, **kw)
    ctx = ctx or make_ctx()
    mm.on_start(ctx)
    return mm, ctx


def submits(reqs: list[Request], side: Side | None = None) -> list[Request]:
    return [r for r in reqs if r.kind == "submit" and (side is None or r.side is side)]


def kinds(reqs: list[Request]) -> list[tuple[str, Side | None]]:
    return [(r.kind, r.side) for r in reqs]


def open_mm_buys(ctx: FakeContext) -> list[str]:
    return [o.client_id for o in ctx.open_orders() if o.side is Side.BUY]


def acked_pair(
    qty: str = "1", ctx: FakeContext | None = None, **kw: Any
) -> tuple[MarketMaker, FakeContext, str, str]:
    """Started, both orders acknowledged; returns (mm, ctx, sell id, buy id)."""
    mm, ctx = started(qty, ctx, **kw)
    reqs = ctx.take()
    sell = submits(reqs, Side.SELL)[0].client_id
    buy = submits(reqs, Side.BUY)[0].client_id
    ctx.accept(sell, mm)
    ctx.accept(buy, mm)
    ctx.take()
    return mm, ctx, sell, buy
