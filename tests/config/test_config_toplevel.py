"""Top-level keys: defaults, accepted spellings, strictness, and the ignored gc block."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from falconet.config import Config, GcSettings, LogLevel
from tests.config.builders import grid_entry

Load = Callable[..., Config]
Problems = Callable[..., list[str]]


def _with(**top: Any) -> dict[str, Any]:
    return {**top, "trading": [grid_entry()]}


def test_defaults(load: Load) -> None:
    config = load({"trading": []})
    assert config.logging_level is LogLevel.INFO
    assert config.logging_sections == ()
    assert config.logging_width is None
    assert config.cycle_mod == 10_000
    assert config.fng_check_threshold == Decimal("1.5")
    assert config.latency_window_seconds == 5.0
    assert config.gc is None
    assert config.ignored_keys == ()
    assert config.trading == ()


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("debug", LogLevel.DEBUG),
        ("INFO", LogLevel.INFO),
        ("Warn", LogLevel.WARNING),
        ("warning", LogLevel.WARNING),
        ("error", LogLevel.ERROR),
        ("CRITICAL", LogLevel.CRITICAL),
    ],
)
def test_logging_level_is_case_insensitive(load: Load, given: str, level: LogLevel) -> None:
    assert load(_with(logging_level=given)).logging_level is level


def test_unknown_logging_level_is_an_error_with_suggestion(problems: Problems) -> None:
    assert problems(_with(logging_level="degub")) == [
        'config.json: logging_level: unknown logging level "degub" (did you mean "debug"?); '
        "expected one of debug, info, warning, error, critical, warn"
    ]


def test_logging_sections_is_a_comma_list(load: Load) -> None:
    config = load(_with(logging_sections=" engine, orders,,feed "))
    assert config.logging_sections == ("engine", "orders", "feed")


def test_logging_sections_must_be_a_string(problems: Problems) -> None:
    assert problems(_with(logging_sections=["engine"])) == [
        'config.json: logging_sections: expected a comma-separated string such as "engine,orders", '
        'got ["engine"]'
    ]


def test_logging_width(load: Load, problems: Problems) -> None:
    assert load(_with(logging_width=120)).logging_width == 120
    assert load(_with(logging_width=None)).logging_width is None
    assert problems(_with(logging_width=0)) == ["config.json: logging_width: must be >= 1, got 0"]
    assert problems(_with(logging_width=80.5)) == [
        "config.json: logging_width: expected an integer, got 80.5"
    ]


def test_integer_in_exponent_form(load: Load) -> None:
    assert load('{"cycle_mod": 1e3, "trading": []}').cycle_mod == 1000


def test_numbers(load: Load) -> None:
    config = load(_with(cycle_mod=500, fng_check_threshold=2.5, latency_window_seconds=10))
    assert config.cycle_mod == 500
    assert config.fng_check_threshold == Decimal("2.5")
    assert config.latency_window_seconds == 10.0


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("cycle_mod", 0, "must be >= 1, got 0"),
        ("cycle_mod", True, "expected an integer, got true"),
        ("cycle_mod", 1.5, "expected an integer, got 1.5"),
        ("cycle_mod", 100.0, "expected an integer, got 100.0"),
        ("fng_check_threshold", 0, "must be > 0, got 0"),
        ("fng_check_threshold", "x", 'expected a number, got "x"'),
        ("latency_window_seconds", -1, "must be > 0, got -1"),
    ],
)
def test_bad_numbers(problems: Problems, key: str, value: object, reason: str) -> None:
    assert problems(_with(**{key: value})) == [f"config.json: {key}: {reason}"]


def test_engine_block_must_be_empty(load: Load, problems: Problems) -> None:
    assert load(_with(engine={})).trading
    assert problems(_with(engine={"threads": 4})) == [
        "config.json: engine.threads: unknown key: this block takes no keys"
    ]
    assert problems(_with(engine="fast")) == ['config.json: engine: expected an object, got "fast"']


GC_BLOCK = {
    "minor_heap_size": 33554432,
    "space_overhead": 120,
    "max_overhead": 1000000,
    "window_size": 10,
    "allocation_policy": 2,
    "major_heap_increment": 8388608,
}


def test_gc_block_is_accepted_and_reported_as_ignored(load: Load) -> None:
    config = load(_with(gc=GC_BLOCK))
    assert config.gc == GcSettings(**GC_BLOCK)
    assert config.ignored_keys == ("gc",)
    assert load(_with(gc={})).ignored_keys == ("gc",)


def test_gc_block_is_strict(problems: Problems) -> None:
    assert problems(_with(gc={**GC_BLOCK, "minor_heap": 1})) == [
        'config.json: gc.minor_heap: unknown key (did you mean "minor_heap_size"?)'
    ]
    assert problems(_with(gc={"allocation_policy": 3, "window_size": "10"})) == [
        "config.json: gc.allocation_policy: must be >= 0 and <= 2, got 3",
        'config.json: gc.window_size: expected an integer, got "10"',
    ]


def test_unknown_top_level_key_suggests_the_closest(problems: Problems) -> None:
    assert problems(_with(loging_level="info")) == [
        'config.json: loging_level: unknown key (did you mean "logging_level"?)'
    ]


def test_unknown_top_level_key_lists_allowed_keys(problems: Problems) -> None:
    assert problems(_with(zzz=1)) == [
        "config.json: zzz: unknown key; allowed keys: logging_level, logging_sections, "
        "logging_width, cycle_mod, fng_check_threshold, latency_window_seconds, engine, gc, "
        "trading, paper, orders, hyperliquid, risk"
    ]


def test_newer_dio_keys_are_named_as_unsupported(problems: Problems) -> None:
    assert problems(_with(oracle={}, classes={})) == [
        "config.json: oracle: unknown key: the capital oracle is not supported",
        "config.json: classes: unknown key: oracle risk classes are not supported",
    ]


def test_hyperliquid_block_is_checked_and_reaches_the_adapter_settings() -> None:
    from falconet.config import parse_config
    from falconet.config.problems import InvalidConfigError
    from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
    from falconet.engine.build import make_venues, plan

    entry = {"symbol": "BTC", "exchange": "hyperliquid", "strategy": "MM", "qty": "0.001"}
    config = parse_config(
        {"hyperliquid": {"leverage": 3, "dead_man_s": 30}, "trading": [entry]}, "c.json"
    )
    assert (config.hyperliquid.leverage, config.hyperliquid.dead_man_s) == (3, Decimal(30))
    env = EnvSettings(hyperliquid=HyperliquidEnv(private_key=Secret("11" * 32)))
    client = make_venues(config, plan(config, paper=False), Path("unused"), env)["hyperliquid"]
    settings = client.settings  # type: ignore[attr-defined]
    assert (settings.leverage, settings.dead_man_s) == (3, 30.0)
    assert settings.base_url == "https://api.hyperliquid.xyz" and settings.symbols == ("BTC",)
    for bad, field in (({"leverage": 0}, "leverage"), ({"dead_man_s": 20}, "dead_man_s"),
                       ({"levrage": 3}, "levrage")):  # fmt: skip
        with pytest.raises(InvalidConfigError, match=rf"hyperliquid\.{field}"):
            parse_config({"hyperliquid": bad, "trading": []}, "c.json")


def test_hyperliquid_endpoint_must_agree_with_the_entries_network() -> None:
    from falconet.config import parse_config
    from falconet.config.environment import load_env_settings
    from falconet.config.problems import InvalidConfigError
    from falconet.core.errors import ConfigError
    from falconet.engine.build import make_venues, plan

    key = "22" * 32
    entry = {"symbol": "BTC", "exchange": "hyperliquid", "strategy": "MM", "qty": "0.001",
             "testnet": True}  # fmt: skip
    config = parse_config({"trading": [entry]}, "c.json")
    mainnet = load_env_settings(
        {"HYPERLIQUID_PRIVATE_KEY": key, "HYPERLIQUID_BASE_URL": "https://api.hyperliquid.xyz"},
        dotenv_path=None,
    )
    with pytest.raises(ConfigError, match='entries say "testnet": true'):
        make_venues(config, plan(config, paper=False), Path("unused"), mainnet)
    local = load_env_settings(
        {"HYPERLIQUID_PRIVATE_KEY": key, "HYPERLIQUID_BASE_URL": "http://127.0.0.1:8555"},
        dotenv_path=None,
    )
    client = make_venues(config, plan(config, paper=False), Path("unused"), local)["hyperliquid"]
    assert client.settings.base_url == "http://127.0.0.1:8555"  # type: ignore[attr-defined]
    with pytest.raises(InvalidConfigError, match="without a user name") as err:
        load_env_settings({"HYPERLIQUID_BASE_URL": "https://bob:hunter2@x.io"}, dotenv_path=None)
    assert "hunter2" not in str(err.value)
