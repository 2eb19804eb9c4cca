"""`hbt-grid`: the grid market maker of the reference backtester's benchmark.

Every `step_ms` of local time: quote `levels` post-only orders of `qty` lots per side, one
tick apart, starting at the best bid and the best ask; quote bids only while the position
is below `max_position` lots and asks only while it is above -`max_position`; 'diff' mode
keeps orders already on the grid, 'replace' mode cancels everything and re-quotes.
"""

from __future__ import annotations

from typing import ClassVar

from falconet.core.ids import StrategyCode
from falconet.strategies.api import Context, Quote, Strategy, Wakeup
from falconet.strategies.params import ParamError


class HbtGrid(Strategy):
    name: ClassVar[str] = "hbt-grid"
    code: ClassVar[StrategyCode] = StrategyCode.HBT_GRID

    def __init__(
        self,
        levels: int = 5,
        step_ms: int = 100,
        max_position: int = 20,
        qty: int = 1,
        mode: str = "diff",
    ) -> None:
        if levels < 1 or step_ms < 1 or max_position < 0 or qty < 1:
            raise ParamError("hbt-grid: levels, step_ms and qty must be >= 1 and max_position >= 0")
        if mode not in ("diff", "replace"):
            raise ParamError(f"hbt-grid: mode must be 'diff' or 'replace', not {mode!r}")
        self.levels = levels
        self.max_position = max_position
        self.qty = qty
        self.replace = mode == "replace"
        self.wakeup = Wakeup(every_ms=step_ms)

    def on_start(self, ctx: Context) -> None:
        inst = ctx.instrument
        self._tick = inst.price_rule.tick if hasattr(inst.price_rule, "tick") else 1
        self._size = self.qty * inst.lot
        self._limit = self.max_position * inst.lot

    def on_timer(self, ctx: Context) -> None:
        bid = ctx.best_bid()
        ask = ctx.best_ask()
        if bid is None or ask is None:
            return
        pos = ctx.position()
        tick, size, n = self._tick, self._size, self.levels
        bids: list[Quote] = [(bid - i * tick, size) for i in range(n)] if pos < self._limit else []
        asks: list[Quote] = [(ask + i * tick, size) for i in range(n)] if pos > -self._limit else []
        ctx.reconcile(bids, asks, replace=self.replace)
