"""`falconet demo`, the README's first command, as a user runs it: no credentials, no
network, no data files; headless it logs each fill and ends with a JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(400)


def falconet(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # no shared data folder and no credentials: the demo needs neither
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_SECRET", "_URL"))}
    env["FALCONET_SHARED"] = str(cwd / "nowhere")
    return subprocess.run(
        [sys.executable, "-m", "falconet", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=360,
        check=False,
    )


def test_headless_demo_trades_grid_and_mm_and_prints_a_summary(tmp_path: Path) -> None:
    r = falconet("demo", "--headless", "--seconds", "12", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)  # stdout is the summary alone
    assert summary["stopped"] == "time"
    entries = summary["entries"]
    assert {e["strategy"] for e in entries.values()} == {"Grid", "MM"}
    assert len(entries) == 4
    assert summary["fills"] > 0
    assert summary["fills"] == sum(e["fills"] for e in entries.values())
    fill_lines = [line for line in r.stderr.splitlines() if " fill entry=" in line]
    assert len(fill_lines) == summary["fills"]  # one log line per fill
    for e in entries.values():
        if e["strategy"] == "Grid":
            assert e["reserved_base"] is not None and e["accumulated_profit"] is not None
    assert summary["simulated_seconds"] > 100  # the market runs faster than real time
    assert summary["data_dir"] is None and not list(tmp_path.glob("falconet-demo-*"))
    # the real Hyperliquid adapter against the emulator: spot and perp balances, the hedge
    assert {"USDC", "HYPE", "USDC:perp"} <= set(summary["balances"])
    [hedge] = summary["hedges"].values()
    assert hedge["short_filled"] == 0  # a short still open was closed at the stop
    assert set(hedge) >= {"open", "cycles", "ignored_buys"}


def test_the_demo_config_is_a_valid_config_for_run(tmp_path: Path) -> None:
    printed = falconet("demo", "--print-config", cwd=tmp_path)
    assert printed.returncode == 0
    path = tmp_path / "demo.json"
    path.write_text(printed.stdout)
    check = falconet("config", "check", str(path), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "would run:" in check.stdout and "testnet" in check.stdout  # never mainnet


def test_demo_keeps_its_state_in_a_chosen_folder_and_continues_from_it(tmp_path: Path) -> None:
    data = tmp_path / "demo-state"
    args = ("demo", "--venue", "paper", "--headless", "--seconds", "4", "--data-dir", str(data))
    first = falconet(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (data / "journal.sqlite3").exists() and (data / "paper-venue.json").exists()
    second = falconet(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    journal = falconet("journal", "--db", str(data / "journal.sqlite3"), "--json", cwd=tmp_path)
    assert journal.returncode == 0, journal.stderr
    doc = json.loads(journal.stdout)
    assert (
        len(doc["fills"]) == json.loads(first.stdout)["fills"] + json.loads(second.stdout)["fills"]
    )
