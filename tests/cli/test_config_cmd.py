"""`falconet config check`: exit codes, output, one-line errors, masking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from falconet.cli.main import main
from falconet.config import ENV_VARS
from falconet.observe.redact import clear_secrets

KRAKEN_SECRET = "kraken-secret-0123456789"

VALID = {
    "gc": {"window_size": 10},
    "trading": [
        {
            "symbol": "BTC/USD",
            "exchange": "kraken",
            "qty": "0.0002",
            "grid_interval": [1.25, 0.25],
            "sell_mult": "0.999",
            "strategy": "Grid",
        },
        {"symbol": "ETH/USDC", "exchange": "lighter", "qty": "0.01", "strategy": "MM"},
    ],
}


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No falconet variable from the outside, and no stray .env: tmp_path is the cwd."""
    for var in ENV_VARS:
        monkeypatch.delenv(var.name, raising=False)
    monkeypatch.delenv("FALCONET_BACKTRACE", raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    clear_secrets()


def _write(content: dict[str, Any] | str, name: str = "config.json") -> str:
    Path(name).write_text(content if isinstance(content, str) else json.dumps(content))
    return name


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["config", "check", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_valid_config_exits_0_and_shows_what_would_run(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _check(capsys, _write(VALID))
    assert rc == 0
    assert err == ""
    assert out.startswith("config.json: valid, 2 trading entries\n")
    assert '"grid_interval": ["0.25", "1.25"]' in out  # sorted, exact strings
    assert '"qty": "0.0002"' in out
    lines = out.splitlines()
    header = lines.index("would run:")
    assert lines[header + 1].split() == [
        "#", "symbol", "exchange", "strategy", "qty", "interval", "mode", "tradable",
    ]  # fmt: skip
    assert lines[header + 2].split() == [
        "0", "BTC/USD", "kraken", "Grid", "0.0002", "0.25-1.25%", "live", "not", "yet",
        "sell_mult", "0.999",
    ]  # fmt: skip
    assert lines[header + 3].split() == [
        "1", "ETH/USDC", "lighter", "MM", "0.01", "-", "live", "not", "yet",
    ]  # fmt: skip
    assert "this version cannot trade kraken, lighter yet" in out
    assert "gc: accepted for compatibility with dio configs and ignored" in out
    assert "kraken: KRAKEN_API_KEY, KRAKEN_API_SECRET not set" in out


def test_invalid_config_exits_1_with_one_line_per_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = json.loads(json.dumps(VALID))
    bad["trading"][0]["grid_interval"] = "abc"
    bad["trading"][1]["hedge"] = True
    bad["cycle_mod"] = -5
    rc, out, err = _check(capsys, _write(bad))
    assert rc == 1
    assert out == ""
    assert err.splitlines() == [  # in the order of the file
        "falconet: error: config.json: trading[0].grid_interval: expected a number or a "
        '[min, max] list of 2 numbers, got "abc"',
        "falconet: error: config.json: trading[1].hedge: not allowed on exchange lighter; "
        "allowed on: hyperliquid",
        "falconet: error: config.json: cycle_mod: must be >= 1, got -5",
    ]
    assert "Traceback" not in err


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _check(capsys, "missing.json")
    assert (rc, out, err) == (1, "", "falconet: error: missing.json: file not found\n")


def test_malformed_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _check(capsys, _write('{"trading": [\n  {"qty": "1"\n]}'))
    assert rc == 1
    assert err == "falconet: error: config.json:3:1: malformed JSON: Expecting ',' delimiter\n"


def test_env_errors_and_config_errors_are_reported_together(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path(".env").write_text("IBKR_GATEWAY_PORT=abc\n")
    rc, _, err = _check(capsys, _write({"trading": [], "cycle_mod": 0}))
    assert rc == 1
    assert err.splitlines() == [
        'falconet: error: .env: IBKR_GATEWAY_PORT: expected an integer from 1 to 65535, got "abc"',
        "falconet: error: config.json: cycle_mod: must be >= 1, got 0",
    ]


def test_dotenv_secrets_are_masked_and_environment_wins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(".env").write_text(f"KRAKEN_API_KEY=file-key-999999\nKRAKEN_API_SECRET={KRAKEN_SECRET}\n")
    monkeypatch.setenv("KRAKEN_API_KEY", "env-key-888888")
    rc, out, _ = _check(capsys, _write(VALID))
    assert rc == 0
    assert KRAKEN_SECRET not in out and "env-key-888888" not in out
    assert "file-key-999999" not in out
    assert "KRAKEN_API_KEY              ***  [environment]" in out
    assert "KRAKEN_API_SECRET           ***  [.env]" in out
    assert "kraken: " not in out.split("warnings:")[-1]  # credentials complete


def test_secret_echoed_in_a_config_error_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    # A secret pasted into the wrong place must not be printed back.
    Path(".env").write_text(f"KRAKEN_API_SECRET={KRAKEN_SECRET}\n")
    bad = {"trading": [{"symbol": "BTC/USD", "qty": KRAKEN_SECRET, "strategy": "Grid"}]}
    rc, out, err = _check(capsys, _write(bad))
    assert rc == 1
    assert KRAKEN_SECRET not in out + err
    assert err == (
        'falconet: error: config.json: trading[0].qty: expected a decimal string such as "0.5", '
        'got "***"\n'
    )


def test_long_secret_is_masked_before_the_value_is_shortened(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Error messages cut long values; a cut secret would no longer match the mask.
    long_secret = "0123456789abcdef" * 4
    Path(".env").write_text(f"LIGHTER_API_PRIVATE_KEY={long_secret}\n")
    bad = {"trading": [{"symbol": long_secret, "qty": "1", "strategy": "Grid", "hedge": 1}]}
    rc, out, err = _check(capsys, _write(bad))
    assert rc == 1
    assert long_secret[:12] not in out + err
    assert err == (
        "falconet: error: config.json: trading[0].hedge: not allowed on exchange kraken; "
        "allowed on: hyperliquid\n"
    )
    bad = {"trading": [{"symbol": "BTC/USD", "qty": long_secret, "strategy": "Grid"}]}
    rc, _, err = _check(capsys, _write(bad))
    assert long_secret[:12] not in err
    assert err.endswith('trading[0].qty: expected a decimal string such as "0.5", got "***"\n')


def test_explicit_env_file(capsys: pytest.CaptureFixture[str]) -> None:
    Path("prod.env").write_text("IBKR_TRADING_MODE=live\n")
    rc, out, _ = _check(capsys, _write(VALID), "--env-file", "prod.env")
    assert rc == 0
    assert "IBKR_TRADING_MODE           live  [prod.env]" in out
    rc, _, err = _check(capsys, _write(VALID), "--env-file", "nope.env")
    assert (rc, err) == (1, "falconet: error: nope.env: env file not found\n")


def test_json_output_when_valid(capsys: pytest.CaptureFixture[str]) -> None:
    Path(".env").write_text(f"KRAKEN_API_SECRET={KRAKEN_SECRET}\n")
    rc, out, err = _check(capsys, _write(VALID), "--json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["valid"] is True
    assert doc["config"]["trading"][0]["qty"] == "0.0002"
    assert doc["environment"]["KRAKEN_API_SECRET"] == "***"
    assert doc["ignored"] == ["gc"]
    assert [run["symbol"] for run in doc["runs"]] == ["BTC/USD", "ETH/USDC"]
    assert KRAKEN_SECRET not in out


def test_json_output_when_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _check(capsys, _write({"trading": [], "cycle_mod": "x"}), "--json")
    assert rc == 1
    assert json.loads(out) == {
        "file": "config.json",
        "valid": False,
        "errors": ['config.json: cycle_mod: expected an integer, got "x"'],
    }
    assert err == 'falconet: error: config.json: cycle_mod: expected an integer, got "x"\n'


@pytest.mark.parametrize("argv", [["config", "--help"], ["config", "check", "--help"]])
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: falconet config" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["config", "check"])
    assert info.value.code == 2


def test_command_line_end_to_end(tmp_path: Path) -> None:
    """The installed entry point: no traceback, one line, exit status 1."""
    _write({"trading": [{"symbol": "BTC/USD", "qty": "1", "strategy": "Grid", "testnet": True}]})
    env = {k: v for k, v in os.environ.items() if k not in {var.name for var in ENV_VARS}}
    proc = subprocess.run(
        [sys.executable, "-m", "falconet", "config", "check", "config.json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "falconet: error: config.json: trading[0].testnet: not allowed on exchange kraken "
        "(Kraken has no testnet); allowed on: hyperliquid, lighter, ibkr, alpaca\n"
    )
