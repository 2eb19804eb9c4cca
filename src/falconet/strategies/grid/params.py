"""Grid parameters and the per-venue behaviour flags.

`GridEntryParams` declares the Grid's own `trading[]` keys (type, default, bounds, doc);
`GridParams` is what one grid runs with: those values, the entry's qty and fee, the
top-level Fear & Greed threshold and `VenueFlags`, how the grid behaves on one venue.
Timing constants are module-level: they are part of the strategy's contract, not
settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from falconet.config.params import param
from falconet.config.schema import Strategy, StrategyParams
from falconet.config.values import DecimalRange, boolean, decimal_range, decimal_string
from falconet.core.enums import Venue
from falconet.core.errors import FalconetError
from falconet.core.instrument import Instrument

DEFAULT_GRID_INTERVAL = DecimalRange(Decimal("1.0"), Decimal("1.0"))
DEFAULT_ACCUMULATION_BUFFER = DecimalRange(Decimal("0.01"), Decimal("0.01"))
DEFAULT_FNG_CHECK_THRESHOLD = Decimal("1.5")


class GridParamError(FalconetError, ValueError):
    """A grid setting that cannot be used on its instrument; the message names it."""


@dataclass(frozen=True, slots=True)
class VenueFlags:
    """How the grid behaves on one venue (dio's grid as of July 2026)."""

    name: str
    track_pending_sells: bool  # unacknowledged sells count as the ladder's anchors
    use_accumulation_sells: bool  # sell size from the profit-gated accumulation rule
    sell_uses_mult: bool  # sell qty × sell_mult directly, no profit gate
    sell_failure_sets_asset_low: bool
    use_reserved_base_guard: bool  # reserved base and resting sells are not sellable
    asset_low_requires_balance_change: bool  # recovery also needs the base to have grown
    check_stale_balance: bool  # skip the cycle while a balance is unknown
    remaintain_expired_sells: bool = False  # re-submit sells the venue expired
    whole_share_accumulation: bool = False  # retain one whole share instead of a sliver
    floor_qty_to_lot: bool = False  # configured qty floored to the lot (0 -> venue minimum)
    buy_fee_in_base: bool = False  # buy fees are taken in the base asset
    tiered_commission: bool = False  # IBKR Pro tiered per-share commission
    adopt_untagged: bool = False  # orders falconet did not place count as grid orders


KRAKEN = VenueFlags(
    name="kraken",
    track_pending_sells=True,
    use_accumulation_sells=False,
    sell_uses_mult=True,
    sell_failure_sets_asset_low=False,
    use_reserved_base_guard=False,
    asset_low_requires_balance_change=True,
    check_stale_balance=True,
)
HYPERLIQUID = VenueFlags(
    name="hyperliquid",
    track_pending_sells=False,
    use_accumulation_sells=True,
    sell_uses_mult=False,
    sell_failure_sets_asset_low=True,
    use_reserved_base_guard=True,
    asset_low_requires_balance_change=False,
    check_stale_balance=False,
    buy_fee_in_base=True,
)
IBKR = VenueFlags(
    name="ibkr",
    track_pending_sells=True,
    use_accumulation_sells=True,
    sell_uses_mult=False,
    sell_failure_sets_asset_low=True,
    use_reserved_base_guard=True,
    asset_low_requires_balance_change=False,
    check_stale_balance=True,
    whole_share_accumulation=True,
    floor_qty_to_lot=True,
    tiered_commission=True,
)
LIGHTER = VenueFlags(
    name="lighter",
    track_pending_sells=True,
    use_accumulation_sells=True,
    sell_uses_mult=False,
    sell_failure_sets_asset_low=True,
    use_reserved_base_guard=True,
    asset_low_requires_balance_change=False,
    check_stale_balance=False,
    floor_qty_to_lot=True,
    buy_fee_in_base=True,
)
ALPACA = VenueFlags(
    name="alpaca",
    track_pending_sells=True,
    use_accumulation_sells=False,
    sell_uses_mult=False,
    sell_failure_sets_asset_low=True,
    use_reserved_base_guard=True,
    asset_low_requires_balance_change=False,
    check_stale_balance=True,
    remaintain_expired_sells=True,
)
# Paper trading behaves like Hyperliquid, except that fees are paid in the quote asset.
PAPER = VenueFlags(
    name="paper",
    track_pending_sells=False,
    use_accumulation_sells=True,
    sell_uses_mult=False,
    sell_failure_sets_asset_low=True,
    use_reserved_base_guard=True,
    asset_low_requires_balance_change=False,
    check_stale_balance=False,
)
SIM = replace(PAPER, name="sim")

VENUE_FLAGS: dict[Venue, VenueFlags] = {
    Venue.KRAKEN: KRAKEN,
    Venue.HYPERLIQUID: HYPERLIQUID,
    Venue.IBKR: IBKR,
    Venue.LIGHTER: LIGHTER,
    Venue.ALPACA: ALPACA,
    Venue.PAPER: PAPER,
    Venue.SIM: SIM,
}


def venue_flags(venue: Venue) -> VenueFlags:
    try:
        return VENUE_FLAGS[venue]
    except KeyError:
        raise GridParamError(f"the grid does not trade on {venue.value}") from None


@dataclass(frozen=True, slots=True)
class GridParams:
    """One grid: the configured order size and ranges, and the venue's behaviour.

    `grid_interval` is percent of price and `accumulation_buffer` quote currency, both
    `[lo, hi]` ranges resolved with the Fear & Greed index. The amend deadband is
    `max(min_move_ticks × tick, price × interval% × min_move_fraction)`; 1 tick and 0
    give the tick-exact behaviour instead of the deadband.
    """

    qty: Decimal
    flags: VenueFlags
    grid_interval: DecimalRange = DEFAULT_GRID_INTERVAL
    sell_mult: Decimal = Decimal(1)
    accumulation_buffer: DecimalRange = DEFAULT_ACCUMULATION_BUFFER
    fng_check_threshold: Decimal = DEFAULT_FNG_CHECK_THRESHOLD
    maker_fee: Decimal | None = None  # None: the venue's fee as the context reports it
    min_move_ticks: int = 10
    min_move_fraction: Decimal = Decimal("0.05")
    dynamic_buy_sizing: bool = True  # buys grow to meet the venue's minimum notional
    persist: bool = True  # keep accumulation state across restarts

    def __post_init__(self) -> None:
        if not self.qty > 0:
            raise GridParamError(f"qty must be > 0, got {self.qty}")
        if not Decimal(0) < self.sell_mult <= 1:
            raise GridParamError(f"sell_mult must be > 0 and <= 1, got {self.sell_mult}")
        lo, hi = self.grid_interval
        if not Decimal(0) < lo <= hi:
            raise GridParamError(f"grid_interval must be 0 < min <= max, got [{lo}, {hi}]")
        blo, bhi = self.accumulation_buffer
        if not Decimal(0) <= blo <= bhi:
            raise GridParamError(f"accumulation_buffer must be 0 <= min <= max, got [{blo}, {bhi}]")
        if self.fng_check_threshold <= 0:
            raise GridParamError("fng_check_threshold must be > 0")
        if self.min_move_ticks < 1 or self.min_move_fraction < 0:
            raise GridParamError("min_move_ticks must be >= 1 and min_move_fraction >= 0")

    def qty_units(self, instrument: Instrument) -> int:
        """The configured order size in the instrument's size units.

        IBKR and Lighter floor it to the lot (and use the venue minimum if that gives 0);
        elsewhere it must already be a valid size."""
        if self.flags.floor_qty_to_lot:
            units = int(instrument.floor_size(self.qty))
            return units if units > 0 else max(instrument.min_size, instrument.lot)
        try:
            units = int(instrument.size(self.qty))
        except FalconetError as exc:
            raise GridParamError(f"qty {self.qty}: {exc}") from None
        if not instrument.is_valid_size(units):
            raise GridParamError(
                f"qty {self.qty} is not a multiple of the lot "
                f"{instrument.size_str(instrument.lot)} of {instrument.symbol}"
            )
        return units


# Venues whose Grid retains part of each sell once profit covers the buffer.
ACCUMULATION_VENUES = frozenset(
    {Venue.HYPERLIQUID, Venue.LIGHTER, Venue.IBKR, Venue.ALPACA, Venue.PAPER}
)


@dataclass(frozen=True, slots=True)
class GridEntryParams(StrategyParams):
    """The Grid's own keys of a `trading[]` entry, under their config names."""

    strategy = Strategy.GRID

    grid_interval: DecimalRange = param(
        decimal_range(gt="0"),
        DEFAULT_GRID_INTERVAL,
        "percent of price between the buy and the sells, [lo, hi] resolved with Fear & Greed",
    )
    sell_mult: Decimal = param(
        decimal_string(gt="0", le="1"),
        Decimal("1.0"),
        "sell size = qty × sell_mult; below 1 retains part of each sell",
    )
    # None on Kraken, which sells qty × sell_mult with no profit gate.
    accumulation_buffer: DecimalRange | None = param(
        decimal_range(ge="0"),
        DEFAULT_ACCUMULATION_BUFFER,
        "quote-currency profit to exceed before a sliver is retained, [lo, hi]",
        venues=ACCUMULATION_VENUES,
        why={Venue.KRAKEN: "Kraken sells qty × sell_mult directly, without a profit buffer"},
    )
    base_accumulation: bool = param(boolean, True, "keep the accumulation state across restarts")
    sell_levels: bool = param(
        boolean, False, "accepted for dio; the ladder is re-read from the venue's open orders"
    )

    def interval(self) -> DecimalRange:
        return self.grid_interval

    def highlights(self) -> tuple[str, ...]:
        return (f"sell_mult {format(self.sell_mult, 'f')}",) if self.sell_mult < 1 else ()
