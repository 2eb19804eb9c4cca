"""The demo's embedded configs. The default trades Hyperliquid through the real adapter
against the local emulator: a spot grid hedged with a perp short, a second spot grid, a
market maker and a grid on perps. `--venue paper` runs the paper venue instead: two grids
and two market makers on simulated markets. Both markets run faster than real time.
`falconet demo --print-config` prints the config, ready for `falconet run --config`."""

from __future__ import annotations

import json
from typing import Any

from falconet.config.loader import parse_config_text
from falconet.config.schema import Config

DEMO_CONFIG: dict[str, Any] = {
    "logging_level": "info",
    "paper": {
        "balances": {"USD": "25000", "BTC": "0.02", "ETH": "0.4", "SOL": "8", "HYPE": "60"},
        "speed": "20",
        "volatility": "1.0",
        "seed": 7,
        "latency_ms": "25",
        "maker_fee": "0.0001",
        "taker_fee": "0.0004",
    },
    "orders": {"cancel_on_shutdown": True, "unknown_orders": "report"},
    "trading": [
        {
            "symbol": "BTC/USD",
            "exchange": "paper",
            "strategy": "Grid",
            "qty": "0.0008",
            "grid_interval": 0.12,
            "sell_mult": "0.999",
            "accumulation_buffer": 0,
        },
        {
            "symbol": "ETH/USD",
            "exchange": "paper",
            "strategy": "Grid",
            "qty": "0.015",
            "grid_interval": 0.15,
        },
        {
            "symbol": "SOL/USD",
            "exchange": "paper",
            "strategy": "MM",
            "qty": "0.3",
            "max_exposure": "400",
            "min_usd_balance": "1000",
        },
        {
            "symbol": "HYPE/USD",
            "exchange": "paper",
            "strategy": "MM",
            "qty": "2",
            "max_exposure": "400",
            "min_usd_balance": "1000",
        },
    ],
}


# Entries say "testnet": a copy run with a real key reaches the testnet, never mainnet;
# the demo points HYPERLIQUID_BASE_URL at its emulator.
HL_DEMO_CONFIG: dict[str, Any] = {
    "logging_level": "info",
    "orders": {"cancel_on_shutdown": True, "unknown_orders": "report"},
    "trading": [
        {
            "symbol": "HYPE/USDC",
            "exchange": "hyperliquid",
            "testnet": True,
            "strategy": "Grid",
            "qty": "0.5",
            "grid_interval": 0.12,
            "sell_mult": "0.999",
            "accumulation_buffer": 0,
            "hedge": True,
        },
        {
            "symbol": "PURR/USDC",
            "exchange": "hyperliquid",
            "testnet": True,
            "strategy": "Grid",
            "qty": "60",
            "grid_interval": 0.15,
        },
        {
            "symbol": "BTC",
            "exchange": "hyperliquid",
            "testnet": True,
            "strategy": "MM",
            "qty": "0.0002",
            "max_exposure": "400",
            "min_usd_balance": "1000",
        },
        {
            "symbol": "SOL",
            "exchange": "hyperliquid",
            "testnet": True,
            "strategy": "MM",
            "qty": "0.1",
            "max_exposure": "300",
            "min_usd_balance": "1000",
        },
    ],
}
DEFAULT_SPEED = 20.0
DEFAULT_SEED = 7
DEFAULT_VOLATILITY = 1.0


def demo_config_text(
    speed: float | None = None, seed: int | None = None, venue: str = "hyperliquid"
) -> str:
    if venue == "hyperliquid":
        return json.dumps(HL_DEMO_CONFIG, indent=2)
    doc = json.loads(json.dumps(DEMO_CONFIG))
    if speed is not None:
        doc["paper"]["speed"] = str(speed)
    if seed is not None:
        doc["paper"]["seed"] = seed
    return json.dumps(doc, indent=2)


def demo_config(
    speed: float | None = None, seed: int | None = None, venue: str = "hyperliquid"
) -> Config:
    return parse_config_text(demo_config_text(speed, seed, venue), "<demo>")
