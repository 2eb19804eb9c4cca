"""Built-in strategies by name."""

from __future__ import annotations

from collections.abc import Sequence

from falconet.strategies.api import Strategy
from falconet.strategies.hbt_grid import HbtGrid
from falconet.strategies.params import ParamError, parse_params

STRATEGIES: dict[str, type[Strategy]] = {HbtGrid.name: HbtGrid}


def make_strategy(name: str, params: Sequence[str] = ()) -> Strategy:
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ParamError(
            f"unknown strategy {name!r}: expected one of {', '.join(sorted(STRATEGIES))}"
        ) from None
    return cls(**parse_params(cls, params))
