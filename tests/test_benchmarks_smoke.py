"""The benchmark scripts stay runnable: the engine-cycle one runs here on a few cycles
(its figures are printed, never asserted); the others must at least import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_engine_cycle_benchmark_runs_and_prints_both_strategies() -> None:
    r = subprocess.run(
        [sys.executable, str(BENCH / "engine_cycle.py"), "--cycles", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].strip().startswith("grid: book update → strategy → OMS")
    assert lines[1].strip().startswith("mm: book update → strategy → OMS")
    assert "requests/cycle" in r.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("[!_]*.py")))
def test_benchmark_script_imports(script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(script[:-3], BENCH / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # main() only runs under __main__
    assert callable(module.main)
