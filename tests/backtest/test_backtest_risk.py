"""`falconet backtest --risk`: every order passes the risk engine, refusals are events,
and the JSON's `rejections` counts them with the simulator's, by kind and by rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from falconet.cli.main import main


def backtest(capsys: pytest.CaptureFixture[str], *risk: str) -> dict[str, Any]:
    args = ["backtest", "--sim", "--sim-seconds", "120", "--strategy", "hbt-grid", "--json"]
    for pair in risk:
        args += ["--risk", pair]
    assert main(args) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_rejections_by_kind_and_rule_add_up_to_rejects(capsys: pytest.CaptureFixture[str]) -> None:
    free = backtest(capsys)
    limited = backtest(capsys, "max_open_orders=4")
    for run in (free, limited):
        rejections = run["rejections"]
        assert isinstance(rejections, dict)
        assert rejections["total"] == run["rejects"] == sum(rejections["by_kind"].values())
    assert limited["rejections"]["by_rule"]["open_orders"] > 0  # type: ignore[index]
    assert (
        limited["rejections"]["by_kind"]["risk"] == limited["rejections"]["by_rule"]["open_orders"]
    )  # type: ignore[index]
    assert limited["submits"] < free["submits"]  # type: ignore[operator]
    assert limited["risk"]["rejections"] == limited["rejections"]["by_rule"]  # type: ignore[index]
    assert "risk" not in free


def test_a_bad_risk_value_is_one_line_naming_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["backtest", "--sim", "--strategy", "hbt-grid", "--risk", "price_band_pct=1e999"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err == "falconet: error: --risk: price_band_pct: must be > 0 and <= 100, got 1E+999"
