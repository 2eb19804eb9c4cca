"""Venue price rules: which scaled-integer prices are valid and how to snap to one.

Each rule works on integer units of 10**-decimals (the instrument's price scale). Rules are
small objects behind one interface so a venue with an unusual rule adds one class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from falconet.core.enums import Rounding
from falconet.core.fixed import format_scaled, pow10, round_to_multiple


class PriceRule(Protocol):
    def is_valid(self, units: int, decimals: int) -> bool: ...

    def snap(self, units: int, decimals: int, rounding: Rounding) -> int:
        """Nearest valid price in the direction `rounding` (units may already be valid)."""
        ...

    def describe(self, decimals: int) -> str: ...


@dataclass(frozen=True, slots=True)
class TickRule:
    """Prices are multiples of a fixed tick (Kraken, Lighter, IBKR, Binance)."""

    tick: int  # in price units

    def is_valid(self, units: int, decimals: int) -> bool:
        return units % self.tick == 0

    def snap(self, units: int, decimals: int, rounding: Rounding) -> int:
        return round_to_multiple(units, self.tick, rounding)

    def describe(self, decimals: int) -> str:
        return f"tick {format_scaled(self.tick, decimals)}"


@dataclass(frozen=True, slots=True)
class TieredTickRule:
    """Tick depends on the price: US equities quote in 0.0001 below $1 and 0.01 above.

    `tiers` is ((threshold_units, tick_units), ...) ascending; the tick of the highest
    threshold <= price applies. The first threshold must be 0.
    """

    tiers: tuple[tuple[int, int], ...]

    def _tick(self, units: int) -> int:
        tick = self.tiers[0][1]
        for threshold, t in self.tiers:
            if units >= threshold:
                tick = t
        return tick

    def is_valid(self, units: int, decimals: int) -> bool:
        return units % self._tick(units) == 0

    def snap(self, units: int, decimals: int, rounding: Rounding) -> int:
        snapped = round_to_multiple(units, self._tick(units), rounding)
        # Crossing a tier boundary can land on a price the coarser tier forbids.
        if not self.is_valid(snapped, decimals):
            snapped = round_to_multiple(snapped, self._tick(snapped), rounding)
        return snapped

    def describe(self, decimals: int) -> str:
        parts = [
            f"≥{format_scaled(th, decimals)}: {format_scaled(t, decimals)}" for th, t in self.tiers
        ]
        return "ticks " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class SigFigRule:
    """Hyperliquid: at most `sig_figs` significant figures and at most `decimals` decimals
    (the instrument scale is the decimal cap); integer prices are always valid."""

    sig_figs: int = 5

    def is_valid(self, units: int, decimals: int) -> bool:
        if units % pow10(decimals) == 0:
            return True
        digits = str(abs(units)).rstrip("0")
        return len(digits) <= self.sig_figs

    def _step(self, units: int, decimals: int) -> int:
        """Smallest valid increment at the magnitude of `units`."""
        n_digits = len(str(abs(units)))
        # Integers are always valid, so the step never exceeds one whole unit.
        return min(pow10(max(n_digits - self.sig_figs, 0)), pow10(decimals))

    def snap(self, units: int, decimals: int, rounding: Rounding) -> int:
        if units == 0 or self.is_valid(units, decimals):
            return units
        snapped = round_to_multiple(units, self._step(units, decimals), rounding)
        # Rounding up can add a digit (99999.5 -> 100000): still valid, the step only grows.
        if not self.is_valid(snapped, decimals):  # pragma: no cover - defensive
            snapped = round_to_multiple(snapped, self._step(snapped, decimals), rounding)
        return snapped

    def describe(self, decimals: int) -> str:
        return f"{self.sig_figs} significant figures, at most {decimals} decimals"
