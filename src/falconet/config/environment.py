"""Reading falconet's variables from the process environment and a `.env` file.

A variable already set in the environment always wins over the `.env` file, and the
environment itself is never modified. Errors name the variable and where it came from
(`environment` or the .env path), never a secret's value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from falconet.config.problems import Problems
from falconet.config.secrets import (
    ENV_VARS,
    IBKR_LIVE_PORT,
    IBKR_PAPER_PORT,
    KNOWN_NAMES,
    AlpacaEnv,
    EnvSettings,
    HyperliquidEnv,
    IbkrEnv,
    IbkrMode,
    KrakenEnv,
    LighterEnv,
    Secret,
)
from falconet.config.values import describe
from falconet.observe.redact import register_secret

ENVIRONMENT = "environment"  # how the process environment is named in messages
# A variable with a venue's prefix that falconet does not read is probably a typo.
_CHECKED_PREFIXES = ("KRAKEN_", "HYPERLIQUID_", "IBKR_", "ALPACA_", "LIGHTER_")

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_HL_KEY_SHAPE = "64 hex digits, optionally 0x-prefixed"
_INTEGER = re.compile(r"[+-]?\d+")


class _Reader:
    """Typed access to the merged variables; problems name the variable and its origin."""

    def __init__(self, values: Mapping[str, str], origins: Mapping[str, str]) -> None:
        self.values = values
        self.origins = origins
        self.problems = Problems()

    def fail(self, name: str, reason: str) -> None:
        self.problems.add(self.origins.get(name, ENVIRONMENT), (name,), reason)

    def text(self, name: str) -> str | None:
        return self.values.get(name)

    def secret(
        self, name: str, pattern: re.Pattern[str] | None = None, shape: str = ""
    ) -> Secret | None:
        value = self.values.get(name)
        if value is None:
            return None
        secret = Secret(value)  # registered before any check can mention it
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(name, f"expected {shape} (value not shown)")
            return None
        return secret

    def integer(self, name: str, low: int, high: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        number = int(value) if _INTEGER.fullmatch(value) else None
        if number is None or number < low or (high is not None and number > high):
            limit = f"from {low} to {high}" if high is not None else f">= {low}"
            self.fail(name, f"expected an integer {limit}, got {describe(value)}")
            return None
        return number

    def checked(self, name: str, check: Callable[[str], str | None]) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        reason = check(value)
        if reason:
            self.fail(name, reason)
            return None
        return value


def _address_problem(value: str) -> str | None:
    if _HEX_ADDRESS.fullmatch(value):
        return None
    return f"expected a 0x-prefixed address of 40 hex digits, got {describe(value)}"


def _url_problem(value: str) -> str | None:
    # no user:password@ part: the URL is printed in reports and connection errors
    if re.fullmatch(r"https?://[^\s/@:]+(:\d+)?/?", value):
        return None
    if "@" in value:
        return "expected an http(s) URL without a user name or password (value not shown)"
    return f"expected an http(s) URL such as https://api.hyperliquid.xyz, got {describe(value)}"


def _proxy_urls(value: str) -> tuple[tuple[str, ...], str | None]:
    urls = tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
    bad = [url for url in urls if not url.startswith(("https://", "http://"))]
    if bad:
        return (), f"expected comma-separated http(s) URLs, got {describe(bad[0])}"
    return urls, None


_LABEL = re.compile(r"[A-Z0-9]{1,32}")
_VENUE_VARS = tuple(
    sorted((n for n in KNOWN_NAMES if n.startswith(_CHECKED_PREFIXES)), key=len, reverse=True)
)
SECRET_NAMES = frozenset(var.name for var in ENV_VARS if var.secret)


def split_label(name: str) -> tuple[str, str] | None:
    """("HYPERLIQUID_PRIVATE_KEY", "MAIN") for "HYPERLIQUID_PRIVATE_KEY_MAIN"; None for a
    name that is not a venue variable with an account label."""
    for base in _VENUE_VARS:  # longest first: no base is another's prefix plus a label
        if name.startswith(base + "_") and _LABEL.fullmatch(name[len(base) + 1 :]):
            return base, name[len(base) + 1 :]
    return None


def _merge(
    environ: Mapping[str, str], dotenv_path: str | os.PathLike[str] | None
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Merge the .env file under the environment; return values, origins, candidate names."""
    from_file: dict[str, str | None] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        # No ${VAR} interpolation: a secret containing "$" must arrive exactly as written.
        from_file = dotenv_values(dotenv_path, interpolate=False)
    file_name = os.fspath(dotenv_path) if dotenv_path is not None else ".env"
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, value in from_file.items():
        if value is not None:
            values[name], origins[name] = value, file_name
    for name, value in environ.items():
        values[name], origins[name] = value, ENVIRONMENT
    candidates = [n for n in values if n.startswith(_CHECKED_PREFIXES)]
    # An empty assignment (`IBKR_ACCOUNT_ID=`) means "not set", as in dio's .env template.
    for name in [n for n, v in values.items() if not v.strip()]:
        del values[name], origins[name]
    known = {
        n: v.strip() for n, v in values.items() if n in KNOWN_NAMES or split_label(n) is not None
    }
    return known, {n: origins[n] for n in known}, candidates


def _venue_blocks(r: _Reader, suffix: str) -> dict[str, Any]:
    """The venue settings of one account: the plain names (suffix "") or a label's."""

    def n(name: str) -> str:
        return name + suffix

    mode_text = (r.text(n("IBKR_TRADING_MODE")) or IbkrMode.PAPER.value).lower()
    if mode_text not in {m.value for m in IbkrMode}:
        r.fail(n("IBKR_TRADING_MODE"), f"expected paper or live, got {describe(mode_text)}")
        mode_text = IbkrMode.PAPER.value
    mode = IbkrMode(mode_text)
    default_port = IBKR_LIVE_PORT if mode is IbkrMode.LIVE else IBKR_PAPER_PORT
    proxy_urls: tuple[str, ...] = ()
    proxy_text = r.text(n("LIGHTER_PROXY_URL"))
    if proxy_text is not None:
        proxy_urls, reason = _proxy_urls(proxy_text)
        if reason:
            r.fail(n("LIGHTER_PROXY_URL"), reason)
    return {
        "kraken": KrakenEnv(r.secret(n("KRAKEN_API_KEY")), r.secret(n("KRAKEN_API_SECRET"))),
        "hyperliquid": HyperliquidEnv(
            wallet_address=r.checked(n("HYPERLIQUID_WALLET_ADDRESS"), _address_problem),
            agent_address=r.checked(n("HYPERLIQUID_AGENT_ADDRESS"), _address_problem),
            private_key=r.secret(n("HYPERLIQUID_PRIVATE_KEY"), _HEX_KEY, _HL_KEY_SHAPE),
            vault_address=r.checked(n("HYPERLIQUID_VAULT_ADDRESS"), _address_problem),
            base_url=r.checked(n("HYPERLIQUID_BASE_URL"), _url_problem),
        ),
        "ibkr": IbkrEnv(
            gateway_host=r.text(n("IBKR_GATEWAY_HOST")) or "127.0.0.1",
            gateway_port=r.integer(n("IBKR_GATEWAY_PORT"), 1, 65535) or default_port,
            trading_mode=mode,
            client_id=r.integer(n("IBKR_CLIENT_ID"), 0) or 0,
            account_id=r.text(n("IBKR_ACCOUNT_ID")),
        ),
        "lighter": LighterEnv(
            api_private_key=r.secret(n("LIGHTER_API_PRIVATE_KEY")),
            api_key_index=r.integer(n("LIGHTER_API_KEY_INDEX"), 0, 255),
            account_index=r.integer(n("LIGHTER_ACCOUNT_INDEX"), 0),
            signer_lib_path=r.text(n("LIGHTER_SIGNER_LIB_PATH")),
            proxy_urls=proxy_urls,
        ),
        "alpaca": AlpacaEnv(r.secret(n("ALPACA_API_KEY")), r.secret(n("ALPACA_API_SECRET"))),
    }


def load_env_settings(
    environ: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> EnvSettings:
    """Read falconet's variables from `environ` (default: `os.environ`) and, for those not
    set there, from `dotenv_path` (skipped if the file does not exist).

    A venue variable with `_LABEL` appended (`HYPERLIQUID_PRIVATE_KEY_MAIN`) belongs to the
    account labelled LABEL (an entry's `"account"`); the plain names are the default account.

    Raises `InvalidConfigError` for malformed values, one line per variable.
    """
    values, origins, candidates = _merge(os.environ if environ is None else environ, dotenv_path)
    split = {name: bl for name in values if (bl := split_label(name)) is not None}
    # Mask every secret before any message about any variable can be built.
    for name, value in values.items():
        if name in SECRET_NAMES or (name in split and split[name][0] in SECRET_NAMES):
            register_secret(value)
    r = _Reader(values, origins)
    webhook = r.secret("DISCORD_WEBHOOK_URL", re.compile(r"https://\S+"), "an https:// URL")
    labels = {
        label: EnvSettings(
            **_venue_blocks(r, "_" + label),
            origins={n: origins[n] for n, (_, lb) in split.items() if lb == label},
        )
        for label in sorted({label for _, label in split.values()})
    }
    settings = EnvSettings(
        **_venue_blocks(r, ""),
        cmc_api_key=r.secret("CMC_API_KEY"),
        discord_webhook_url=webhook,
        data_dir=Path(r.text("FALCONET_DATA_DIR") or "var/falconet"),
        origins={n: o for n, o in origins.items() if n not in split},
        unrecognised=tuple(sorted(n for n in candidates if n not in KNOWN_NAMES)),
        labels=labels,
    )
    r.problems.raise_if_any()
    return settings
