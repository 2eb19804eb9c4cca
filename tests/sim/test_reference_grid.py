"""The grid market maker of the reference backtester's benchmark, on the published
synthetic stream: our results must equal the reference engine's, model by model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from falconet.backtest.runner import run_backtest
from falconet.data.format import read_events
from falconet.sim.data import SimData
from falconet.sim.models import FeeModel, LatencyModel, SimConfig, parse_queue
from falconet.strategies import make_strategy

# steps, submits, cancels, fills, final position (lots), equity: hftbacktest 2.4.4
EXPECTED = {
    ("risk-averse", "diff"): (35_854, 71_808, 26_995, 45_596, -14, 332.807216),
    ("risk-averse", "replace"): (35_854, 353_020, 318_155, 40_356, -8, 255.135398),
    ("power:3", "diff"): (35_854, 73_938, 26_702, 47_788, -10, 374.748174),
    ("power3:3", "diff"): (35_854, 72_532, 26_941, 46_319, -13, 347.057324),
    ("log2", "diff"): (35_854, 72_822, 26_850, 46_671, -13, 352.982804),
}


@pytest.fixture(scope="module")
def synth(shared_data: Path) -> SimData:
    return SimData.from_table(read_events(shared_data / "synthetic/synth_l2.parquet"))


@pytest.mark.parametrize(("queue", "mode"), list(EXPECTED))
def test_grid_matches_the_reference_engine(synth: SimData, queue: str, mode: str) -> None:
    cfg = SimConfig(
        queue=parse_queue(queue),
        latency=LatencyModel.constant(10, 10),
        fees=FeeModel(-0.00005, 0.0005),
    )
    run = run_backtest(
        [synth], [make_strategy("hbt-grid", [f"mode={mode}"], synth.instrument)], cfg
    )
    r = run.results[0]
    c = r.asset.counters()
    f = r.final_state()
    got = (r.steps, c["submits"], c["cancels"], c["fills"], f["position"], round(f["equity"], 6))
    assert got == EXPECTED[(queue, mode)]


def test_reference_details_of_the_risk_averse_run(synth: SimData) -> None:
    cfg = SimConfig(latency=LatencyModel.constant(10, 10), fees=FeeModel(-0.00005, 0.0005))
    r = run_backtest([synth], [make_strategy("hbt-grid", (), synth.instrument)], cfg).results[0]
    f = r.final_state()
    assert round(f["balance"], 2) == 1495.44
    assert round(-f["fees"], 6) == 226.097216  # every fill a maker fill: all rebate
    assert round(f["value"], 2) == 4_521_944.32
    assert f["mid"] == pytest.approx(99.195)


def test_the_documented_command_prints_the_contract_keys(shared_data: Path) -> None:
    cmd = [
        sys.executable, "-m", "falconet", "backtest",
        "--data", str(shared_data / "synthetic/synth_l2.parquet"),
        "--strategy", "hbt-grid", "--tick", "0.01", "--lot", "1", "--latency-ms", "10",
        "--queue", "risk-averse", "--maker-fee", "-0.00005", "--taker-fee", "0.0005", "--json",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    doc = json.loads(out.stdout)
    for key in (
        "steps",
        "submits",
        "cancels",
        "fills",
        "position",
        "equity",
        "fees",
        "events",
        "wall_s",
    ):
        assert key in doc
    assert (doc["steps"], doc["submits"], doc["cancels"], doc["fills"]) == (
        35854,
        71808,
        26995,
        45596,
    )
    assert (doc["position"], doc["equity"], doc["events"]) == (-14, 332.807216, 2_000_000)


def test_grid_runs_on_a_converted_binance_capture(shared_data: Path, tmp_path: Path) -> None:
    """Any file `falconet data convert` writes backtests with that file's tick and lot:
    here the real USD-M capture, 1 lot of 0.001 BTC per order."""
    from falconet.data.convert import convert
    from falconet.data.format import write_events

    path = tmp_path / "btcusdt.parquet"
    write_events(path, convert("binance", [shared_data / "l2/binance/usdm_btcusdt_20240808.gz"]))
    table = read_events(path)
    assert table.instrument.price_str(table.instrument.price_rule.tick) == "0.1"  # type: ignore[attr-defined]
    cfg = SimConfig(latency=LatencyModel.constant(10, 10), fees=FeeModel(-0.00005, 0.0005))
    r = run_backtest([table], [make_strategy("hbt-grid", (), table.instrument)], cfg).results[0]
    c, f = r.asset.counters(), r.final_state()
    # the reference engine, on its own conversion of this file: 3,448 steps, 3,389 submits,
    # 1,704 cancels, 1,497 fills (its book skips the REST snapshot, so figures differ a bit)
    assert r.steps == 3447
    assert 3300 < c["submits"] < 3500 and 1600 < c["cancels"] < 1800
    assert 1400 < c["fills"] < 1600
    assert abs(f["position"]) <= 0.02 + 1e-9  # within the 20-lot limit
    assert f["fees"] < 0  # post-only quotes: maker rebates only
    assert 61_000 < f["mid"] < 62_500
