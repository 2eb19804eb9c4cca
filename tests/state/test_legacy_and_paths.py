"""Migration of the seed's flat accumulated_state.json, state keys and data paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from falconet.config import load_env_settings
from falconet.core.enums import Venue
from falconet.state import (
    StateStore,
    data_dir,
    data_dir_from_settings,
    journal_path,
    legacy_key_map,
    legacy_state_path,
    state_key,
    state_path,
)

LEGACY = {
    "HYPE/USDC": {
        "reserved_base": 0.15,
        "accumulated_profit": 0.482716,
        "last_fill_oid": "355883830672",
        "last_buy_fill_price": 41.23,
        "last_sell_fill_price": 41.61,
    },
    "BTC/USD": {"reserved_base": 0, "accumulated_profit": 1e-7},
    "ETH/USDC": {"reserved_base": 0.5, "accumulated_profit": 0},
}


def write_legacy(tmp_path: Path) -> Path:
    path = tmp_path / "accumulated_state.json"
    # As the seed wrote it: plain JSON numbers.
    path.write_text(json.dumps(LEGACY, indent=2).replace("1e-07", "1e-7"))
    return path


def test_state_key_format() -> None:
    assert state_key("Grid", "HYPE/USDC", Venue.HYPERLIQUID) == "Grid:HYPE/USDC:hyperliquid"
    assert state_key("MM", "ETH/USDC", "lighter") == "MM:ETH/USDC:lighter"


def test_legacy_key_map_uses_the_unique_configured_key() -> None:
    configured = [
        "Grid:HYPE/USDC:hyperliquid",
        "Grid:ETH/USDC:lighter",
        "MM:ETH/USDC:hyperliquid",  # two ETH/USDC keys: ambiguous
        "Grid:SOL/USDC:kraken",
    ]
    assert legacy_key_map(["HYPE/USDC", "ETH/USDC", "BTC/USD"], configured) == {
        "HYPE/USDC": "Grid:HYPE/USDC:hyperliquid",
        "ETH/USDC": "migrated:ETH/USDC",
        "BTC/USD": "migrated:BTC/USD",
    }
    explicit = {"ETH/USDC": "MM:ETH/USDC:hyperliquid"}
    assert legacy_key_map(["ETH/USDC", "BTC/USD"], explicit) == {
        "ETH/USDC": "MM:ETH/USDC:hyperliquid",
        "BTC/USD": "migrated:BTC/USD",
    }


def test_migration_imports_exact_text_and_renames_the_legacy_file(tmp_path: Path) -> None:
    legacy = write_legacy(tmp_path)
    path = tmp_path / "accumulation_state.json"
    store = StateStore(path)
    imported = store.migrate_legacy(
        legacy, ["Grid:HYPE/USDC:hyperliquid", "Grid:BTC/USD:kraken", "MM:BTC/USD:kraken"]
    )
    assert imported == {
        "HYPE/USDC": "Grid:HYPE/USDC:hyperliquid",
        "BTC/USD": "migrated:BTC/USD",
        "ETH/USDC": "migrated:ETH/USDC",
    }
    expected_hype = {
        "reserved_base": "0.15",
        "accumulated_profit": "0.482716",
        "last_fill_oid": "355883830672",
        "last_buy_fill_price": "41.23",
        "last_sell_fill_price": "41.61",
    }
    assert store.get("Grid:HYPE/USDC:hyperliquid") == expected_hype
    assert store.get("migrated:BTC/USD") == {
        "reserved_base": "0",
        "accumulated_profit": "0.0000001",
    }
    # Written before the legacy file was renamed.
    on_disk = json.loads(path.read_text())
    assert on_disk["Grid:HYPE/USDC:hyperliquid"] == expected_hype
    assert not legacy.exists()
    assert (tmp_path / "accumulated_state.json.migrated").is_file()
    assert store.migrate_legacy(legacy, []) == {}  # nothing left to migrate
    store.close()


def test_migration_never_overwrites_newer_state(tmp_path: Path) -> None:
    legacy = write_legacy(tmp_path)
    store = StateStore(tmp_path / "accumulation_state.json")
    store.put("Grid:HYPE/USDC:hyperliquid", {"reserved_base": "0.2"})
    imported = store.migrate_legacy(legacy, ["Grid:HYPE/USDC:hyperliquid"])
    assert "HYPE/USDC" not in imported
    assert store.get("Grid:HYPE/USDC:hyperliquid") == {"reserved_base": "0.2"}
    store.close()


def test_unreadable_legacy_file_is_quarantined(tmp_path: Path) -> None:
    legacy = tmp_path / "accumulated_state.json"
    legacy.write_text('{"HYPE/USDC": ')
    store = StateStore(tmp_path / "accumulation_state.json")
    assert store.migrate_legacy(legacy, []) == {}
    assert not legacy.exists()
    assert len(list(tmp_path.glob("accumulated_state.json.corrupt.*"))) == 1
    store.close()


def test_data_dir_from_the_environment() -> None:
    assert data_dir({}) == Path("var/falconet")
    assert data_dir({"FALCONET_DATA_DIR": "  "}) == Path("var/falconet")
    assert data_dir({"FALCONET_DATA_DIR": "/srv/falconet"}) == Path("/srv/falconet")
    base = Path("/srv/falconet")
    assert state_path(base) == base / "accumulation_state.json"
    assert legacy_state_path(base) == base / "accumulated_state.json"
    assert journal_path(base) == base / "journal.sqlite3"


def test_data_dir_default_follows_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FALCONET_DATA_DIR", str(tmp_path))
    assert journal_path() == tmp_path / "journal.sqlite3"
    monkeypatch.delenv("FALCONET_DATA_DIR")
    assert state_path() == Path("var/falconet/accumulation_state.json")


def test_data_dir_from_loaded_settings() -> None:
    unset = load_env_settings(environ={}, dotenv_path=None)
    assert data_dir_from_settings(unset) == Path("var/falconet")
    chosen = load_env_settings(environ={"FALCONET_DATA_DIR": "/data/x"}, dotenv_path=None)
    assert data_dir_from_settings(chosen) == Path("/data/x")
