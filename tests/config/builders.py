"""Minimal valid trading entries for tests; pass `key=...` to drop a key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# write_config fixture: (dict or JSON text, name="config.json") -> path of the written file
WriteConfig = Callable[..., Path]


def grid_entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "symbol": "BTC/USD",
        "exchange": "kraken",
        "qty": "0.001",
        "strategy": "Grid",
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not ...}


def mm_entry(**overrides: Any) -> dict[str, Any]:
    return grid_entry(
        **{"symbol": "ETH/USDC", "exchange": "hyperliquid", "strategy": "MM", **overrides}
    )
