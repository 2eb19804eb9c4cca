"""Venue factories: each venue package says how its client is built from the config, the
entries that trade on one of its accounts and that account's variables, and registers
itself here. The engine asks the registry and names no venue.

A factory module must stay light to import (the registry loads them all to answer which
venues are tradable); it imports its client when `build` is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from falconet.config.schema import Config, TradingEntry
from falconet.config.secrets import EnvSettings
from falconet.core.enums import Venue
from falconet.engine.venue import VenueClient, account_id

# The venue packages that have an adapter: `falconet.venues.<name>.factory` registers one.
PACKAGES = ("paper", "hyperliquid")


@dataclass(frozen=True)
class AccountPlan:
    """One venue account to connect: what trades on it and with which credentials."""

    venue: Venue
    label: str | None  # None: the default account (the venue's plain variable names)
    entries: tuple[TradingEntry, ...]
    symbols: tuple[str, ...]  # every instrument it trades, hedges included, in order
    config: Config
    env: EnvSettings  # the account's own variables (see `EnvSettings.for_account`)
    data_dir: Path

    @property
    def id(self) -> str:
        return account_id(self.venue, self.label)


class VenueFactory(Protocol):
    venue: Venue

    def hedge_symbol(self, symbol: str) -> str | None:
        """The instrument that hedges `symbol` on this venue (a spot pair's perp), or
        None when the venue cannot hedge it."""
        ...

    def check(self, plans: Sequence[AccountPlan]) -> None:
        """Raise ConfigError for what cannot run together (before anything connects)."""
        ...

    def build(self, plan: AccountPlan) -> VenueClient:
        """The account's execution client, not yet connected. Raises ConfigError for a
        missing or conflicting setting, naming the variable or key."""
        ...

    def build_data(self, plan: AccountPlan) -> VenueClient | None:
        """A separate market-data client for the account (a venue whose data comes from
        another feed than its trading API), or None: the execution client streams it."""
        ...


_FACTORIES: dict[Venue, VenueFactory] = {}


def register(factory: VenueFactory) -> VenueFactory:
    _FACTORIES[factory.venue] = factory
    return factory


def _load() -> dict[Venue, VenueFactory]:
    if len(_FACTORIES) < len(PACKAGES):
        for name in PACKAGES:
            importlib.import_module(f"falconet.venues.{name}.factory")
    return _FACTORIES


def factory_for(venue: Venue) -> VenueFactory | None:
    return _load().get(venue)


def tradable_venues() -> frozenset[Venue]:
    """Venues this version has an adapter for."""
    return frozenset(_load())
