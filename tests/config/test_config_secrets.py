"""Credentials from the environment and .env: precedence, parsing, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from falconet.config import (
    EnvSettings,
    IbkrMode,
    InvalidConfigError,
    Secret,
    load_env_settings,
)
from falconet.observe.redact import redact

HL_KEY = "0x" + "ab" * 32
HL_WALLET = "0x" + "12" * 20


def _dotenv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    return path


def _env_errors(environ: dict[str, str], dotenv: Path | None = None) -> list[str]:
    with pytest.raises(InvalidConfigError) as info:
        load_env_settings(environ, dotenv)
    return list(info.value.lines)


def test_nothing_set_gives_defaults(tmp_path: Path) -> None:
    env = load_env_settings({}, tmp_path / "absent.env")
    assert env == EnvSettings()
    assert env.ibkr.gateway_host == "127.0.0.1"
    assert env.ibkr.gateway_port == 4002
    assert env.ibkr.trading_mode is IbkrMode.PAPER
    assert env.ibkr.client_id == 0
    assert env.ibkr.account_id is None
    assert env.data_dir == Path("var/falconet")
    assert env.kraken.api_key is None


def test_dotenv_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    dotenv = _dotenv(tmp_path, "KRAKEN_API_KEY=from-file-key\nKRAKEN_API_SECRET=from-file-secret\n")
    env = load_env_settings({"KRAKEN_API_KEY": "from-env-key"}, dotenv)
    assert env.kraken.api_key is not None and env.kraken.api_secret is not None
    assert env.kraken.api_key.reveal() == "from-env-key"  # the environment wins
    assert env.kraken.api_secret.reveal() == "from-file-secret"
    assert env.origins["KRAKEN_API_KEY"] == "environment"
    assert env.origins["KRAKEN_API_SECRET"] == str(dotenv)


def test_variable_set_empty_in_environment_is_not_overridden(tmp_path: Path) -> None:
    dotenv = _dotenv(tmp_path, "IBKR_ACCOUNT_ID=DU123456\n")
    assert load_env_settings({"IBKR_ACCOUNT_ID": ""}, dotenv).ibkr.account_id is None
    assert load_env_settings({}, dotenv).ibkr.account_id == "DU123456"


def test_loading_does_not_modify_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMC_API_KEY", raising=False)
    import os

    load_env_settings(None, _dotenv(tmp_path, "CMC_API_KEY=cmc-key-123\n"))
    assert "CMC_API_KEY" not in os.environ


def test_dotenv_values_are_taken_literally(tmp_path: Path) -> None:
    dotenv = _dotenv(tmp_path, "KRAKEN_API_SECRET=abc${HOME}def\n")
    env = load_env_settings({"HOME": "/root"}, dotenv)
    assert env.kraken.api_secret is not None
    assert env.kraken.api_secret.reveal() == "abc${HOME}def"


def test_dio_env_template_comments_and_empty_values(tmp_path: Path) -> None:
    dotenv = _dotenv(
        tmp_path,
        "# ── IBKR ──\n"
        "IBKR_GATEWAY_HOST=10.0.0.5 # Default: 127.0.0.1\n"
        "IBKR_GATEWAY_PORT=4002 # Default: 4002\n"
        'IBKR_TRADING_MODE=paper # "paper" or "live" (default: paper)\n'
        "IBKR_CLIENT_ID=7 # Default: 0\n"
        "IBKR_ACCOUNT_ID= # Auto-detected from gateway if omitted\n",
    )
    ibkr = load_env_settings({}, dotenv).ibkr
    assert (ibkr.gateway_host, ibkr.gateway_port, ibkr.client_id) == ("10.0.0.5", 4002, 7)
    assert ibkr.account_id is None


def test_ibkr_live_mode_defaults_to_the_live_port() -> None:
    env = load_env_settings({"IBKR_TRADING_MODE": "LIVE"}, None)
    assert env.ibkr.trading_mode is IbkrMode.LIVE
    assert env.ibkr.gateway_port == 4001
    explicit = load_env_settings({"IBKR_TRADING_MODE": "live", "IBKR_GATEWAY_PORT": "4999"}, None)
    assert explicit.ibkr.gateway_port == 4999


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("IBKR_GATEWAY_PORT", "abc", 'expected an integer from 1 to 65535, got "abc"'),
        ("IBKR_GATEWAY_PORT", "70000", 'expected an integer from 1 to 65535, got "70000"'),
        ("IBKR_CLIENT_ID", "-1", 'expected an integer >= 0, got "-1"'),
        ("IBKR_TRADING_MODE", "real", 'expected paper or live, got "real"'),
        ("LIGHTER_API_KEY_INDEX", "4.0", 'expected an integer from 0 to 255, got "4.0"'),
        ("LIGHTER_ACCOUNT_INDEX", "12a", 'expected an integer >= 0, got "12a"'),
        (
            "LIGHTER_PROXY_URL",
            "https://a.example, ftp://b",
            'expected comma-separated http(s) URLs, got "ftp://b"',
        ),
        (
            "HYPERLIQUID_WALLET_ADDRESS",
            "0x123",
            'expected a 0x-prefixed address of 40 hex digits, got "0x123"',
        ),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str, reason: str) -> None:
    assert _env_errors({name: value}) == [f"environment: {name}: {reason}"]


def test_errors_name_the_dotenv_file_when_the_value_came_from_it(tmp_path: Path) -> None:
    dotenv = _dotenv(tmp_path, "IBKR_GATEWAY_PORT=abc\nIBKR_CLIENT_ID=x\n")
    assert _env_errors({}, dotenv) == [
        f'{dotenv}: IBKR_GATEWAY_PORT: expected an integer from 1 to 65535, got "abc"',
        f'{dotenv}: IBKR_CLIENT_ID: expected an integer >= 0, got "x"',
    ]


def test_malformed_secret_is_reported_without_its_value() -> None:
    bad_key = "0xnot-a-valid-private-key-but-secret"
    (line,) = _env_errors({"HYPERLIQUID_PRIVATE_KEY": bad_key})
    assert line == (
        "environment: HYPERLIQUID_PRIVATE_KEY: "
        "expected 64 hex digits, optionally 0x-prefixed (value not shown)"
    )
    # Still registered, so any later echo of it is masked.
    assert redact(f"oops {bad_key}") == "oops ***"


def test_lighter_and_hyperliquid_values() -> None:
    env = load_env_settings(
        {
            "HYPERLIQUID_WALLET_ADDRESS": HL_WALLET,
            "HYPERLIQUID_PRIVATE_KEY": HL_KEY,
            "LIGHTER_API_KEY_INDEX": "4",
            "LIGHTER_ACCOUNT_INDEX": "123456",
            "LIGHTER_PROXY_URL": " https://p1.example/ ,https://p2.example//,",
            "FALCONET_DATA_DIR": "/var/falconet",
        },
        None,
    )
    assert env.hyperliquid.wallet_address == HL_WALLET
    assert env.hyperliquid.private_key == Secret(HL_KEY)
    assert (env.lighter.api_key_index, env.lighter.account_index) == (4, 123456)
    assert env.lighter.proxy_urls == ("https://p1.example", "https://p2.example")
    assert env.data_dir == Path("/var/falconet")


def test_secret_never_shows_its_value() -> None:
    secret = Secret("super-secret-value")
    assert repr(secret) == "***"
    assert str(secret) == "***"
    assert f"{secret}" == "***"
    assert secret.reveal() == "super-secret-value"


def test_settings_repr_masks_every_secret() -> None:
    values = {
        "KRAKEN_API_KEY": "kraken-key-AAAA",
        "KRAKEN_API_SECRET": "kraken-secret-BBBB",
        "HYPERLIQUID_PRIVATE_KEY": HL_KEY,
        "ALPACA_API_KEY": "alpaca-key-CCCC",
        "ALPACA_API_SECRET": "alpaca-secret-DDDD",
        "LIGHTER_API_PRIVATE_KEY": "lighter-private-EEEE",
        "CMC_API_KEY": "cmc-key-FFFF",
        "DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/token-GGGG",
    }
    env = load_env_settings(values, None)
    text = repr(env) + str(env)
    for value in values.values():
        assert value not in text
        assert redact(f"[{value}]") == "[***]"


def test_discord_webhook_must_be_https() -> None:
    assert _env_errors({"DISCORD_WEBHOOK_URL": "discord.com/api/webhooks/1/token"}) == [
        "environment: DISCORD_WEBHOOK_URL: expected an https:// URL (value not shown)"
    ]


def test_misspelt_venue_variables_are_listed(tmp_path: Path) -> None:
    dotenv = _dotenv(tmp_path, "KRAKEN_API_SECRETS=x\nTWS_PASSWORD=y\n")
    env = load_env_settings({"ALPACA_API_KEY_ID": "z", "PATH": "/bin"}, dotenv)
    assert env.unrecognised == ("ALPACA_API_KEY_ID", "KRAKEN_API_SECRETS")
