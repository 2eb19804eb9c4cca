"""The market maker, unchanged, through the backtester on a simulated market: what a
trader checks after a run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from falconet.backtest.runner import BacktestRun, run_backtest
from falconet.core.enums import Side
from falconet.core.events import BalanceUpdate, Fill, OrderEvent
from falconet.core.ids import StrategyCode
from falconet.core.orders import OrderStatus
from falconet.data.format import EventTable
from falconet.sim.market import MarketParams, generate
from falconet.sim.models import FeeModel, SimConfig
from falconet.strategies.api import Context
from falconet.strategies.mm import MarketMaker

MAKER_FEE = 0.0002
MIN_USD = Decimal(300)


@dataclass(frozen=True)
class Sent:
    kind: str  # submit | amend
    side: Side
    price: int
    bid: int
    ask: int
    paused: bool


class Recorder:
    """Forwards everything to the backtest's context and notes each request with the
    book the strategy saw when it made it."""

    def __init__(self, inner: Context, mm: Observed) -> None:
        self._inner = inner
        self._mm = mm

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _note(self, kind: str, side: Side, price: int) -> None:
        bid, ask = self._inner.best_bid(), self._inner.best_ask()
        assert bid is not None and ask is not None
        self._mm.sent.append(Sent(kind, side, price, bid, ask, self._mm.paused))

    def submit(self, side: Side, price: int | None, size: int, **kw: Any) -> str:
        assert price is not None
        self._note("submit", side, price)
        return self._inner.submit(side, price, size, **kw)

    def amend(self, client_id: str, *, price: int | None = None, size: int | None = None) -> None:
        assert price is not None
        self._note("amend", Side.BUY, price)
        self._inner.amend(client_id, price=price, size=size)


class Observed(MarketMaker):
    """The market maker with a trader looking over its shoulder after every callback."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sent: list[Sent] = []
        self.most_resting_buys = 0
        # free quote, value of one buy at the bid, whether an MM buy was open
        self.pause_starts: list[tuple[Decimal, Decimal, bool]] = []
        self.fills = {Side.BUY: 0, Side.SELL: 0}

    def _watch(self, ctx: Context, was_paused: bool) -> None:
        buys = [
            o for o in ctx.open_orders() if o.side is Side.BUY and o.strategy is StrategyCode.MM
        ]
        resting = [o for o in buys if o.status is not OrderStatus.PENDING_NEW]
        self.most_resting_buys = max(self.most_resting_buys, len(resting))
        if self.paused and not was_paused:
            quote, bid = ctx.balances().quote_total, ctx.best_bid()
            assert quote is not None and bid is not None
            inst = ctx.instrument
            locked = sum((inst.notional(o.price, o.quantity - o.filled) for o in buys), Decimal(0))
            self.pause_starts.append((quote - locked, inst.notional(bid, self.qty), bool(buys)))

    def on_start(self, ctx: Context) -> None:
        was = self.paused
        super().on_start(Recorder(ctx, self))
        self._watch(ctx, was)

    def on_book(self, ctx: Context) -> None:
        was = self.paused
        super().on_book(Recorder(ctx, self))
        self._watch(ctx, was)

    def on_timer(self, ctx: Context) -> None:
        was = self.paused
        super().on_timer(Recorder(ctx, self))
        self._watch(ctx, was)

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        was = self.paused
        super().on_order(Recorder(ctx, self), event)
        self._watch(ctx, was)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        self.fills[fill.side] += 1
        was = self.paused
        super().on_fill(Recorder(ctx, self), fill)
        self._watch(ctx, was)

    def on_balance(self, ctx: Context, update: BalanceUpdate) -> None:
        was = self.paused
        super().on_balance(Recorder(ctx, self), update)
        self._watch(ctx, was)


@pytest.fixture(scope="module")
def market() -> EventTable:
    return generate(MarketParams(duration_s=600, seed=5))


def simulate(market: EventTable, mm: Observed, *, quote: float, base: float) -> BacktestRun:
    config = SimConfig(initial_balance=quote, initial_base=base, fees=FeeModel(MAKER_FEE, 0.0005))
    return run_backtest([market], [mm], config)


@pytest.fixture(scope="module")
def round_trips(market: EventTable) -> tuple[Observed, BacktestRun]:
    """Enough of both assets, no limits: the plain sell-at-ask / buy-below cycle."""
    mm = Observed(qty=1)
    return mm, simulate(market, mm, quote=1000.0, base=2.0)


@pytest.fixture(scope="module")
def quote_floor(market: EventTable) -> tuple[Observed, BacktestRun]:
    """450 quote and no base: one filled 100-unit buy takes the quote under the 300 floor."""
    mm = Observed(qty=1, min_usd_balance=str(MIN_USD))
    return mm, simulate(market, mm, quote=450.0, base=0.0)


@pytest.fixture(params=["round_trips", "quote_floor"])
def any_run(request: pytest.FixtureRequest) -> tuple[Observed, BacktestRun]:
    result: tuple[Observed, BacktestRun] = request.getfixturevalue(request.param)
    return result


def buys(mm: Observed) -> list[Sent]:
    return [s for s in mm.sent if s.side is Side.BUY]


def test_round_trips_fill_both_sides(round_trips: tuple[Observed, BacktestRun]) -> None:
    mm, _ = round_trips
    assert mm.fills[Side.BUY] >= 3
    assert mm.fills[Side.SELL] >= 3
    assert mm.pauses == 0
    assert mm.maker_fee == Decimal(str(MAKER_FEE))  # the simulator's fee, via the context


def test_never_more_than_one_mm_buy_resting(any_run: tuple[Observed, BacktestRun]) -> None:
    mm, _ = any_run
    assert mm.most_resting_buys == 1


def test_buys_never_above_the_bid_when_sent(any_run: tuple[Observed, BacktestRun]) -> None:
    mm, _ = any_run
    assert buys(mm)
    assert all(s.price <= s.bid for s in buys(mm))


def test_sells_never_below_the_ask_when_sent(any_run: tuple[Observed, BacktestRun]) -> None:
    mm, _ = any_run
    assert all(s.price >= s.ask for s in mm.sent if s.side is Side.SELL)


def test_every_buy_keeps_the_fee_edge_below_the_ask(
    any_run: tuple[Observed, BacktestRun],
) -> None:
    mm, run = any_run
    inst = run.results[0].instrument
    edge = 2 * Decimal(str(MAKER_FEE)) + Decimal("0.0001")
    for s in buys(mm):
        ask = inst.price_decimal(s.ask)
        assert ask - inst.price_decimal(s.price) >= ask * edge, s


def test_pause_when_the_quote_runs_low(quote_floor: tuple[Observed, BacktestRun]) -> None:
    mm, _ = quote_floor
    assert mm.pauses >= 1
    assert len(mm.pause_starts) == mm.pauses
    for free, bid_value, buy_open in mm.pause_starts:
        # the floor was broken: free quote, less the next buy when none was open
        assert free - (Decimal(0) if buy_open else bid_value) < MIN_USD
    # paused: no buy goes out; the free base is offered at the ask, once per pause
    assert not [s for s in buys(mm) if s.paused]
    assert 1 <= mm.emergency_sells <= 2 * mm.pauses
    # and quoting resumes once the sells bring the quote back
    first_pause = next(i for i, s in enumerate(mm.sent) if s.paused)
    assert any(s.side is Side.BUY for s in mm.sent[first_pause:])
