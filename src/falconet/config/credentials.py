"""Which venues in a config lack the credentials they need to place orders.

A missing credential is a warning, not an error: simulated runs, backtests and checking
a config on another machine need none.
"""

from __future__ import annotations

from dataclasses import dataclass

from falconet.config.schema import Config
from falconet.config.secrets import EnvSettings, env_name
from falconet.core.enums import Venue

# Variables a venue needs to trade live (testnets need their own keys too).
# IBKR authenticates in the gateway and the paper venue is simulated: nothing needed.
LIVE_CREDENTIALS: dict[Venue, tuple[str, ...]] = {
    Venue.KRAKEN: ("KRAKEN_API_KEY", "KRAKEN_API_SECRET"),
    Venue.HYPERLIQUID: ("HYPERLIQUID_WALLET_ADDRESS", "HYPERLIQUID_PRIVATE_KEY"),
    Venue.LIGHTER: ("LIGHTER_API_PRIVATE_KEY", "LIGHTER_API_KEY_INDEX", "LIGHTER_ACCOUNT_INDEX"),
    Venue.ALPACA: ("ALPACA_API_KEY", "ALPACA_API_SECRET"),
}


@dataclass(frozen=True)
class CredentialGap:
    venue: Venue
    missing: tuple[str, ...]  # variable names (a labelled account's with its `_LABEL`)
    entries: tuple[int, ...]  # indexes into config.trading
    account: str | None = None  # the account label; None: the default account

    def describe(self, config: Config) -> str:
        who = ", ".join(f"trading[{i}] {config.trading[i].symbol}" for i in self.entries)
        names = ", ".join(self.missing)
        where = self.venue.value + (f" account {self.account}" if self.account else "")
        return f"{where}: {names} not set; needed to place orders for {who}"


def missing_credentials(config: Config, env: EnvSettings) -> tuple[CredentialGap, ...]:
    """One gap per venue account used in `config` that lacks a credential, in config
    order."""
    gaps: list[CredentialGap] = []
    for venue, label in dict.fromkeys((e.exchange, e.account) for e in config.trading):
        account_env = env.for_account(label)
        names = (env_name(name, label) for name in LIVE_CREDENTIALS.get(venue, ()))
        missing = tuple(name for name in names if not account_env.is_set(name))
        if missing:
            entries = tuple(
                i for i, e in enumerate(config.trading) if (e.exchange, e.account) == (venue, label)
            )
            gaps.append(CredentialGap(venue, missing, entries, label))
    return tuple(gaps)
