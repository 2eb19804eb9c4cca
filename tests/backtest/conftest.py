"""The reference grid run on the shared synthetic market, built once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from falconet.backtest.runner import BacktestRun, run_backtest
from falconet.data.format import read_events
from falconet.sim.models import FeeModel, LatencyModel, SimConfig
from falconet.strategies import make_strategy


@pytest.fixture(scope="session")
def grid_run(shared_data: Path) -> BacktestRun:
    table = read_events(shared_data / "synthetic" / "synth_l2.parquet")
    cfg = SimConfig(latency=LatencyModel.constant(10, 10), fees=FeeModel(-0.00005, 0.0005))
    return run_backtest([table], [make_strategy("hbt-grid", (), table.instrument)], cfg)
