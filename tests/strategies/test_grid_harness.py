"""Shared set-up for the grid tests (instruments, a grid on a scripted venue), and the
price functions the rules are written in."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from falconet.config.values import DecimalRange
from falconet.core.enums import InstrumentKind, Side, Venue
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.strategies.api import OpenOrder
from falconet.strategies.fear_greed import FearGreedSource
from falconet.strategies.grid import VENUE_FLAGS, Grid, GridParams
from falconet.strategies.grid.prices import (
    buy_price,
    double_distance,
    grid_price,
    min_move,
    sell_price,
    spacing_price,
    tick_at,
)
from falconet.strategies.testing import FakeContext, Request
from falconet.venues.hyperliquid.instruments import hl_instrument

S = 1_000_000_000  # one second in ns

PAPER = Instrument.with_increments(
    Venue.PAPER, "SOL/USD", "SOL", "USD", InstrumentKind.SPOT, tick="0.01", lot="0.01"
)
KRAKEN = Instrument.with_increments(
    Venue.KRAKEN, "BTC/USD", "BTC", "USD", InstrumentKind.SPOT, tick="0.1", lot="0.00000001"
)
LIGHTER = Instrument.with_increments(
    Venue.LIGHTER, "ETH/USDC", "ETH", "USDC", InstrumentKind.SPOT, tick="0.01", lot="0.001"
)
HYPE = hl_instrument(
    "HYPE/USDC", base="HYPE", quote="USDC", kind=InstrumentKind.SPOT, sz_decimals=2, asset_id=1
)
TQQQ = Instrument.us_equity(Venue.IBKR, "TQQQ")
SPY = Instrument.us_equity(Venue.ALPACA, "SPY")


def make_grid(
    inst: Instrument = PAPER,
    *,
    qty: str = "1",
    interval: str | tuple[str, str] = "1",
    fear_greed: FearGreedSource | None = None,
    **overrides: Any,
) -> Grid:
    lo, hi = (interval, interval) if isinstance(interval, str) else interval
    flags = overrides.pop("flags", VENUE_FLAGS[inst.venue])
    params = GridParams(
        qty=Decimal(qty),
        flags=flags,
        grid_interval=DecimalRange(Decimal(lo), Decimal(hi)),
        **overrides,
    )
    return Grid(params, fear_greed=fear_greed)


def make_ctx(
    inst: Instrument = PAPER,
    *,
    bid: str | None = "100.00",
    ask: str | None = "100.01",
    base: str | None = "10",
    quote: str | None = "10000",
    amend_keeps_id: bool = False,
    maker_fee: str = "0",
    now_ns: int = 1000 * S,
) -> FakeContext:
    return FakeContext(
        inst,
        bid=bid,
        ask=ask,
        base=base,
        quote=quote,
        maker_fee=maker_fee,
        now_ns=now_ns,
        strategy_code=StrategyCode.GRID,
        amend_keeps_id=amend_keeps_id,
    )


def submits(reqs: list[Request], side: Side | None = None) -> list[Request]:
    return [r for r in reqs if r.kind == "submit" and (side is None or r.side is side)]


def kinds(reqs: list[Request]) -> list[tuple[str, Side | None]]:
    return [(r.kind, r.side) for r in reqs]


def live(ctx: FakeContext, side: Side) -> list[OpenOrder]:
    return [o for o in ctx.open_orders() if o.side is side]


def started(
    grid: Grid | None = None, ctx: FakeContext | None = None, **ctx_kw: Any
) -> tuple[Grid, FakeContext]:
    """A grid that placed its first pair and had both orders acknowledged."""
    grid = grid if grid is not None else make_grid()
    ctx = ctx if ctx is not None else make_ctx(**ctx_kw)
    grid.on_start(ctx)
    for req in submits(ctx.take()):
        ctx.accept(req.client_id, grid)
    ctx.take()
    return grid, ctx


def tick(ctx: FakeContext, grid: Grid, seconds: float = 1.0) -> list[Request]:
    """Let time pass, run the timer, return what the grid asked for."""
    ctx.advance(int(seconds * S))
    grid.on_timer(ctx)
    return ctx.take()


def move(ctx: FakeContext, grid: Grid, bid: str, ask: str, seconds: float = 0.1) -> list[Request]:
    ctx.advance(int(seconds * S))
    ctx.set_book(bid, ask)
    grid.on_book(ctx)
    return ctx.take()


def event_fields(ctx: FakeContext, client_id: str) -> dict[str, Any]:
    """The common fields of an order event or fill, for events built by hand."""
    return {
        "ts_exchange": ctx.now_ns,
        "ts_local": ctx.now_ns,
        "instrument_id": ctx.instrument.id,
        "client_id": client_id,
        "venue_order_id": client_id,
    }


def with_flags(inst: Instrument, **changes: Any) -> Any:
    return replace(VENUE_FLAGS[inst.venue], **changes)


# --- the price functions -------------------------------------------------------------------


def test_grid_price_rounds_to_the_nearest_tick() -> None:
    assert grid_price(PAPER, PAPER.price("100.00"), Decimal("1"), above=True) == 10100
    assert grid_price(PAPER, PAPER.price("100.01"), Decimal("1"), above=False) == 9901
    assert grid_price(PAPER, PAPER.price("123.45"), Decimal("0.5"), above=True) == 12407


def test_post_only_prices_never_cross_the_book() -> None:
    tiny = Decimal("0.001")  # interval smaller than a tick
    assert buy_price(PAPER, 10001, tiny) == 10000
    assert sell_price(PAPER, 10000, 10000, tiny) == 10001


def test_double_distance_is_two_intervals_of_the_bid() -> None:
    assert double_distance(10050, Decimal("1")) == Decimal("201")


def test_spacing_price_is_closest_sell_minus_double() -> None:
    assert spacing_price(PAPER, 10100, Decimal("201")) == 9899


def test_min_move_is_ten_ticks_or_five_percent_of_an_interval() -> None:
    # 10 ticks (0.10) beat 5 % of 1 % of 100 (0.05)
    assert min_move(PAPER, 10000, Decimal("1"), 10, Decimal("0.05")) == Decimal(10)
    # 5 % of a 5 % interval at 100 is 0.25: more than 10 ticks
    assert min_move(PAPER, 10000, Decimal("5"), 10, Decimal("0.05")) == Decimal(25)


def test_tick_follows_hyperliquid_significant_figures() -> None:
    assert tick_at(HYPE, HYPE.price("41.23")) == HYPE.price("0.001")
    assert tick_at(HYPE, HYPE.price("1.2345")) == HYPE.price("0.0001")
