"""Reading the file: missing, unreadable, malformed JSON, and how problems are reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from falconet.config import (
    ConfigError,
    InvalidConfigError,
    load_config,
    parse_config,
    parse_config_text,
)
from falconet.core.errors import FalconetError
from tests.config.builders import WriteConfig, grid_entry

Problems = Callable[..., list[str]]


def _error_lines(path: Path) -> list[str]:
    with pytest.raises(InvalidConfigError) as info:
        load_config(path)
    return list(info.value.lines)


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    assert _error_lines(path) == [f"{path}: file not found"]


def test_directory_is_rejected(tmp_path: Path) -> None:
    assert _error_lines(tmp_path) == [f"{tmp_path}: is a directory, not a config file"]


def test_empty_file_says_so(write_config: WriteConfig) -> None:
    path = write_config("  \n")
    assert _error_lines(path) == [f"{path}: file is empty (expected a JSON object)"]


def test_malformed_json_names_line_and_column(write_config: WriteConfig) -> None:
    path = write_config('{\n  "trading": [\n    {"qty": "1",}\n  ]\n}\n')
    assert _error_lines(path) == [
        f"{path}:3:17: malformed JSON: Expecting property name enclosed in double quotes"
    ]


def test_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"trading": [], "logging_sections": "\xff"}')
    assert _error_lines(path) == [f"{path}: not UTF-8 text (bad byte at offset 37)"]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"trading": [grid_entry()]}).encode())
    assert len(load_config(path).trading) == 1


def test_top_level_must_be_an_object(problems: Problems) -> None:
    assert problems("[1, 2]") == [
        "config.json: expected a JSON object at the top level, got [1, 2]"
    ]


def test_trading_is_required(problems: Problems) -> None:
    assert problems({"logging_level": "info"}) == ["config.json: trading: required key is missing"]


def test_trading_must_be_a_list(problems: Problems) -> None:
    assert problems({"trading": {"symbol": "BTC/USD"}}) == [
        "config.json: trading: expected a list of trading entries, got an object"
    ]


def test_non_object_entry(problems: Problems) -> None:
    assert problems({"trading": ["BTC/USD"]}) == [
        'config.json: trading[0]: expected a trading entry object, got "BTC/USD"'
    ]


def test_repeated_key_is_an_error_not_last_one_wins(problems: Problems) -> None:
    text = '{"trading": [{"symbol": "BTC/USD", "qty": "1", "qty": "100", "strategy": "Grid"}]}'
    assert problems(text) == [
        "config.json: trading[0].qty: key appears more than once (only one value can apply)"
    ]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected(problems: Problems, literal: str) -> None:
    text = f'{{"fng_check_threshold": {literal}, "trading": []}}'
    assert problems(text) == [
        f"config.json: fng_check_threshold: expected a finite number, got {literal}"
    ]


def test_every_problem_is_reported_one_per_line(problems: Problems) -> None:
    lines = problems(
        {
            "logging_level": "loud",
            "cycle_mod": "often",
            "trading": [
                grid_entry(qty="-1"),
                grid_entry(symbol="ETH/USD", grid_interval="abc"),
                grid_entry(symbol="SOL/USD", strategy=...),
            ],
        }
    )
    assert lines == [
        'config.json: logging_level: unknown logging level "loud"; '
        "expected one of debug, info, warning, error, critical, warn",
        'config.json: cycle_mod: expected an integer, got "often"',
        "config.json: trading[0].qty: must be > 0, got -1",
        "config.json: trading[1].grid_interval: expected a number or a [min, max] list "
        'of 2 numbers, got "abc"',
        "config.json: trading[2].strategy: required key is missing",
    ]
    assert all("\n" not in line for line in lines)


def test_error_is_a_config_error_and_prints_all_lines(write_config: WriteConfig) -> None:
    path = write_config({"cycle_mod": 0, "trading": [grid_entry(qty="0")]})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert isinstance(info.value, FalconetError)
    assert str(info.value).splitlines() == [
        f"{path}: cycle_mod: must be >= 1, got 0",
        f"{path}: trading[0].qty: must be > 0, got 0",
    ]


def test_very_many_problems_are_capped_in_the_message(problems: Problems) -> None:
    entries = [grid_entry(symbol=f"S{i}/USD", qty="0") for i in range(80)]
    with pytest.raises(InvalidConfigError) as info:
        parse_config({"trading": entries}, "c.json")
    assert len(info.value.lines) == 80
    shown = str(info.value).splitlines()
    assert len(shown) == 51
    assert shown[-1] == "... and 30 more problems"


def test_parse_config_text_names_its_source() -> None:
    with pytest.raises(InvalidConfigError) as info:
        parse_config_text('{"trading": 3}', "inline")
    assert info.value.lines == ("inline: trading: expected a list of trading entries, got 3",)


def test_parse_config_accepts_python_objects() -> None:
    config = parse_config({"trading": [grid_entry(grid_interval=[0.1, 0.3])]})
    assert config.source == "<config>"
    assert config.trading[0].symbol == "BTC/USD"
