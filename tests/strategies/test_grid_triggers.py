"""When the grid runs, who it is, and the quote it holds for its buys."""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Side, Venue
from falconet.core.events import BalanceUpdate
from falconet.core.ids import StrategyCode
from falconet.strategies.api import Wakeup
from falconet.strategies.grid import Grid, QuoteReservations
from tests.strategies.test_grid_harness import PAPER, kinds, make_ctx, make_grid, started


def test_grid_wakes_on_book_changes_and_every_second() -> None:
    grid = make_grid()
    assert grid.wakeup == Wakeup(every_ms=1000, on_book=True)
    assert (Grid.name, Grid.code) == ("grid", StrategyCode.GRID)


def test_start_runs_the_first_cycle() -> None:
    grid, ctx = make_grid(), make_ctx()
    grid.on_start(ctx)
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_a_balance_update_runs_a_cycle() -> None:
    grid, ctx = make_grid(), make_ctx(base="0")
    grid.on_start(ctx)
    assert ctx.take() == []
    ctx.set_balances("3", "10000")
    update = BalanceUpdate(
        ts_exchange=ctx.now_ns, ts_local=ctx.now_ns, venue=Venue.PAPER, asset="SOL",
        total=Decimal(3), free=Decimal(3),
    )  # fmt: skip
    grid.on_balance(ctx, update)
    assert kinds(ctx.take()) == [("submit", Side.SELL), ("submit", Side.BUY)]


def test_events_of_orders_that_are_not_the_grids_are_ignored() -> None:
    grid, ctx = started()
    foreign = ctx.add_foreign_order(Side.BUY, "90.00", "1")
    ctx.cancel_ack(foreign.client_id, grid)
    assert ctx.take() == []


def test_the_grid_holds_quote_for_its_buy_in_the_shared_ledger() -> None:
    shared = QuoteReservations()
    first = Grid(make_grid().params, reservations=shared)
    grid, ctx = started(first)
    assert shared.total() == Decimal("99.01")  # the buy at 99.01 × 1
    other = Grid(make_grid().params, reservations=shared)
    assert other.quote_available(ctx.balances()) == Decimal(10000) - Decimal("99.01")
    grid.on_stop(ctx)
    assert shared.total() == 0


def test_prices_and_sizes_are_instrument_units() -> None:
    grid, ctx = make_grid(qty="0.35"), make_ctx()
    grid.on_start(ctx)
    for req in ctx.take():
        assert isinstance(req.price, int) and isinstance(req.size, int)
        assert req.size == PAPER.size("0.35")
