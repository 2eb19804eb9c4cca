"""What `config check` reports: resolved values, masked environment, runs and warnings."""

from __future__ import annotations

import json
from typing import Any

from falconet.config import (
    CheckReport,
    CredentialGap,
    EnvSettings,
    config_to_dict,
    env_to_dict,
    load_env_settings,
    missing_credentials,
    parse_config,
)
from falconet.core.enums import Venue
from tests.config.builders import grid_entry, mm_entry

FOUR_VENUES = [
    grid_entry(grid_interval=[1.25, 0.25], sell_mult="0.999"),
    grid_entry(exchange="hyperliquid", symbol="HYPE/USDC", hedge=True, accumulation_buffer=0.5),
    mm_entry(exchange="lighter", maker_fee=0.0002),
    grid_entry(exchange="ibkr", symbol="TQQQ", qty="1", grid_interval=0.5),
    grid_entry(exchange="paper", symbol="SOL/USD", qty="2E-3"),
]


def _config(entries: list[dict[str, Any]] = FOUR_VENUES, **top: Any) -> Any:
    return parse_config({**top, "trading": entries}, "config.json")


def test_resolved_entries_use_exact_strings_and_omit_keys_that_do_not_apply() -> None:
    trading = config_to_dict(_config())["trading"]
    assert isinstance(trading, list)
    assert trading[0] == {
        "symbol": "BTC/USD",
        "exchange": "kraken",
        "qty": "0.001",
        "grid_interval": ["0.25", "1.25"],
        "sell_mult": "0.999",
        "strategy": "Grid",
        "maker_fee": None,
        "taker_fee": None,
        "base_accumulation": True,
        "sell_levels": False,
    }
    assert trading[1]["accumulation_buffer"] == ["0.5", "0.5"]
    assert trading[1]["hedge"] is True
    assert trading[2]["maker_fee"] == "0.0002"
    assert "grid_interval" not in trading[2] and trading[2]["min_usd_balance"] is None
    assert trading[4]["qty"] == "0.002"  # plain notation, never 2E-3


def test_resolved_top_level_has_every_default() -> None:
    top = config_to_dict(_config(gc={"window_size": 10}))
    assert {k: v for k, v in top.items() if k != "trading"} == {
        "logging_level": "info",
        "logging_sections": "",
        "logging_width": None,
        "cycle_mod": 10000,
        "fng_check_threshold": "1.5",
        "latency_window_seconds": 5.0,
        "gc": {"window_size": 10},
        "risk": {  # every rule off by default
            "max_order_notional": None,
            "max_position": None,
            "max_position_notional": None,
            "max_open_orders": None,
            "price_band_pct": None,
            "max_book_age_ms": None,
            "max_net_notional": None,
            "order_rate_per_s": None,
            "order_burst": None,
            "max_daily_loss": None,
            "max_drawdown": None,
            "loss_action": "halt",
            "flatten_on_kill": False,
            "max_tick_to_trade_ms": None,
        },
    }


def test_environment_masks_secrets_and_resolves_defaults() -> None:
    env = load_env_settings({"KRAKEN_API_KEY": "kraken-key-AAAA", "IBKR_CLIENT_ID": "3"}, None)
    shown = env_to_dict(env)
    assert shown["KRAKEN_API_KEY"] == "***"
    assert shown["KRAKEN_API_SECRET"] is None
    assert shown["IBKR_GATEWAY_HOST"] == "127.0.0.1"
    assert shown["IBKR_GATEWAY_PORT"] == 4002
    assert shown["IBKR_CLIENT_ID"] == 3
    assert "kraken-key-AAAA" not in json.dumps(shown)


def test_missing_credentials_per_venue_in_config_order() -> None:
    config = _config()
    env = load_env_settings({"KRAKEN_API_KEY": "kraken-key-AAAA"}, None)
    gaps = missing_credentials(config, env)
    assert gaps == (
        CredentialGap(Venue.KRAKEN, ("KRAKEN_API_SECRET",), (0,)),
        CredentialGap(
            Venue.HYPERLIQUID, ("HYPERLIQUID_WALLET_ADDRESS", "HYPERLIQUID_PRIVATE_KEY"), (1,)
        ),
        CredentialGap(
            Venue.LIGHTER,
            ("LIGHTER_API_PRIVATE_KEY", "LIGHTER_API_KEY_INDEX", "LIGHTER_ACCOUNT_INDEX"),
            (2,),
        ),
    )  # ibkr authenticates in its gateway; paper needs nothing
    assert gaps[0].describe(config) == (
        "kraken: KRAKEN_API_SECRET not set; needed to place orders for trading[0] BTC/USD"
    )


def test_complete_credentials_leave_no_gap() -> None:
    env = load_env_settings(
        {
            "KRAKEN_API_KEY": "k-123456",
            "KRAKEN_API_SECRET": "s-123456",
            "ALPACA_API_KEY": "a-123456",
            "ALPACA_API_SECRET": "b-123456",
        },
        None,
    )
    config = _config([grid_entry(), grid_entry(exchange="alpaca", symbol="SPY")])
    assert missing_credentials(config, env) == ()


def test_run_lines() -> None:
    report = CheckReport(_config(), EnvSettings())
    runs = [
        (r.symbol, r.exchange, r.strategy, r.qty, r.interval, r.mode, r.extras) for r in report.runs
    ]
    assert runs == [
        ("BTC/USD", "kraken", "Grid", "0.001", "0.25-1.25%", "live", "sell_mult 0.999"),
        ("HYPE/USDC", "hyperliquid", "Grid", "0.001", "1.0%", "live", "hedge"),
        ("ETH/USDC", "lighter", "MM", "0.001", "-", "live", ""),
        ("TQQQ", "ibkr", "Grid", "1", "0.5%", "paper", ""),
        ("SOL/USD", "paper", "Grid", "0.002", "1.0%", "simulated", ""),
    ]


def test_testnet_modes() -> None:
    config = _config(
        [
            grid_entry(exchange="hyperliquid", testnet=True),
            grid_entry(exchange="alpaca", symbol="SPY", testnet=True),
        ]
    )
    assert [r.mode for r in CheckReport(config, EnvSettings()).runs] == ["testnet", "paper"]


def test_ibkr_live_gateway_with_testnet_entry_is_a_warning() -> None:
    config = _config([grid_entry(exchange="ibkr", symbol="TQQQ", testnet=True)])
    env = load_env_settings({"IBKR_TRADING_MODE": "live", "IBKR_GATEWAY_PORT": "4002"}, None)
    report = CheckReport(config, env)
    assert report.runs[0].mode == "live"
    assert report.warnings[1:] == [
        "trading[0]: testnet is true but IBKR_TRADING_MODE=live; "
        "the gateway decides, so this entry would trade live",
        "IBKR_GATEWAY_PORT=4002 is the paper gateway's usual port but IBKR_TRADING_MODE=live "
        "(usual port 4001)",
    ]


def test_empty_trading_is_a_warning() -> None:
    assert CheckReport(_config([]), EnvSettings()).warnings == [
        "trading is empty: nothing would run"
    ]


def test_text_report_sections_and_masking() -> None:
    env = load_env_settings({"KRAKEN_API_KEY": "kraken-key-AAAA"}, None)
    text = CheckReport(_config(gc={"window_size": 10}), env).to_text()
    assert text.startswith("config.json: valid, 5 trading entries\n")
    assert '"grid_interval": ["0.25", "1.25"]' in text
    assert "KRAKEN_API_KEY              ***  [environment]" in text
    assert "kraken-key-AAAA" not in text
    assert (
        "  0  BTC/USD    kraken       Grid      0.001  0.25-1.25%  live       not yet   "
        "sell_mult 0.999" in text
    )
    assert "  4  SOL/USD    paper        Grid      0.002  1.0%        simulated  yes" in text
    assert "notes:\n  gc: accepted for compatibility" in text
    assert (
        "warnings:\n  this version cannot trade kraken, lighter, ibkr yet: "
        "`falconet run` refuses these entries; `falconet run --paper` paper-trades them" in text
    )
    assert "\n  kraken: KRAKEN_API_SECRET not set" in text


def test_json_report_is_machine_readable() -> None:
    doc = json.loads(CheckReport(_config(gc={}), EnvSettings()).to_json())
    assert doc["valid"] is True
    assert doc["file"] == "config.json"
    assert doc["ignored"] == ["gc"]
    assert doc["config"]["trading"][0]["grid_interval"] == ["0.25", "1.25"]
    assert doc["runs"][3] == {
        "index": 3,
        "symbol": "TQQQ",
        "exchange": "ibkr",
        "strategy": "Grid",
        "qty": "1",
        "interval": "0.5%",
        "mode": "paper",
        "extras": "",
        "this_version": "not yet",
    }
    assert doc["environment"]["IBKR_GATEWAY_PORT"] == 4002


def test_check_prints_the_resolved_risk_limits_per_entry() -> None:
    from falconet.config import parse_config_text
    from falconet.config.report import CheckReport
    from falconet.config.secrets import EnvSettings

    doc = {
        "risk": {"max_order_notional": 500, "max_drawdown": 100, "loss_action": "kill"},
        "trading": [
            {"symbol": "BTC/USD", "exchange": "paper", "qty": "0.01", "strategy": "Grid",
             "risk": {"max_order_notional": "50", "max_position": "0.1"}},
            {"symbol": "ETH/USD", "exchange": "paper", "qty": "0.1", "strategy": "Grid"},
        ],
    }  # fmt: skip
    report = CheckReport(parse_config_text(json.dumps(doc), "c.json"), EnvSettings())
    text = report.to_text()
    assert "  engine: max_drawdown 100, loss_action kill" in text
    assert "  #0 BTC/USD: max_order_notional 50, max_position 0.1" in text
    assert "  #1 ETH/USD: max_order_notional 500" in text
    limits = json.loads(report.to_json())["risk_limits"]
    assert [row["max_order_notional"] for row in limits] == ["50", "500"]
    assert limits[0]["max_position"] == "0.1" and limits[1]["max_position"] is None
