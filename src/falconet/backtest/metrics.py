"""Trading metrics as pure functions on numpy arrays: no run objects, no I/O.

Times are int64 ns; money is float64 in quote currency; positions are float64 in base units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B8 = npt.NDArray[np.bool_]

NS_PER_S = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_S
NS_PER_YEAR = 365 * NS_PER_DAY


# --- average-cost PnL -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AverageCost:
    """Per fill: realized PnL of that fill, and the position and average cost after it."""

    realized: F64
    position: F64
    avg_cost: F64  # 0 while flat


def average_cost(signed_size: F64, price: F64, contract: float = 1.0) -> AverageCost:
    """Average-cost accounting of a fill sequence.

    A fill that adds to the position (or opens one) moves the average cost; a fill that
    reduces it realizes `closed × (price − avg) × contract` (sign-adjusted for shorts) and
    leaves the average unchanged; a fill that crosses zero closes the old position and opens
    the remainder at its own price."""
    n = signed_size.shape[0]
    realized = np.zeros(n, dtype=np.float64)
    position = np.zeros(n, dtype=np.float64)
    avg_cost = np.zeros(n, dtype=np.float64)
    pos = 0.0
    avg = 0.0
    # A Python loop: each step depends on the last, and 10⁵ fills take well under a second.
    for i, (dq, px) in enumerate(zip(signed_size.tolist(), price.tolist(), strict=True)):
        if dq == 0.0:
            pass
        elif pos == 0.0 or (pos > 0.0) == (dq > 0.0):
            new = pos + dq
            avg = (avg * abs(pos) + px * abs(dq)) / abs(new)
            pos = new
        else:
            closed = min(abs(dq), abs(pos))
            realized[i] = closed * (px - avg) * contract * (1.0 if pos > 0.0 else -1.0)
            if abs(dq) > abs(pos):  # flipped: the rest opens at this fill's price
                pos, avg = pos + dq, px
            else:
                pos += dq
                if pos == 0.0:
                    avg = 0.0
        position[i] = pos
        avg_cost[i] = avg
    return AverageCost(realized, position, avg_cost)


# --- curves ----------------------------------------------------------------------------------


def forward_fill(values: F64) -> F64:
    """NaNs replaced by the last finite value before them; leading NaNs by the first one."""
    ok = np.isfinite(values)
    if ok.all() or not ok.any():
        return values.copy()
    idx = np.where(ok, np.arange(values.shape[0]), 0)
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    first = int(np.argmax(ok))
    out[:first] = values[first]
    return out


def value_at(ts: I64, values: F64, at: I64) -> F64:
    """The step function (ts, values) sampled at `at`: the last value at or before each time
    (the first value before the curve starts)."""
    i = np.searchsorted(ts, at, side="right") - 1
    return values[np.clip(i, 0, ts.shape[0] - 1)]


def sum_curves(curves: list[tuple[I64, F64]]) -> tuple[I64, F64]:
    """Step curves summed on the union of their times, each forward-filled."""
    if not curves:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    ts = np.unique(np.concatenate([t for t, _ in curves]))
    total = np.zeros(ts.shape[0], dtype=np.float64)
    for t, v in curves:
        if t.shape[0]:
            total += value_at(t, v, ts)
    return ts, total


def time_weighted_mean(ts: I64, values: F64, start: int, end: int) -> float:
    """Mean of the step function (ts, values) over [start, end]; 0 before its first point."""
    if end <= start:
        return float(values[-1]) if values.shape[0] else 0.0
    edges = np.concatenate(([start], np.clip(ts, start, end), [end])).astype(np.int64)
    held = np.concatenate(([0.0], values))
    return float(np.sum(held * np.diff(edges)) / (end - start))


# --- drawdown --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drawdown:
    """Largest fall from a running peak, in quote currency; times in ns."""

    amount: float  # >= 0
    peak_ts: int | None
    trough_ts: int | None
    recovered_ts: int | None  # first time back at the peak's level; None if never


def max_drawdown(ts: I64, equity: F64) -> Drawdown:
    if equity.shape[0] == 0:
        return Drawdown(0.0, None, None, None)
    peaks = np.maximum.accumulate(equity)
    dd = peaks - equity
    trough = int(np.argmax(dd))
    amount = float(dd[trough])
    if amount <= 0.0:
        return Drawdown(0.0, None, None, None)
    peak = int(np.argmax(equity[: trough + 1]))  # first index of the running maximum
    after = np.flatnonzero(equity[trough:] >= equity[peak])
    recovered = int(ts[trough + after[0]]) if after.shape[0] else None
    return Drawdown(amount, int(ts[peak]), int(ts[trough]), recovered)


# --- risk-adjusted return --------------------------------------------------------------------


def periods_per_year(interval_ns: int) -> float:
    """Intervals in a 365-day year: 525,600 for one minute."""
    return NS_PER_YEAR / interval_ns


def resampled_changes(ts: I64, equity: F64, interval_ns: int) -> F64:
    """Equity changes over consecutive `interval_ns` intervals from the first time; a final
    partial interval is dropped so every change covers the same time."""
    if ts.shape[0] == 0 or interval_ns <= 0:
        return np.zeros(0, dtype=np.float64)
    k = (int(ts[-1]) - int(ts[0])) // interval_ns
    grid = int(ts[0]) + interval_ns * np.arange(k + 1, dtype=np.int64)
    return np.diff(value_at(ts, equity, grid))


def _degenerate(scale: float, mean: float) -> bool:
    # A spread this small next to the mean is rounding noise: the ratio would be meaningless.
    return not math.isfinite(scale) or scale <= 1e-12 * max(abs(mean), 1e-300)


def sharpe(changes: F64, periods: float) -> float | None:
    """mean / sample std of the changes × √periods; None with fewer than two changes or
    no variance (the ratio is undefined, not infinite)."""
    if changes.shape[0] < 2:
        return None
    mean = float(np.mean(changes))
    std = float(np.std(changes, ddof=1))
    if _degenerate(std, mean):
        return None
    return mean / std * math.sqrt(periods)


def sortino(changes: F64, periods: float) -> float | None:
    """mean / downside deviation (root mean square of the negative changes, over all
    changes, target 0) × √periods; None with fewer than two changes or no losses."""
    if changes.shape[0] < 2:
        return None
    mean = float(np.mean(changes))
    downside = float(np.sqrt(np.mean(np.minimum(changes, 0.0) ** 2)))
    if _degenerate(downside, mean):
        return None
    return mean / downside * math.sqrt(periods)
