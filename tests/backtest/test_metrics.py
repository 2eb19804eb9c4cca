"""Metrics on hand-computed sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from falconet.backtest import metrics as m

S = m.NS_PER_S


def f64(*xs: float) -> m.F64:
    return np.array(xs, dtype=np.float64)


def i64(*xs: int) -> m.I64:
    return np.array(xs, dtype=np.int64)


def test_average_cost_by_hand() -> None:
    # buy 2 @100, buy 1 @103 -> avg 101; sell 2 @104 -> +6; sell 2 @99 closes 1 (-2) and
    # opens a short of 1 @99; buy 1 @97 closes it (+2).
    ac = m.average_cost(f64(2, 1, -2, -2, 1), f64(100, 103, 104, 99, 97))
    assert ac.realized.tolist() == pytest.approx([0, 0, 6, -2, 2])
    assert ac.position.tolist() == [2, 3, 1, -1, 0]
    assert ac.avg_cost.tolist() == pytest.approx([100, 101, 101, 99, 0])


def test_average_cost_short_and_contract() -> None:
    # sell 1 @100, sell 1 @102 -> short 2 @101; buy 1 @100 realizes +1 per unit, x contract 10
    ac = m.average_cost(f64(-1, -1, 1), f64(100, 102, 100), contract=10.0)
    assert ac.realized.tolist() == pytest.approx([0, 0, 10])
    assert ac.avg_cost[-1] == pytest.approx(101)


@pytest.mark.parametrize("seed", range(5))
def test_realized_plus_unrealized_is_the_cash_flow(seed: int) -> None:
    """Whatever the fills, realized + position × (mark − avg) = −cash + position × mark."""
    rng = np.random.default_rng(seed)
    size = rng.integers(-5, 6, 400).astype(np.float64)
    price = 100 + np.cumsum(rng.normal(0, 0.5, 400))
    ac = m.average_cost(size, price)
    mark = 101.25
    pos = float(np.sum(size))
    assert ac.position[-1] == pytest.approx(pos)
    explained = float(np.sum(ac.realized)) + pos * (mark - ac.avg_cost[-1])
    assert explained == pytest.approx(-float(np.sum(size * price)) + pos * mark, abs=1e-8)


def test_max_drawdown_on_a_known_curve() -> None:
    ts = i64(0, 1, 2, 3, 4, 5, 6, 7)
    dd = m.max_drawdown(ts, f64(0, 5, 3, 8, 2, 4, 9, 1))
    assert (dd.amount, dd.peak_ts, dd.trough_ts, dd.recovered_ts) == (8.0, 6, 7, None)
    dd = m.max_drawdown(i64(10, 20, 30, 40, 50), f64(0, 10, 4, 7, 11))
    assert (dd.amount, dd.peak_ts, dd.trough_ts, dd.recovered_ts) == (6.0, 20, 30, 50)


def test_no_drawdown_on_a_rising_curve() -> None:
    dd = m.max_drawdown(i64(0, 1, 2), f64(1, 2, 3))
    assert dd == m.Drawdown(0.0, None, None, None)
    assert m.max_drawdown(i64(), f64()).amount == 0.0


def test_sharpe_value_and_sign() -> None:
    # mean 2, sample std 1, 4 periods a year -> 2 / 1 * 2
    assert m.sharpe(f64(1, 2, 3), 4.0) == pytest.approx(4.0)
    assert m.sharpe(f64(-1, -2, -3), 4.0) == pytest.approx(-4.0)
    rng = np.random.default_rng(1)
    assert (m.sharpe(rng.normal(0.5, 1, 500), 525600) or 0) > 0
    assert (m.sharpe(rng.normal(-0.5, 1, 500), 525600) or 0) < 0


def test_sharpe_without_variance_is_undefined() -> None:
    assert m.sharpe(f64(0, 0, 0, 0), 525600) is None
    assert m.sharpe(np.full(100, 0.1), 525600) is None  # constant gains: rounding-noise std
    assert m.sharpe(f64(1.0), 525600) is None
    assert m.sharpe(f64(), 525600) is None


def test_sortino() -> None:
    # downside deviation: sqrt((0 + 1 + 0 + 9) / 4) = sqrt(2.5)
    changes = f64(2, -1, 4, -3)
    assert m.sortino(changes, 1.0) == pytest.approx(0.5 / math.sqrt(2.5))
    assert m.sortino(f64(1, 2, 3), 1.0) is None  # no losses
    assert (m.sortino(f64(-1, -2, 0.5), 1.0) or 0) < 0


def test_resampled_changes_drop_the_partial_interval() -> None:
    ts = i64(0, 30 * S, 60 * S, 150 * S)
    changes = m.resampled_changes(ts, f64(0, 1, 2, 5), 60 * S)
    assert changes.tolist() == [2.0, 0.0]  # values at 0, 60 s, 120 s: 0, 2, 2
    assert m.periods_per_year(60 * S) == 525_600


def test_time_weighted_mean() -> None:
    # 0 over [0, 10), 2 over [10, 20), 4 over [20, 40]
    assert m.time_weighted_mean(i64(10, 20), f64(2, 4), 0, 40) == pytest.approx(2.5)
    assert m.time_weighted_mean(i64(), f64(), 0, 40) == 0.0


def test_sum_curves_forward_fills_on_the_union() -> None:
    ts, total = m.sum_curves([(i64(0, 10), f64(1, 2)), (i64(5, 20), f64(10, 30))])
    assert ts.tolist() == [0, 5, 10, 20]
    assert total.tolist() == [11, 11, 12, 32]  # the second curve holds its first value before 5


def test_forward_fill() -> None:
    out = m.forward_fill(f64(math.nan, 1, math.nan, math.nan, 3, math.nan))
    assert out.tolist() == [1, 1, 1, 1, 3, 3]
    assert np.isnan(m.forward_fill(f64(math.nan, math.nan))).all()
