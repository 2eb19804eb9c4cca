"""Credentials and connection settings: the variables falconet reads and their types.

Secret values are wrapped in `Secret` (whose str and repr are `***`) and registered with
`observe.redact` when wrapped, so they are masked in every log line and error message
from the moment they are read. `environment.load_env_settings` fills these in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from falconet.observe.redact import MASK, register_secret


class Secret:
    """A credential. Printing it shows `***`; `reveal()` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        register_secret(value)
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class EnvVar:
    name: str
    secret: bool
    default: str | None = None  # as shown to users; None: unset unless given


ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("KRAKEN_API_KEY", secret=True),
    EnvVar("KRAKEN_API_SECRET", secret=True),
    EnvVar("HYPERLIQUID_WALLET_ADDRESS", secret=False),
    EnvVar("HYPERLIQUID_AGENT_ADDRESS", secret=False),
    EnvVar("HYPERLIQUID_PRIVATE_KEY", secret=True),
    EnvVar("HYPERLIQUID_VAULT_ADDRESS", secret=False),
    EnvVar("HYPERLIQUID_BASE_URL", secret=False, default="https://api.hyperliquid.xyz"),
    EnvVar("IBKR_GATEWAY_HOST", secret=False, default="127.0.0.1"),
    EnvVar("IBKR_GATEWAY_PORT", secret=False, default="4002 (paper) / 4001 (live)"),
    EnvVar("IBKR_TRADING_MODE", secret=False, default="paper"),
    EnvVar("IBKR_CLIENT_ID", secret=False, default="0"),
    EnvVar("IBKR_ACCOUNT_ID", secret=False),
    EnvVar("ALPACA_API_KEY", secret=True),
    EnvVar("ALPACA_API_SECRET", secret=True),
    EnvVar("LIGHTER_API_PRIVATE_KEY", secret=True),
    EnvVar("LIGHTER_API_KEY_INDEX", secret=False),
    EnvVar("LIGHTER_ACCOUNT_INDEX", secret=False),
    EnvVar("LIGHTER_SIGNER_LIB_PATH", secret=False),
    EnvVar("LIGHTER_PROXY_URL", secret=False),
    EnvVar("CMC_API_KEY", secret=True),
    EnvVar("DISCORD_WEBHOOK_URL", secret=True),  # the URL embeds the webhook's token
    EnvVar("FALCONET_DATA_DIR", secret=False, default="var/falconet"),
)
KNOWN_NAMES = frozenset(var.name for var in ENV_VARS)

IBKR_PAPER_PORT = 4002
IBKR_LIVE_PORT = 4001


class IbkrMode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


@dataclass(frozen=True)
class KrakenEnv:
    api_key: Secret | None = None
    api_secret: Secret | None = None


@dataclass(frozen=True)
class HyperliquidEnv:
    wallet_address: str | None = None
    agent_address: str | None = None
    private_key: Secret | None = None
    vault_address: str | None = None
    # None: mainnet, or testnet for entries with "testnet": true. Set it to reach an
    # emulator (`falconet emulate hyperliquid`), which is signed for as testnet.
    base_url: str | None = None


@dataclass(frozen=True)
class IbkrEnv:
    gateway_host: str = "127.0.0.1"
    gateway_port: int = IBKR_PAPER_PORT
    trading_mode: IbkrMode = IbkrMode.PAPER
    client_id: int = 0
    account_id: str | None = None  # None: taken from the gateway


@dataclass(frozen=True)
class LighterEnv:
    api_private_key: Secret | None = None
    api_key_index: int | None = None
    account_index: int | None = None
    signer_lib_path: str | None = None  # None: the bundled signer for this platform
    proxy_urls: tuple[str, ...] = ()  # relay pool, rotated on upstream failure


@dataclass(frozen=True)
class AlpacaEnv:
    api_key: Secret | None = None
    api_secret: Secret | None = None


@dataclass(frozen=True)
class EnvSettings:
    kraken: KrakenEnv = field(default_factory=KrakenEnv)
    hyperliquid: HyperliquidEnv = field(default_factory=HyperliquidEnv)
    ibkr: IbkrEnv = field(default_factory=IbkrEnv)
    lighter: LighterEnv = field(default_factory=LighterEnv)
    alpaca: AlpacaEnv = field(default_factory=AlpacaEnv)
    cmc_api_key: Secret | None = None
    discord_webhook_url: Secret | None = None
    data_dir: Path = Path("var/falconet")
    # Where each variable that is set came from: "environment" or the .env path.
    origins: Mapping[str, str] = field(default_factory=dict)
    # Set variables with a venue prefix that are not a plain name falconet reads: typos, or
    # a labelled account's (`unrecognised_with` tells them apart once the labels are known).
    unrecognised: tuple[str, ...] = ()
    # Labelled accounts' venue variables (`HYPERLIQUID_PRIVATE_KEY_MAIN`), by label.
    labels: Mapping[str, EnvSettings] = field(default_factory=dict)

    def is_set(self, name: str) -> bool:
        return name in self.origins

    def unrecognised_with(self, labels: Iterable[str]) -> list[str]:
        """The unrecognised names that are not a variable of one of these accounts."""
        wanted = {label.upper() for label in labels}
        own = {
            n
            for settings in (self.labels.get(lb) for lb in wanted)
            if settings
            for n in settings.origins
        }
        return [n for n in self.unrecognised if n not in own]

    def for_account(self, label: str | None) -> EnvSettings:
        """The venue variables of an account: the plain ones, or a label's (empty when
        none is set, so that what is missing is reported under the labelled name)."""
        if label is None:
            return self
        return self.labels.get(label.upper(), EnvSettings())


def env_name(name: str, label: str | None) -> str:
    """The variable `name` as an account labelled `label` reads it."""
    return name if label is None else f"{name}_{label.upper()}"
