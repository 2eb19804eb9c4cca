"""Which venues in a config lack the credentials they need to place orders.

A missing credential is a warning, not an error: simulated runs, backtests and checking
a config on another machine need none.
"""

from __future__ import annotations

from dataclasses import dataclass

from falconet.config.schema import Config
from falconet.config.secrets import EnvSettings
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
    missing: tuple[str, ...]  # variable names
    entries: tuple[int, ...]  # indexes into config.trading

    def describe(self, config: Config) -> str:
        who = ", ".join(f"trading[{i}] {config.trading[i].symbol}" for i in self.entries)
        names = ", ".join(self.missing)
        return f"{self.venue.value}: {names} not set; needed to place orders for {who}"


def missing_credentials(config: Config, env: EnvSettings) -> tuple[CredentialGap, ...]:
    """One gap per venue used in `config` that lacks a credential, in config order."""
    gaps: list[CredentialGap] = []
    for venue in dict.fromkeys(entry.exchange for entry in config.trading):
        missing = tuple(name for name in LIVE_CREDENTIALS.get(venue, ()) if not env.is_set(name))
        if missing:
            entries = tuple(i for i, e in enumerate(config.trading) if e.exchange is venue)
            gaps.append(CredentialGap(venue, missing, entries))
    return tuple(gaps)
