"""Kill the engine with SIGKILL in the middle of trading, start it again, and check that
nothing was lost or counted twice: every fill the venue made is journaled exactly once,
the grid's accumulated state counts each of its fills exactly once, and the orders that
were resting are adopted, not placed again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)

GRID_KEY = "Grid:BTC/USD:paper"
CONFIG = {
    "paper": {
        "balances": {"USD": "20000", "BTC": "0.03", "SOL": "2"},
        "speed": "100",
        "volatility": "1.5",
        "seed": 5,
    },
    "orders": {"cancel_on_shutdown": False},
    "trading": [
        {
            "symbol": "BTC/USD",
            "exchange": "paper",
            "strategy": "Grid",
            "qty": "0.0008",
            "grid_interval": 0.06,
        },
        {"symbol": "SOL/USD", "exchange": "paper", "strategy": "MM", "qty": "0.3"},
    ],
}


def start(cfg: Path, data: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "falconet", "run", "--config", str(cfg), "--data-dir", str(data)]
    return subprocess.Popen(
        [*cmd, "--log-json", str(log), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def journal(data: Path, sql: str) -> list[tuple[Any, ...]]:
    path = data / "journal.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def grid_fills(data: Path) -> list[tuple[str, str, str]]:
    return journal(data, "SELECT trade_id, side, size FROM fills WHERE strategy = 'Grid'")


def log_records(path: Path, message: str) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["msg"] == message:
            out.append(rec)
    return out


def test_sigkill_mid_trading_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CONFIG))
    data = tmp_path / "data"

    first = start(cfg, data, tmp_path / "run1.jsonl")
    deadline = time.monotonic() + 150
    try:
        while len(grid_fills(data)) < 3:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the grid did not trade"
            time.sleep(0.05)
    finally:
        os.kill(first.pid, signal.SIGKILL)  # no cleanup of any kind
        first.wait(30)
    assert first.returncode == -signal.SIGKILL

    venue_at_kill = json.loads((data / "paper-venue.json").read_text())
    resting = {o["client_id"] for o in venue_at_kill["orders"]}
    assert resting, "orders were resting when the process died"

    second = start(cfg, data, tmp_path / "run2.jsonl", "--seconds", "6")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()

    # resting orders were adopted, none reported as foreign
    [ready] = log_records(tmp_path / "run2.jsonl", "venue ready")
    assert ready["adopted"] == len(resting)
    assert ready["unknown"] == 0

    # every fill the venue made is in the journal exactly once
    venue = json.loads((data / "paper-venue.json").read_text())
    fills_log = (data / "paper-fills.jsonl").read_text().splitlines()
    venue_trades = sorted(json.loads(line)["trade_id"] for line in fills_log)
    rows = journal(data, "SELECT trade_id FROM fills")
    assert sorted(r[0] for r in rows) == venue_trades

    # the grid counted each of its fills exactly once, across the kill
    fills = grid_fills(data)
    state = json.loads((data / "accumulation_state.json").read_text())[GRID_KEY]
    assert state["fills_counted"] == len(fills)
    bought = sum((Decimal(s) for _, side, s in fills if side == "buy"), Decimal(0))
    sold = sum((Decimal(s) for _, side, s in fills if side == "sell"), Decimal(0))
    assert (Decimal(state["base_bought"]), Decimal(state["base_sold"])) == (bought, sold)

    # nothing was placed twice: one trailing buy at most, no two orders at one price
    grid_orders = [o for o in venue["orders"] if o["symbol"] == "BTC/USD"]
    assert sum(o["side"] == "buy" for o in grid_orders) <= 1
    spots = [(o["side"], o["price"]) for o in grid_orders]
    assert len(spots) == len(set(spots))
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["stopped"] == "time"
