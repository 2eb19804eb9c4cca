"""Ctrl-C on a running engine: the first stops it gracefully (orders canceled, state on
disk, a summary printed) within the 3-second budget, a second one exits at once; and a
stop that overruns its budget is abandoned, not waited for."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from falconet.engine.shutdown import StopSignals, stop_within

pytestmark = pytest.mark.timeout(180)

CONFIG = {
    "paper": {"balances": {"USD": "20000", "BTC": "0.03"}, "speed": "20", "seed": 2},
    "trading": [
        {
            "symbol": "BTC/USD",
            "exchange": "paper",
            "strategy": "Grid",
            "qty": "0.0008",
            "grid_interval": 0.1,
        }
    ],
}


def start_engine(
    tmp_path: Path, latency_ms: str = "20"
) -> tuple[subprocess.Popen[str], Path, Path]:
    cfg = tmp_path / "config.json"
    doc = json.loads(json.dumps(CONFIG))
    doc["paper"]["latency_ms"] = latency_ms
    cfg.write_text(json.dumps(doc))
    data, log = tmp_path / "data", tmp_path / "log.jsonl"
    cmd = [sys.executable, "-m", "falconet", "run", "--config", str(cfg), "--data-dir", str(data)]
    proc = subprocess.Popen(
        [*cmd, "--log-json", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (log.exists() and '"venue ready"' in log.read_text()):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the engine did not start"
        time.sleep(0.05)
    time.sleep(1.0)  # the grid has placed its orders
    return proc, data, log


def test_first_sigint_stops_gracefully_within_the_budget(tmp_path: Path) -> None:
    proc, data, _ = start_engine(tmp_path)
    resting = json.loads((data / "paper-venue.json").read_text())["orders"]
    assert resting, "the grid had orders resting"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] == "SIGINT"
    assert json.loads((data / "paper-venue.json").read_text())["orders"] == []  # canceled
    assert "Grid:BTC/USD:paper" in json.loads((data / "accumulation_state.json").read_text())
    # the stop itself is budgeted at 2.5 s; the rest is the interpreter exiting
    assert took < 3.0 + 2.0, f"graceful stop took {took:.2f} s"


def test_second_sigint_exits_at_once(tmp_path: Path) -> None:
    # a slow venue: the cancels of the graceful stop wait for their acknowledgements
    proc, _, _ = start_engine(tmp_path, latency_ms="10000")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "second interrupt: exiting now" in err


async def test_a_stop_that_overruns_its_budget_is_abandoned() -> None:
    async def slow() -> None:
        await asyncio.sleep(10)

    started = time.monotonic()
    assert await stop_within(slow, budget_s=0.2) is False
    assert time.monotonic() - started < 5


async def test_signals_the_first_requests_a_stop_the_second_exits() -> None:
    exits: list[int] = []
    signals = StopSignals(hard_exit=exits.append)
    signals.handle(signal.SIGTERM)
    assert signals.stop_requested.is_set() and signals.received == "SIGTERM"
    assert exits == []
    signals.handle(signal.SIGINT)
    assert exits == [130]
