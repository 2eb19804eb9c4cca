"""The grid runs unchanged in the backtester; what a trader checks holds at every cycle."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from falconet.backtest.runner import run_backtest
from falconet.config.values import DecimalRange
from falconet.core.enums import Side, Venue
from falconet.data.format import EventTable
from falconet.sim import layout
from falconet.sim.market import MarketParams, generate
from falconet.sim.models import FeeModel, SimConfig
from falconet.strategies.api import Context
from falconet.strategies.grid import VENUE_FLAGS, Grid, GridParams


@cache
def _market() -> EventTable:
    return generate(MarketParams(duration_s=120, seed=3))


class CheckedGrid(Grid):
    """A grid that checks a trader's invariants after every cycle."""

    def __init__(self, params: GridParams) -> None:
        super().__init__(params)
        self.problems: list[str] = []
        self.cycles = 0

    def cycle(self, ctx: Context) -> None:
        super().cycle(ctx)
        self.cycles += 1
        orders = ctx.open_orders()
        buys = [o for o in orders if o.side is Side.BUY]
        sells = self.view(ctx).sells
        base = ctx.balances().base_total or Decimal(0)
        inst = ctx.instrument
        if len(buys) > 1:
            self.problems.append(f"{len(buys)} buys resting at {ctx.now_ns}")
        if buys and sells and max(b.price for b in buys) >= min(s.price for s in sells):
            self.problems.append(f"a buy at or above a sell at {ctx.now_ns}")
        if self.state.reserved_base < 0 or self.state.accumulated_profit < 0:
            self.problems.append(f"negative accumulation state {self.state}")
        locked = inst.size_decimal(sum(s.quantity - s.filled for s in sells))
        if self.state.reserved_base + locked > base + self.gates.anticipated:
            self.problems.append(f"reserved base offered for sale at {ctx.now_ns}")


def _run(
    *, qty: str, min_notional: str, sell_mult: str, profit: str
) -> tuple[CheckedGrid, Any, EventTable]:
    table = _market()
    inst = replace(table.instrument, venue=Venue.SIM, min_notional=Decimal(min_notional))
    table = replace(table, instrument=inst)
    grid = CheckedGrid(
        GridParams(
            qty=Decimal(qty),
            flags=VENUE_FLAGS[Venue.SIM],
            grid_interval=DecimalRange(Decimal("0.02"), Decimal("0.04")),
            sell_mult=Decimal(sell_mult),
            min_move_ticks=1,
        )
    )
    grid.restore_state({"accumulated_profit": profit})
    config = SimConfig(
        initial_balance=100_000.0, initial_base=40.0, fees=FeeModel(maker=0.0001, taker=0.0005)
    )
    run = run_backtest([table], [grid], config)
    return grid, run.results[0], table


@pytest.mark.parametrize(
    ("qty", "min_notional", "sell_mult", "profit"),
    [("1", "150", "1", "0"), ("4", "0", "0.75", "1000")],
    ids=["dynamic-sizing", "accumulation"],
)
def test_grid_backtest_keeps_its_invariants(
    qty: str, min_notional: str, sell_mult: str, profit: str
) -> None:
    grid, result, table = _run(
        qty=qty, min_notional=min_notional, sell_mult=sell_mult, profit=profit
    )
    inst = table.instrument
    ev = result.events
    fills = ev[ev[:, layout.EV_KIND] == layout.E_FILL]
    sent = ev[ev[:, layout.EV_KIND] == layout.E_SENT]
    assert grid.cycles > 1000 and len(fills) > 20, "the market should trade the grid"
    assert grid.problems == []
    tick = result.asset.tick_units
    for row in sent:
        assert inst.notional(int(row[layout.EV_TICK]) * tick, int(row[layout.EV_QTY])) >= Decimal(
            min_notional
        )
    assert grid.state.last_fill_ts == int(fills[:, layout.EV_XTS].max())
    if sell_mult != "1":
        retained = grid.state.reserved_base
        assert retained > 0, "profit covered accumulation sells"
        spent = Decimal(profit) - grid.state.accumulated_profit
        assert spent > 0  # slivers are paid for out of profit
    else:
        assert grid.state.reserved_base == 0
