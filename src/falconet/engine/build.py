"""From a config to what the engine runs: which venue account serves each entry, a client
per account (built by the venue's factory), and a factory for each entry's strategy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from falconet.config.schema import Config, TradingEntry
from falconet.config.schema import Strategy as ConfigStrategy
from falconet.config.secrets import EnvSettings
from falconet.core.enums import Venue
from falconet.core.errors import ConfigError
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.engine.venue import VenueClient, account_id
from falconet.strategies.api import Strategy
from falconet.strategies.fear_greed import FearGreedSource
from falconet.strategies.grid.factory import grid_from_entry
from falconet.strategies.grid.reservations import QuoteReservations
from falconet.strategies.hedge import HedgeStrategy
from falconet.strategies.mm.factory import mm_from_entry
from falconet.venues.registry import AccountPlan, factory_for, tradable_venues

STRATEGY_CODES = {ConfigStrategy.GRID: StrategyCode.GRID, ConfigStrategy.MM: StrategyCode.MM}
HEDGE = "Hedge"


@dataclass(frozen=True)
class EntryPlan:
    """One runner: a trading entry, or the hedge of one (`hedges` set)."""

    entry: TradingEntry
    venue: Venue  # where its orders go (PAPER when routed to paper trading)
    key: str  # state key: "Grid:BTC/USD:paper", "Grid:BTC/USD:paper:LABEL"
    account: str  # the venue account's id: "paper", "paper:LABEL"
    symbol: str  # the instrument it trades
    hedges: EntryPlan | None = None  # the entry whose fills this hedge follows

    @property
    def code(self) -> StrategyCode:
        return StrategyCode.HEDGE if self.hedges else STRATEGY_CODES[self.entry.strategy]

    @property
    def strategy_name(self) -> str:
        """As the journal names it."""
        return HEDGE if self.hedges else self.entry.strategy.value

    @property
    def label(self) -> str | None:
        return self.entry.account


def plan(config: Config, *, paper: bool) -> list[EntryPlan]:
    """Where each entry trades. Raises ConfigError for an entry this version cannot trade."""
    out: list[EntryPlan] = []
    seen: set[str] = set()
    tradable = tradable_venues()
    for i, entry in enumerate(config.trading):
        venue = Venue.PAPER if paper else entry.exchange
        where = f"{config.source}: trading[{i}] ({entry.symbol} on {entry.exchange.value})"
        if venue not in tradable:
            raise ConfigError(
                f"{where}: this version cannot trade {entry.exchange.value} yet; "
                "run with --paper to paper-trade it"
            )
        if entry.strategy not in STRATEGY_CODES:
            raise ConfigError(f"{where}.strategy: {entry.strategy.value} cannot run live")
        account = account_id(venue, entry.account)
        key = f"{entry.strategy.value}:{entry.symbol}:{account}"
        if key in seen:
            raise ConfigError(f"{where}: a second {entry.strategy.value} entry for this symbol")
        seen.add(key)
        out.append(EntryPlan(entry, venue, key, account, entry.symbol))
    return out


def hedge_plans(config: Config, plans: list[EntryPlan]) -> list[EntryPlan]:
    """A hedge runner for each entry with `"hedge": true` whose venue can hedge it."""
    out = []
    for p in plans:
        factory = factory_for(p.venue)
        symbol = factory.hedge_symbol(p.symbol) if p.entry.hedge and factory else None
        if symbol is not None:
            key = f"{HEDGE}:{symbol}:{p.account}:{p.symbol}"
            out.append(EntryPlan(p.entry, p.venue, key, p.account, symbol, hedges=p))
    traded = {(p.account, p.symbol.upper()): p for p in plans}
    hedging: dict[tuple[str, str], EntryPlan] = {}
    for h in out:
        assert h.hedges is not None
        first = hedging.setdefault((h.account, h.symbol.upper()), h)
        if first is not h and first.hedges is not None:
            raise ConfigError(
                f"{config.source}: {first.hedges.symbol} and {h.hedges.symbol} on "
                f"{h.account} would both hedge on {h.symbol}: one position, two owners; "
                "hedge one of them"
            )
        clash = traded.get((h.account, h.symbol.upper()))
        if clash is not None:
            raise ConfigError(
                f"{config.source}: {clash.symbol} on {clash.account} is traded by an entry and "
                f"also hedges {h.hedges.symbol}: both would share one position; trade it "
                "from another account or drop the hedge"
            )
    return out


@dataclass(frozen=True)
class AccountClients:
    """The clients of the engine's venue accounts, by account id."""

    execution: dict[str, VenueClient]
    data: dict[str, VenueClient]  # only accounts whose market data has its own client


def make_venues(
    config: Config, plans: list[EntryPlan], data_dir: Path, env: EnvSettings | None = None
) -> dict[str, VenueClient]:
    """An execution client per venue account, by account id."""
    return make_clients(config, plans, data_dir, env).execution


def make_clients(
    config: Config, plans: list[EntryPlan], data_dir: Path, env: EnvSettings | None = None
) -> AccountClients:
    """A client per venue account, by account id, built by the venue's factory (and a
    market-data client where the factory makes one)."""
    env = env or EnvSettings()
    accounts: dict[str, list[EntryPlan]] = {}
    for p in plans:
        accounts.setdefault(p.account, []).append(p)
    by_venue: dict[Venue, list[AccountPlan]] = {}
    for members in accounts.values():
        first = members[0]
        entries = tuple(dict.fromkeys(p.entry for p in members))
        symbols = tuple(dict.fromkeys(p.symbol for p in members))
        account = AccountPlan(
            first.venue, first.label, entries, symbols, config,
            env.for_account(first.label), data_dir,
        )  # fmt: skip
        by_venue.setdefault(first.venue, []).append(account)
    out = AccountClients({}, {})
    for venue, accounts_on in by_venue.items():
        factory = factory_for(venue)
        if factory is None:  # plan() refused it already
            raise ConfigError(f"no adapter for {venue.value}")
        factory.check(accounts_on)
        for account in accounts_on:
            out.execution[account.id] = factory.build(account)
            data = factory.build_data(account)
            if data is not None:
                out.data[account.id] = data
    return out


StrategyFactory = Callable[[], Strategy]


def strategy_factory(
    config: Config,
    plan: EntryPlan,
    instruments: Mapping[str, Instrument],
    fear_greed: FearGreedSource | None,
    reservations: QuoteReservations,
) -> StrategyFactory:
    """A factory for the plan's strategy, checked once now so a bad entry stops start-up.
    `instruments`: the account's, by symbol."""
    entry = plan.entry
    instrument = instruments[plan.symbol]

    def make() -> Strategy:
        if plan.hedges is not None:
            return HedgeStrategy(instruments[plan.hedges.symbol], instrument)
        if entry.strategy is ConfigStrategy.GRID:
            return grid_from_entry(entry, config, instrument, fear_greed, reservations=reservations)
        return mm_from_entry(entry, config, instrument)

    make()  # raises the entry's problem before anything trades
    return make
