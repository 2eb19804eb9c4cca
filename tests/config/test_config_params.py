"""Each strategy's own keys: declared by its params class, read from the dio entry, refused
on another strategy's entry, bounded, defaulted, and shown by `config check`."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from falconet.config import CheckReport, EnvSettings, Strategy, TradingEntry, parse_config
from falconet.config import params as config_params
from falconet.config.params import ParamSpec, param, param_specs, registered
from falconet.config.report import config_to_dict
from falconet.config.schema import StrategyParams
from falconet.config.values import DecimalRange, integer
from falconet.core.enums import Venue
from falconet.strategies.grid import GridEntryParams
from falconet.strategies.mm import MMEntryParams
from tests.config.builders import grid_entry, mm_entry

Problems = Callable[..., list[str]]
D = Decimal
DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"

DIO_GRID = {
    "symbol": "HYPE/USDC",
    "exchange": "hyperliquid",
    "qty": "0.35",
    "grid_interval": [0.5, 0.25],
    "sell_mult": "0.999",
    "accumulation_buffer": [0.5, 5.0],
    "strategy": "Grid",
    "base_accumulation": False,
    "sell_levels": True,
    "hedge": True,
}
DIO_MM = {
    "symbol": "ETH/USDC",
    "exchange": "lighter",
    "qty": "0.01",
    "strategy": "MM",
    "min_usd_balance": "50",
    "max_exposure": 400,
    "maker_fee": 0.0002,
}


def _entries(*entries: dict[str, Any]) -> tuple[TradingEntry, ...]:
    return parse_config({"trading": list(entries)}, "config.json").trading


def _printed(raw: dict[str, Any]) -> dict[str, Any]:
    """The entry as `config check` prints it: under the dio key names, defaults filled in."""
    trading = config_to_dict(parse_config({"trading": [raw]}))["trading"]
    assert isinstance(trading, list)
    return dict(trading[0])


def test_grid_params_from_a_dio_entry_and_back() -> None:
    (entry,) = _entries(DIO_GRID)
    assert entry.params == GridEntryParams(
        grid_interval=DecimalRange(D("0.25"), D("0.5")),
        sell_mult=D("0.999"),
        accumulation_buffer=DecimalRange(D("0.5"), D("5.0")),
        base_accumulation=False,
        sell_levels=True,
    )
    assert entry.hedge and entry.qty == D("0.35")  # common keys stay on the entry
    printed = _printed(DIO_GRID)
    assert set(DIO_GRID) <= set(printed) and printed["sell_mult"] == "0.999"
    assert printed["grid_interval"] == ["0.25", "0.5"] and printed["sell_levels"] is True


def test_mm_params_from_a_dio_entry_and_back() -> None:
    (entry,) = _entries(DIO_MM)
    assert entry.params == MMEntryParams(min_usd_balance=D(50), max_exposure=D(400))
    assert entry.maker_fee == D("0.0002")
    printed = _printed(DIO_MM)
    assert set(printed) == {*DIO_MM, "taker_fee", "testnet"}
    assert (printed["min_usd_balance"], printed["max_exposure"]) == ("50", "400")


def test_defaults_are_the_declared_ones() -> None:
    kraken, paper, mm = _entries(
        grid_entry(), grid_entry(exchange="paper"), mm_entry(exchange="paper")
    )
    assert paper.params == GridEntryParams()
    assert GridEntryParams() == GridEntryParams(
        grid_interval=DecimalRange(D("1.0"), D("1.0")),
        sell_mult=D("1.0"),
        accumulation_buffer=DecimalRange(D("0.01"), D("0.01")),
        base_accumulation=True,
        sell_levels=False,
    )
    # A key that does not apply on the venue is None, not its default.
    assert kraken.params == dataclasses.replace(GridEntryParams(), accumulation_buffer=None)
    assert mm.params == MMEntryParams() == MMEntryParams(None, None)


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            grid_entry(max_exposure="400"),
            "trading[1].max_exposure: only applies to strategy MM, "
            "but this entry's strategy is Grid",
        ),
        (
            mm_entry(base_accumulation=True),
            "trading[1].base_accumulation: only applies to strategy Grid, "
            "but this entry's strategy is MM",
        ),
        (
            mm_entry(accumulation_buffer=1),
            "trading[1].accumulation_buffer: only applies to strategy Grid, "
            "but this entry's strategy is MM",
        ),
        (
            mm_entry(sell_levels="not even a boolean"),  # refused for being there, not its value
            "trading[1].sell_levels: only applies to strategy Grid, "
            "but this entry's strategy is MM",
        ),
    ],
)
def test_a_key_of_another_strategy_is_refused_at_its_path(
    problems: Problems, entry: dict[str, Any], line: str
) -> None:
    first = grid_entry(symbol="SOL/USD")
    assert problems({"trading": [first, entry]}) == [f"config.json: {line}"]


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (grid_entry(sell_mult="1.01"), "trading[1].sell_mult: must be > 0 and <= 1, got 1.01"),
        (grid_entry(grid_interval=[0.5, -1]), "trading[1].grid_interval: must be > 0, got -1"),
        (
            grid_entry(exchange="ibkr", accumulation_buffer=-0.5),
            "trading[1].accumulation_buffer: must be >= 0, got -0.5",
        ),
        (mm_entry(min_usd_balance="-1"), "trading[1].min_usd_balance: must be >= 0, got -1"),
        (mm_entry(max_exposure=0), "trading[1].max_exposure: must be > 0, got 0"),
        # The existing value parsers, so their refusals hold for strategy keys too.
        (
            grid_entry(sell_mult="NaN"),
            'trading[1].sell_mult: expected a decimal string such as "0.5", got "NaN"',
        ),
        (mm_entry(max_exposure="1_000"), 'trading[1].max_exposure: expected a number, got "1_000"'),
        (
            mm_entry(min_usd_balance=True),
            "trading[1].min_usd_balance: expected a number, got true",
        ),
    ],
)
def test_bounds_and_types_name_the_field_path(
    problems: Problems, entry: dict[str, Any], line: str
) -> None:
    first = grid_entry(symbol="SOL/USD")
    assert problems({"trading": [first, entry]}) == [f"config.json: {line}"]


def test_infinite_and_nan_json_numbers_are_refused(problems: Problems) -> None:
    text = (
        '{"trading": [{"symbol": "ETH/USD", "qty": "1", "strategy": "MM",'
        ' "max_exposure": Infinity, "min_usd_balance": NaN}]}'
    )
    assert problems(text) == [
        "config.json: trading[0].max_exposure: expected a finite number, got Infinity",
        "config.json: trading[0].min_usd_balance: expected a finite number, got NaN",
    ]


def test_an_unknown_key_suggests_among_the_strategy_keys(problems: Problems) -> None:
    (line,) = problems({"trading": [mm_entry(max_exposur=5)]})
    assert line == 'config.json: trading[0].max_exposur: unknown key (did you mean "max_exposure"?)'
    (line,) = problems({"trading": [mm_entry(colour="red")]})
    assert "allowed keys: symbol, exchange, qty, strategy," in line
    assert line.endswith("min_usd_balance, max_exposure, risk, account")  # no Grid key


def test_check_shows_each_entrys_resolved_params() -> None:
    config = parse_config({"trading": [DIO_GRID, DIO_MM, grid_entry()]}, "config.json")
    report = CheckReport(config, EnvSettings())
    text = report.to_text()
    assert "strategy parameters (defaults filled in):\n" in text
    assert (
        "  #0 HYPE/USDC Grid: grid_interval 0.25-0.5, sell_mult 0.999, "
        "accumulation_buffer 0.5-5.0, base_accumulation false, sell_levels true\n" in text
    )
    assert "  #1 ETH/USDC MM: min_usd_balance 50, max_exposure 400\n" in text
    # Kraken has no accumulation_buffer: not shown rather than shown as a default.
    assert (
        "  #2 BTC/USD Grid: grid_interval 1.0, sell_mult 1.0, base_accumulation true, "
        "sell_levels false\n" in text
    )
    rows = json.loads(report.to_json())["strategy_params"]
    assert rows[1] == {
        "entry": 1,
        "symbol": "ETH/USDC",
        "strategy": "MM",
        "params": {"min_usd_balance": "50", "max_exposure": "400"},
    }
    assert rows[0]["params"]["grid_interval"] == ["0.25", "0.5"]


def test_every_strategy_declares_documented_frozen_params() -> None:
    classes = registered()
    assert set(classes) == set(Strategy)
    documented = DOC.read_text(encoding="utf-8")
    for strategy, cls in classes.items():
        assert cls.strategy is strategy
        specs = param_specs(cls)
        assert specs, f"{cls.__name__} declares no keys"
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(cls(), next(iter(specs)), None)
        for name, spec in specs.items():
            assert spec.doc, f"{cls.__name__}.{name} has no doc"
            assert re.search(rf"^\| `{name}` \|", documented, re.M), f"{name} not in config.md"


def test_an_entry_refuses_params_of_another_strategy() -> None:
    (entry,) = _entries(grid_entry())
    with pytest.raises(TypeError, match="not MM"):
        dataclasses.replace(entry, strategy=Strategy.MM)


@dataclasses.dataclass(frozen=True)
class _Pairs(StrategyParams):
    """A made-up strategy's keys, to show the parser reads whatever is registered."""

    strategy = Strategy.MM
    window: int = param(integer(ge=2), 20, "bars in the mean")


def test_the_parser_reads_the_registered_classes(
    monkeypatch: pytest.MonkeyPatch, problems: Problems
) -> None:
    swapped = {Strategy.GRID: GridEntryParams, Strategy.MM: _Pairs}
    monkeypatch.setattr(config_params, "registered", lambda: swapped)
    (entry,) = _entries(mm_entry(window=50))
    assert entry.params == _Pairs(window=50)
    assert problems({"trading": [mm_entry(window=1)]}) == [
        "config.json: trading[0].window: must be >= 2, got 1"
    ]
    assert problems({"trading": [grid_entry(window=30)]}) == [
        "config.json: trading[0].window: only applies to strategy MM, "
        "but this entry's strategy is Grid"
    ]
    spec = param_specs(_Pairs)["window"]
    assert isinstance(spec, ParamSpec) and spec.applies_on(Venue.KRAKEN)  # no venue scope
