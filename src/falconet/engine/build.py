"""From a config to what the engine runs: which venue client serves each entry, and a
factory for each entry's strategy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from falconet.config.schema import Config, TradingEntry
from falconet.config.schema import Strategy as ConfigStrategy
from falconet.config.secrets import EnvSettings
from falconet.core.enums import Venue
from falconet.core.errors import ConfigError
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.engine.hedge import perp_symbol
from falconet.engine.venue import VenueClient
from falconet.strategies.api import Strategy
from falconet.strategies.fear_greed import FearGreedSource
from falconet.strategies.grid.factory import grid_from_entry
from falconet.strategies.grid.reservations import QuoteReservations
from falconet.strategies.mm.factory import mm_from_entry
from falconet.venues import TRADABLE_VENUES
from falconet.venues.paper import PaperVenue

STRATEGY_CODES = {ConfigStrategy.GRID: StrategyCode.GRID, ConfigStrategy.MM: StrategyCode.MM}


@dataclass(frozen=True)
class EntryPlan:
    entry: TradingEntry
    venue: Venue  # where its orders go (PAPER when routed to paper trading)
    key: str  # state key: "Grid:BTC/USD:paper"

    @property
    def code(self) -> StrategyCode:
        return STRATEGY_CODES[self.entry.strategy]


def plan(config: Config, *, paper: bool) -> list[EntryPlan]:
    """Where each entry trades. Raises ConfigError for an entry this version cannot trade."""
    out: list[EntryPlan] = []
    seen: set[str] = set()
    for i, entry in enumerate(config.trading):
        venue = Venue.PAPER if paper else entry.exchange
        where = f"{config.source}: trading[{i}] ({entry.symbol} on {entry.exchange.value})"
        if venue not in TRADABLE_VENUES:
            raise ConfigError(
                f"{where}: this version cannot trade {entry.exchange.value} yet; "
                "run with --paper to paper-trade it"
            )
        if entry.strategy not in STRATEGY_CODES:
            raise ConfigError(f"{where}.strategy: {entry.strategy.value} cannot run live")
        key = f"{entry.strategy.value}:{entry.symbol}:{venue.value}"
        if key in seen:
            raise ConfigError(f"{where}: a second {entry.strategy.value} entry for this symbol")
        seen.add(key)
        out.append(EntryPlan(entry, venue, key))
    hedged = {perp: p for p in out if (perp := hedged_perp(p))}
    for p in out:
        if p.venue is Venue.HYPERLIQUID and p.entry.symbol.upper() in hedged:
            raise ConfigError(
                f"{config.source}: {p.entry.symbol} on hyperliquid is traded by an entry and "
                f"also hedges {hedged[p.entry.symbol.upper()].entry.symbol}: both would share "
                "one position; trade the perp from another account or drop the hedge"
            )
    return out


def make_venues(
    config: Config, plans: list[EntryPlan], data_dir: Path, env: EnvSettings | None = None
) -> dict[Venue, VenueClient]:
    symbols = [p.entry.symbol for p in plans if p.venue is Venue.PAPER]
    venues: dict[Venue, VenueClient] = {}
    if symbols:
        venues[Venue.PAPER] = PaperVenue(config.paper, symbols, state_dir=data_dir)
    hl = [p for p in plans if p.venue is Venue.HYPERLIQUID]
    if hl:
        venues[Venue.HYPERLIQUID] = hyperliquid_client(config, hl, env or EnvSettings())
    return venues


def hedged_perp(plan: EntryPlan) -> str | None:
    """The perp symbol an entry hedges with, or None."""
    if plan.entry.hedge and plan.venue is Venue.HYPERLIQUID and "/" in plan.entry.symbol:
        return perp_symbol(plan.entry.symbol)
    return None


def hyperliquid_client(config: Config, plans: list[EntryPlan], env: EnvSettings) -> VenueClient:
    # imported here: paper-only runs need not load the signing stack
    from falconet.venues.hyperliquid import (  # noqa: PLC0415
        HyperliquidSettings,
        HyperliquidVenue,
    )
    from falconet.venues.hyperliquid.settings import (  # noqa: PLC0415
        MAINNET_URL,
        TESTNET_URL,
    )

    hl = env.hyperliquid
    testnet = {p.entry.testnet for p in plans}
    if len(testnet) > 1:
        raise ConfigError(
            f"{config.source}: hyperliquid entries mix testnet true and false; one engine "
            "trades one Hyperliquid network"
        )
    if hl.private_key is None:
        raise ConfigError(
            "HYPERLIQUID_PRIVATE_KEY is not set: trading on hyperliquid needs the key of "
            "the account's API (agent) wallet, or of the account itself"
        )
    wanted = TESTNET_URL if testnet == {True} else MAINNET_URL
    other = MAINNET_URL if wanted == TESTNET_URL else TESTNET_URL
    if hl.base_url is not None and hl.base_url.rstrip("/") == other:
        raise ConfigError(
            f"HYPERLIQUID_BASE_URL is {other} but the hyperliquid entries say "
            f'"testnet": {str(testnet == {True}).lower()}; fix one of them'
        )
    base_url = hl.base_url or wanted
    symbols = [p.entry.symbol for p in plans]
    symbols += [s for s in (hedged_perp(p) for p in plans) if s]
    return HyperliquidVenue(
        HyperliquidSettings(
            base_url=base_url.rstrip("/"),
            private_key=hl.private_key,
            account_address=hl.wallet_address,
            vault_address=hl.vault_address,
            symbols=tuple(dict.fromkeys(symbols)),
            leverage=config.hyperliquid.leverage,
            dead_man_s=(
                float(config.hyperliquid.dead_man_s)
                if config.hyperliquid.dead_man_s is not None
                else None
            ),
        )
    )


StrategyFactory = Callable[[], Strategy]


def strategy_factory(
    config: Config,
    plan: EntryPlan,
    instrument: Instrument,
    fear_greed: FearGreedSource | None,
    reservations: QuoteReservations,
) -> StrategyFactory:
    """A factory for the entry's strategy, checked once now so a bad entry stops start-up."""
    entry = plan.entry

    def make() -> Strategy:
        if entry.strategy is ConfigStrategy.GRID:
            return grid_from_entry(entry, config, instrument, fear_greed, reservations=reservations)
        return mm_from_entry(entry, config, instrument)

    make()  # raises the entry's problem before anything trades
    return make
