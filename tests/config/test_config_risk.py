"""The `risk` block and an entry's `risk` overrides: every value bounded, every mistake
one line naming the key, exponent forms and huge magnitudes refused."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from falconet.config import parse_config_text
from falconet.core.errors import ConfigError

ENTRY = {"symbol": "BTC/USD", "exchange": "paper", "qty": "0.01", "strategy": "Grid"}


def problems(risk: Any = None, entry_risk: Any = None) -> list[str]:
    entry = dict(ENTRY) if entry_risk is None else {**ENTRY, "risk": entry_risk}
    doc: dict[str, Any] = {"trading": [entry]}
    if risk is not None:
        doc["risk"] = risk
    try:
        parse_config_text(json.dumps(doc), "c.json")
    except ConfigError as exc:
        return str(exc).splitlines()
    return []


@pytest.mark.parametrize(
    ("risk", "line"),
    [
        ({"max_order_notional": "1e999999999"}, "risk.max_order_notional: must be > 0"),
        ({"max_drawdown": 1e308}, "risk.max_drawdown: must be > 0 and <= 1E+12"),
        ({"price_band_pct": 0}, "risk.price_band_pct: must be > 0"),
        ({"price_band_pct": "101"}, "risk.price_band_pct: must be > 0 and <= 100"),
        ({"max_open_orders": 2.5}, "risk.max_open_orders: expected an integer"),
        ({"max_open_orders": "9" * 5000}, "risk.max_open_orders: expected an integer"),
        ({"order_burst": 0}, "risk.order_burst: must be >= 1"),
        ({"loss_action": "panic"}, "risk.loss_action: "),
        ({"flatten_on_kill": "yes"}, "risk.flatten_on_kill: expected true or false"),
        ({"max_daily_loss": {"a": [1]}}, "risk.max_daily_loss: expected a number"),
        ({"max_tick_to_trade_ms": "1_0"}, "risk.max_tick_to_trade_ms: "),
        (
            {"max_net_notionl": 5},
            'risk.max_net_notionl: unknown key (did you mean "max_net_notional"?)',
        ),
        ([], "risk: expected an object"),
    ],
)
def test_a_bad_engine_wide_value_is_one_line_naming_it(risk: Any, line: str) -> None:
    found = problems(risk=risk)
    assert len(found) == 1 and f"c.json: {line}" in found[0], found
    assert len(found[0]) < 400  # bounded, whatever the input's size


def test_an_entry_block_takes_only_the_entry_limits() -> None:
    (line,) = problems(entry_risk={"max_drawdown": 5})
    assert line == (
        "c.json: trading[0].risk.max_drawdown: unknown key: engine-wide: set it in the "
        "top-level risk block"
    )
    (line,) = problems(entry_risk={"max_position": "-1"})
    assert line.startswith("c.json: trading[0].risk.max_position: must be >= 0")


def test_entry_limits_override_the_engine_wide_ones_key_by_key() -> None:
    doc = {
        "risk": {"max_order_notional": 500, "price_band_pct": 2},
        "trading": [{**ENTRY, "risk": {"max_order_notional": "50"}}],
    }
    config = parse_config_text(json.dumps(doc), "c.json")
    limits = config.limits_for(config.trading[0])
    assert limits.max_order_notional == Decimal(50) and limits.price_band_pct == Decimal(2)
