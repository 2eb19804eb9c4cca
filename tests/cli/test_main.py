"""The `falconet` command as a user runs it: help, one-line errors, exit codes, tracebacks
only on request and never with a secret in them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if k != "FALCONET_BACKTRACE"}
    return subprocess.run(
        [sys.executable, "-m", "falconet", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_help_lists_the_subcommands_and_each_has_help() -> None:
    top = run("--help")
    assert top.returncode == 0
    for command in ("demo", "run", "replay", "config", "journal", "backtest", "data"):
        assert command in top.stdout
    for args in (
        ["demo", "--help"],
        ["run", "--help"],
        ["replay", "--help"],
        ["config", "--help"],
        ["config", "check", "--help"],
    ):
        r = run(*args)
        assert r.returncode == 0, r.stderr
        assert "usage: falconet" in r.stdout


def test_unknown_command_is_a_usage_error() -> None:
    r = run("nonsense")
    assert r.returncode == 2
    assert "invalid choice" in r.stderr


def test_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    r = run("config", "check", str(tmp_path / "missing.json"))
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0
    assert r.stderr.startswith("falconet: error:") and "missing.json" in r.stderr
    assert "Traceback" not in r.stderr


def test_debug_and_env_variable_show_the_traceback(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.gz")
    for r in (
        run("--debug", "replay", "--capture", missing),
        run("replay", "--capture", missing, env={"FALCONET_BACKTRACE": "1"}),
    ):
        assert r.returncode == 1
        assert "Traceback (most recent call last)" in r.stderr


def test_secret_in_an_error_is_masked_even_in_a_traceback(tmp_path: Path) -> None:
    secret = "kraken-secret-value-0123456789"
    bad = "not-a-valid-private-key-but-secret-1234"  # malformed: the loader reports it
    cfg = tmp_path / "config.json"
    cfg.write_text('{"trading": []}')
    for extra in ([], ["--debug"]):
        r = run(
            *extra,
            "config",
            "check",
            str(cfg),
            env={"HYPERLIQUID_PRIVATE_KEY": bad, "KRAKEN_API_SECRET": secret},
            cwd=tmp_path,
        )
        assert bad not in r.stderr + r.stdout
        assert secret not in r.stderr + r.stdout


def test_broken_pipe_is_not_an_error(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "falconet", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away at once
    _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err


@pytest.mark.usefixtures("shared_data")
def test_replay_headless_replays_the_capture_and_prints_a_json_summary() -> None:
    import json

    r = run("replay", "--headless", "--speed", "100000")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["gaps"] == 0
    assert summary["diffs_applied"] == 6547
    assert summary["trades"] == 21313
    assert summary["dropped_before_bridge"] == 4
    assert float(summary["best_bid"]) < float(summary["best_ask"])


def test_replay_without_data_says_where_it_looked(tmp_path: Path) -> None:
    r = run("replay", "--headless", env={"FALCONET_SHARED": str(tmp_path)})
    assert r.returncode == 1
    assert "market capture not found" in r.stderr and str(tmp_path) in r.stderr
