"""The grid's orders as the venue last reported them (one rebuild per cycle)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.strategies.api import OpenOrder
from falconet.strategies.grid.params import VenueFlags


@dataclass(frozen=True, slots=True)
class GridView:
    buys: list[OpenOrder]
    sells: list[OpenOrder]

    @property
    def best_buy(self) -> OpenOrder | None:
        return max(self.buys, key=lambda o: o.price, default=None)

    @property
    def locked_in_sells(self) -> int:
        """Size units the resting sells still offer."""
        return sum(o.quantity - o.filled for o in self.sells)

    def buy_value(self, inst: Instrument) -> Decimal:
        """Quote the resting buys can still spend."""
        return sum((inst.notional(o.price, o.quantity - o.filled) for o in self.buys), Decimal(0))

    def sell_ids(self) -> set[str]:
        return {o.client_id for o in self.sells}


def is_grid_order(order: OpenOrder, flags: VenueFlags) -> bool:
    """Placed by a grid, or (if the venue flags say so) by nobody falconet knows."""
    if order.strategy is StrategyCode.GRID:
        return True
    return order.strategy is None and flags.adopt_untagged


def build_view(
    orders: Iterable[OpenOrder], flags: VenueFlags, evicted: Mapping[str, int]
) -> GridView:
    buys: list[OpenOrder] = []
    sells: list[OpenOrder] = []
    for o in orders:
        if o.status.is_terminal or o.client_id in evicted or not is_grid_order(o, flags):
            continue
        (buys if o.side is Side.BUY else sells).append(o)
    return GridView(buys, sells)
