"""Fear & Greed resolution of the grid interval and the accumulation buffer.

The index is read every cycle; a reading that differs from the one last applied
re-resolves both ranges. A price move of `fng_check_threshold` percent from the baseline
resets the baseline and asks the source for a fresh reading. With no reading (or no
source) each range resolves to its midpoint.
"""

from __future__ import annotations

import math
from decimal import Decimal

from falconet.observe.log import get_logger
from falconet.strategies.fear_greed import FearGreedSource, midpoint, resolve
from falconet.strategies.grid.params import GridParams

log = get_logger("grid")


class Resolver:
    def __init__(self, params: GridParams, source: FearGreedSource | None) -> None:
        self.params = params
        self.source = source
        self.grid_interval = midpoint(params.grid_interval)  # percent
        self.buffer = midpoint(params.accumulation_buffer)  # quote
        self.baseline: Decimal | None = None
        self.applied: float | None = None
        self._resolved = False

    def observe(self, price: Decimal) -> bool:
        """Check the price against the baseline and re-resolve if the reading changed;
        True when the resolved values were (re)computed."""
        if self.baseline is None or self.baseline <= 0:
            self.baseline = price
        elif abs(price - self.baseline) / self.baseline * 100 >= self.params.fng_check_threshold:
            self.baseline = price
            if self.source is not None:
                self.source.request_refresh()
        reading = self.source.value() if self.source is not None else None
        if reading is not None and not math.isfinite(reading):
            reading = None
        if self._resolved and reading == self.applied:
            return False
        self._resolved = True
        self.applied = reading
        self.grid_interval = resolve(self.params.grid_interval, reading)
        self.buffer = resolve(self.params.accumulation_buffer, reading)
        log.info(
            "grid resolved",
            fear_greed=reading,
            grid_interval=self.grid_interval,
            accumulation_buffer=self.buffer,
        )
        return True
