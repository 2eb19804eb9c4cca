"""The example config in dio's README (four venues) must load unchanged.

The README is read in place from the shared spec folder; the JSON block is cut out of
its text, exactly as a user would copy it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from falconet.config import (
    DecimalRange,
    GcSettings,
    LogLevel,
    Strategy,
    TradingEntry,
    load_config,
)
from falconet.core.enums import Venue
from falconet.strategies.grid import GridEntryParams

SEED_README = "seeds/000_6eff227c6538a52d.txt"


def _grid(entry: TradingEntry) -> GridEntryParams:
    assert isinstance(entry.params, GridEntryParams)
    return entry.params


@pytest.fixture
def seed_config_text(shared_spec: Path) -> str:
    path = shared_spec / SEED_README
    if not path.is_file():
        pytest.skip(f"seed README not available: {path}")
    text = path.read_text(encoding="utf-8")
    start = text.index('{\n"logging_level"')
    _, end = json.JSONDecoder().raw_decode(text, start)
    return text[start:end]


def test_seed_example_validates(seed_config_text: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(seed_config_text, encoding="utf-8")
    config = load_config(path)

    assert config.logging_level is LogLevel.INFO
    assert config.cycle_mod == 10000
    assert config.fng_check_threshold == Decimal("1.5")
    assert config.gc == GcSettings(8388608, 80, 150, 10, 2, 100)
    assert config.ignored_keys == ("gc",)

    summary = [
        (e.symbol, e.exchange, e.strategy, e.qty, p.grid_interval, p.accumulation_buffer, e.hedge)
        for e, p in ((e, _grid(e)) for e in config.trading)
    ]
    d = Decimal
    assert summary == [
        (
            "BTC/USD",
            Venue.KRAKEN,
            Strategy.GRID,
            d("0.0002"),
            DecimalRange(d("0.25"), d("1.25")),
            None,
            False,
        ),
        (
            "HYPE/USDC",
            Venue.HYPERLIQUID,
            Strategy.GRID,
            d("0.35"),
            DecimalRange(d("0.25"), d("0.5")),
            DecimalRange(d("0.5"), d("5.0")),
            True,
        ),
        (
            "ETH/USDC",
            Venue.LIGHTER,
            Strategy.GRID,
            d("0.01"),
            DecimalRange(d("0.25"), d("0.75")),
            DecimalRange(d("0.5"), d("5.0")),
            False,
        ),
        (
            "TQQQ",
            Venue.IBKR,
            Strategy.GRID,
            d("1.0"),
            DecimalRange(d("0.5"), d("1.0")),
            DecimalRange(d("25.0"), d("50.0")),
            False,
        ),
    ]
    assert all(_grid(e).sell_mult == d("0.999") for e in config.trading)


def test_check_says_which_venues_this_version_cannot_trade(
    seed_config_text: str, tmp_path: Path
) -> None:
    from falconet.config import CheckReport, EnvSettings

    path = tmp_path / "config.json"
    path.write_text(seed_config_text, encoding="utf-8")
    report = CheckReport(load_config(path), EnvSettings())
    by_venue = {r.exchange: r.this_version for r in report.runs}
    assert by_venue == {
        "kraken": "not yet",
        "hyperliquid": "yes",
        "lighter": "not yet",
        "ibkr": "not yet",
    }
    assert report.warnings[0].startswith("this version cannot trade kraken, lighter, ibkr yet")
    assert "falconet run --paper" in report.warnings[0]
