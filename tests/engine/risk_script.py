"""A scripted strategy for driving the real engine (or the backtester) through the risk
layer: on its first book it sends a fixed list of orders and records every answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.core.enums import OrderType, Rounding, Side, TimeInForce
from falconet.core.events import Fill, OrderAccepted, OrderEvent, OrderRejected
from falconet.core.ids import Intent, StrategyCode
from falconet.engine import engine as engine_module
from falconet.strategies.api import Context, Strategy, Wakeup


@dataclass(frozen=True)
class Step:
    """One order: `away_pct` from the mid (negative: below), or a market order."""

    side: Side
    size: str
    away_pct: str | None = "-0.5"  # None: a market order
    reduce_only: bool = False
    tif: TimeInForce = TimeInForce.GTC


@dataclass
class Record:
    """What came back for each order the script sent, in order."""

    sent: list[tuple[str, str, str, str]] = field(default_factory=list)  # cid, side, px, size
    outcome: dict[str, str] = field(default_factory=dict)  # cid -> "accepted" | kind/rule
    fills: list[Fill] = field(default_factory=list)

    def rejected(self) -> list[str]:
        """`kind/rule` of every refused order, in the order sent."""
        return [self.outcome[c] for c, *_ in self.sent if self.outcome.get(c, "") != "accepted"]


class Script(Strategy):
    name = "script"
    code = StrategyCode.MANUAL
    wakeup = Wakeup(on_book=True)

    def __init__(self, steps: list[Step], record: Record) -> None:
        self.steps = list(steps)
        self.record = record
        self.fired = False

    def on_book(self, ctx: Context) -> None:
        if self.fired or ctx.best_bid() is None or ctx.best_ask() is None:
            return
        self.fired = True
        bid, ask = ctx.best_bid(), ctx.best_ask()
        assert bid is not None and ask is not None
        mid = ctx.instrument.price_decimal((bid + ask) // 2)
        for step in self.steps:
            self.send(ctx, step, mid)

    def send(self, ctx: Context, step: Step, mid: Decimal) -> str:
        inst = ctx.instrument
        size = inst.size(step.size)
        if step.away_pct is None:
            cid = ctx.submit(
                step.side, None, size, tif=TimeInForce.IOC, order_type=OrderType.MARKET,
                reduce_only=step.reduce_only, intent=Intent.ENTRY,
            )  # fmt: skip
            self.record.sent.append((cid, step.side.value, "market", step.size))
            return cid
        raw = mid * (1 + Decimal(step.away_pct) / 100)
        price = inst.round_price(raw, Rounding.DOWN if step.side is Side.BUY else Rounding.UP)
        cid = ctx.submit(
            step.side, price, size, tif=step.tif, reduce_only=step.reduce_only,
            intent=Intent.ENTRY,
        )  # fmt: skip
        self.record.sent.append((cid, step.side.value, inst.price_str(price), step.size))
        return cid

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        if isinstance(event, OrderAccepted):
            self.record.outcome.setdefault(event.client_id, "accepted")
        elif isinstance(event, OrderRejected):
            self.record.outcome[event.client_id] = f"{event.kind.value}/{event.rule}"

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        self.record.outcome.setdefault(fill.client_id, "accepted")
        self.record.fills.append(fill)


@contextmanager
def scripted(monkeypatch: Any, scripts: dict[str, Callable[[], Strategy]]) -> Iterator[None]:
    """The engine builds each entry's strategy from `scripts[symbol]` instead of the
    config's Grid or MM (everything else is the real engine)."""
    real = engine_module.strategy_factory

    def factory(config: Any, plan: Any, instrument: Any, *args: Any) -> Callable[[], Strategy]:
        make = scripts.get(plan.entry.symbol)
        return make if make is not None else real(config, plan, instrument, *args)

    monkeypatch.setattr(engine_module, "strategy_factory", factory)
    yield
