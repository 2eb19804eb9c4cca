"""Bars (candles) built from a stream of prices: trades, or the book's mid.

A bar covers [start, start + interval) of local time; it is complete when the first
update of a later interval arrives (an interval without updates has no bar). Its
`ts_exchange` is its open time, `ts_local` the time it was completed.
"""

from __future__ import annotations

from enum import StrEnum

from falconet.core.events import Bar


class BarSource(StrEnum):
    TRADES = "trades"  # trade prices, volume = traded size
    MID = "mid"  # the mid of each book update, volume 0


class BarBuilder:
    __slots__ = ("_close", "_high", "_low", "_open", "_start", "_volume", "instrument_id", "ns")

    def __init__(self, instrument_id: str, interval_s: int = 60) -> None:
        if interval_s <= 0:
            raise ValueError(f"bar interval must be > 0 s, got {interval_s}")
        self.instrument_id = instrument_id
        self.ns = interval_s * 1_000_000_000
        self._start = -1  # no bar open
        self._open = self._high = self._low = self._close = self._volume = 0

    def update(self, ts_ns: int, price: int, volume: int = 0) -> Bar | None:
        """Add one price at `ts_ns`; the bar it completed, if it opens a new interval."""
        start = ts_ns - ts_ns % self.ns
        done = None
        if start != self._start:
            if self._start >= 0 and start > self._start:
                done = self._bar(ts_ns)
            elif self._start >= 0:
                return None  # earlier than the open bar: time does not go back
            self._start = start
            self._open = self._high = self._low = self._close = price
            self._volume = volume
            return done
        self._high = max(self._high, price)
        self._low = min(self._low, price)
        self._close = price
        self._volume += volume
        return None

    def _bar(self, ts_ns: int) -> Bar:
        return Bar(
            ts_exchange=self._start,
            ts_local=ts_ns,
            instrument_id=self.instrument_id,
            interval_s=self.ns // 1_000_000_000,
            open=self._open,
            high=self._high,
            low=self._low,
            close=self._close,
            volume=self._volume,
        )


def mid_of(bid: int | None, ask: int | None) -> int | None:
    """The mid in price units (rounded down to a unit), None without both sides."""
    if bid is None or ask is None:
        return None
    return (bid + ask) // 2
