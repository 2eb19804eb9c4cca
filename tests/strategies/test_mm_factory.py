"""`mm_from_entry`: a config `trading[]` entry becomes a market maker."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from falconet.config.loader import parse_config_text
from falconet.config.schema import Config
from falconet.core.errors import ConfigError
from falconet.strategies.mm import MarketMaker, mm_from_entry
from falconet.strategies.params import ParamError
from tests.strategies.test_mm_support import ETH


def config(**entry: Any) -> Config:
    fields = {"symbol": "ETH/USD", "exchange": "kraken", "qty": "0.5", "strategy": "MM"}
    fields.update(entry)
    return parse_config_text(json.dumps({"trading": [fields]}), "config.json")


def test_entry_settings_pass_through() -> None:
    cfg = config(min_usd_balance="250", max_exposure="1000", maker_fee="0.0012", taker_fee="0.004")
    mm = mm_from_entry(cfg.trading[0], cfg, ETH)
    assert isinstance(mm, MarketMaker)
    assert mm.qty == ETH.size("0.5")
    assert (mm.min_usd_balance, mm.max_exposure) == (Decimal(250), Decimal(1000))
    assert (mm.maker_fee_override, mm.taker_fee_override) == (Decimal("0.0012"), Decimal("0.004"))
    assert mm.status_every == cfg.cycle_mod


def test_optional_settings_default_to_unset() -> None:
    cfg = config()
    mm = mm_from_entry(cfg.trading[0], cfg, ETH)
    assert mm.min_usd_balance is None
    assert mm.max_exposure is None
    assert mm.maker_fee_override is None


def test_qty_floored_to_the_lot() -> None:
    cfg = config(qty="0.50019")
    assert mm_from_entry(cfg.trading[0], cfg, ETH).qty == ETH.size("0.5001")


def test_qty_below_the_venue_minimum_is_a_config_error_naming_qty() -> None:
    cfg = config(qty="0.0009")
    with pytest.raises(ConfigError, match=r"trading\[ETH/USD@kraken\]\.qty.*minimum 0\.001"):
        mm_from_entry(cfg.trading[0], cfg, ETH)


def test_grid_entry_is_refused() -> None:
    cfg = config(strategy="Grid")
    with pytest.raises(ConfigError, match="strategy"):
        mm_from_entry(cfg.trading[0], cfg, ETH)


def test_constructor_checks_its_settings() -> None:
    with pytest.raises(ParamError, match="qty"):
        MarketMaker(qty=0)
    with pytest.raises(ParamError, match="min_usd_balance"):
        MarketMaker(qty=1, min_usd_balance="-1")
    with pytest.raises(ParamError, match="max_exposure"):
        MarketMaker(qty=1, max_exposure="lots")
    assert MarketMaker(qty=1, maker_fee="").maker_fee_override is None  # --param maker_fee=
