"""The resolved configuration: typed settings with every default filled in.

Key names are those of dio's `config.json`, so an existing dio file keeps working.
A later section (e.g. the mean-reversion engine's settings) is added as one more field on
`Config` with a default, plus one more entry in `sections.TOP_LEVEL_FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from falconet.config.risk import RiskLimits, RiskSettings
from falconet.config.runtime import HyperliquidSettingsBlock, OrderSettings, PaperSettings
from falconet.config.values import DecimalRange
from falconet.core.enums import Venue

# Venues a trading entry may name (core.Venue also lists data-only sources).
TRADING_VENUES: tuple[Venue, ...] = (
    Venue.KRAKEN,
    Venue.HYPERLIQUID,
    Venue.LIGHTER,
    Venue.IBKR,
    Venue.ALPACA,
    Venue.PAPER,
)


class Strategy(StrEnum):
    GRID = "Grid"
    MM = "MM"


# dio spellings: "suicide_grid" (old name), "Ladder"/"jacobs_ladder" (newer name of Grid).
STRATEGY_NAMES: dict[str, Strategy] = {
    "Grid": Strategy.GRID,
    "suicide_grid": Strategy.GRID,
    "Ladder": Strategy.GRID,
    "jacobs_ladder": Strategy.GRID,
    "MM": Strategy.MM,
}


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


LOG_LEVEL_NAMES: dict[str, LogLevel] = {
    **{level.value: level for level in LogLevel},
    "warn": LogLevel.WARNING,
}


class DataFeed(StrEnum):
    IEX = "iex"  # free, delayed consolidated view
    SIP = "sip"  # paid, full consolidated tape


# Defaults (dio's, except where noted in docs/config.md).
DEFAULT_EXCHANGE = Venue.KRAKEN
DEFAULT_LOGGING_LEVEL = LogLevel.INFO
DEFAULT_CYCLE_MOD = 10_000
DEFAULT_FNG_CHECK_THRESHOLD = Decimal("1.5")
DEFAULT_LATENCY_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class StrategyParams:
    """Base of the parameters a strategy declares (its own `trading[]` keys, see
    config/params.py); each strategy package defines a frozen subclass."""

    strategy: ClassVar[Strategy]

    def interval(self) -> DecimalRange | None:
        """The percent spacing `config check` shows in its run table; None: no such thing."""
        return None

    def highlights(self) -> tuple[str, ...]:
        """Settings worth a word in the run table (a value that changes the behaviour)."""
        return ()


@dataclass(frozen=True)
class TradingEntry:
    """One instrument on one venue: the keys every strategy shares, and the strategy's own
    in `params`. Settings that do not apply to the entry's venue are None (or False)."""

    symbol: str
    exchange: Venue
    qty: Decimal
    strategy: Strategy
    params: StrategyParams  # of the class `strategy` declares
    maker_fee: Decimal | None  # fraction; None = venue's live or default fee
    taker_fee: Decimal | None
    testnet: bool
    hedge: bool
    data_feed: DataFeed | None  # Alpaca only; None = adapter default
    risk: RiskLimits | None = None  # overrides of the engine-wide pre-trade limits
    account: str | None = None  # label of the venue account; None: the default account

    def __post_init__(self) -> None:
        if type(self.params).strategy is not self.strategy:
            raise TypeError(f"{type(self.params).__name__} are not {self.strategy.value} params")

    @property
    def key(self) -> tuple[str, Venue, str | None]:
        """Identity of the entry: one runner per (symbol, venue account)."""
        return (self.symbol.upper(), self.exchange, self.account)


@dataclass(frozen=True)
class GcSettings:
    """dio's OCaml GC tuning block. Accepted so dio files load unchanged;
    it has no effect in falconet. Keys absent from the file are None."""

    minor_heap_size: int | None = None
    space_overhead: int | None = None
    max_overhead: int | None = None
    window_size: int | None = None
    allocation_policy: int | None = None
    major_heap_increment: int | None = None


@dataclass(frozen=True)
class Config:
    source: str  # the file it was read from, as given
    logging_level: LogLevel
    logging_sections: tuple[str, ...]  # empty: every section
    logging_width: int | None  # None: auto (terminal width, then $COLUMNS, then 200)
    cycle_mod: int
    fng_check_threshold: Decimal  # percent
    latency_window_seconds: float
    trading: tuple[TradingEntry, ...]
    gc: GcSettings | None = None
    paper: PaperSettings = field(default_factory=PaperSettings)
    orders: OrderSettings = field(default_factory=OrderSettings)
    hyperliquid: HyperliquidSettingsBlock = field(default_factory=HyperliquidSettingsBlock)
    risk: RiskSettings = field(default_factory=RiskSettings)

    def limits_for(self, entry: TradingEntry) -> RiskLimits:
        """The pre-trade limits that apply to `entry`: the engine-wide ones, overridden."""
        return self.risk.limits.merged(entry.risk)

    @property
    def ignored_keys(self) -> tuple[str, ...]:
        """Top-level keys that were accepted but have no effect."""
        return ("gc",) if self.gc is not None else ()
