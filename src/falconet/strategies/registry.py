"""Built-in strategies: by name for the backtester (`--strategy NAME --param K=V`), and
the parameter classes that `trading[]` entries are read into."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from falconet.config.schema import StrategyParams
from falconet.core.instrument import Instrument
from falconet.strategies.api import Strategy
from falconet.strategies.grid.factory import grid_from_params
from falconet.strategies.grid.params import GridEntryParams
from falconet.strategies.hbt_grid import HbtGrid
from falconet.strategies.mm.factory import mm_from_params
from falconet.strategies.mm.params import MMEntryParams
from falconet.strategies.params import ParamError, parse_params

# params, the instrument it will trade -> a fresh strategy
Builder = Callable[[Sequence[str], Instrument], Strategy]


def _hbt_grid(params: Sequence[str], instrument: Instrument) -> Strategy:
    return HbtGrid(**parse_params(HbtGrid, params))


STRATEGIES: dict[str, Builder] = {
    HbtGrid.name: _hbt_grid,
    "grid": grid_from_params,
    "mm": mm_from_params,
}


# What the config reads a trading[] entry's strategy keys into, one class per
# config.Strategy: a new strategy adds its class here, the config parser stays as it is.
ENTRY_PARAMS: tuple[type[StrategyParams], ...] = (GridEntryParams, MMEntryParams)


def make_strategy(name: str, params: Sequence[str], instrument: Instrument) -> Strategy:
    try:
        build = STRATEGIES[name]
    except KeyError:
        raise ParamError(
            f"unknown strategy {name!r}: expected one of {', '.join(sorted(STRATEGIES))}"
        ) from None
    return build(params, instrument)
