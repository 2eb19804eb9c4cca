"""The chart writer: downsampling keeps extremes, output is well-formed and escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from falconet.backtest.report_svg import Series, chart, downsample_minmax, nice_step


def test_downsampling_keeps_spikes_and_ends() -> None:
    n = 1_000_000
    x = np.arange(n, dtype=np.float64)
    y = np.sin(x / 5000.0)
    y[123_457] = 100.0  # one-point spike and dip: exactly what a plot must not lose
    y[876_543] = -50.0
    dx, dy = downsample_minmax(x, y, 500)
    assert dx.shape[0] <= 4 * 500
    assert dy.max() == 100.0 and dy.min() == -50.0
    assert dx[dy.argmax()] == 123_457 and dx[dy.argmin()] == 876_543
    assert dx[0] == 0 and dx[-1] == n - 1
    assert np.all(np.diff(dx) > 0)  # x order kept


def test_each_bucket_keeps_its_own_extremes() -> None:
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(0, 1000, 50_000))
    y = rng.normal(0, 1, 50_000)
    dx, dy = downsample_minmax(x, y, 100)
    bucket = np.minimum(((x - x[0]) * (100 / (x[-1] - x[0]))).astype(int), 99)
    kept = np.minimum(((dx - x[0]) * (100 / (x[-1] - x[0]))).astype(int), 99)
    for b in (0, 37, 99):
        assert dy[kept == b].max() == y[bucket == b].max()
        assert dy[kept == b].min() == y[bucket == b].min()


def test_short_series_are_untouched_and_nan_dropped() -> None:
    x = np.arange(10, dtype=np.float64)
    y = x * 2
    dx, dy = downsample_minmax(x, y, 100)
    assert dx.tolist() == x.tolist() and dy.tolist() == y.tolist()
    y[3] = np.nan
    dx, _ = downsample_minmax(x, y, 100)
    assert 3.0 not in dx.tolist()


def test_nice_step() -> None:
    assert nice_step(10.0, 5) == 2.0
    assert nice_step(0.07, 5) == 0.02
    assert nice_step(0.0, 5) == 1.0


def test_chart_is_wellformed_and_escapes_labels() -> None:
    x = np.linspace(0, 3600, 50_000)
    svg = chart(
        [
            Series(x, np.cumsum(np.ones_like(x)), "equity <a&b>", "#123456"),
            Series(x[::100], x[::100], "buy", "#00aa00", "buy"),
            Series(x[::100], x[::100] + 1, "pos", "#aa0000", "step", dashed=True),
        ],
        origin_ns=1_700_000_000_000_000_000,
        title='PnL "<script>"',
        unit="USD",
        zero_line=True,
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "equity <a&b>" in texts and 'PnL "<script>"' in texts
    assert "<script" not in svg and "<a&b>" not in svg
    assert len(svg) < 120_000  # 50,000 points reduced to a few per pixel


def test_empty_chart_says_so() -> None:
    empty = np.zeros(0, dtype=np.float64)
    svg = chart([Series(empty, empty, "equity", "#000")], origin_ns=0, title="Equity")
    ET.fromstring(svg)
    assert "no data" in svg
