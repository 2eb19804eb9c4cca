"""Building a `Grid` from a configured trading entry."""

from __future__ import annotations

from collections.abc import Sequence

from falconet.config.schema import Config, TradingEntry
from falconet.config.values import DecimalRange
from falconet.core.enums import Venue
from falconet.core.instrument import Instrument
from falconet.strategies.fear_greed import FearGreedSource
from falconet.strategies.grid.params import (
    DEFAULT_ACCUMULATION_BUFFER,
    GridEntryParams,
    GridParamError,
    GridParams,
    venue_flags,
)
from falconet.strategies.grid.reservations import QuoteReservations
from falconet.strategies.grid.strategy import Grid
from falconet.strategies.params import ParamError, decimal_param, text_params


def params_from_entry(entry: TradingEntry, config: Config) -> GridParams:
    """The entry's Grid keys, with its qty and fee, the top-level Fear & Greed threshold
    and the venue's flags."""
    own = entry.params
    if not isinstance(own, GridEntryParams):
        raise GridParamError(f"{entry.symbol}: strategy {entry.strategy.value} is not Grid")
    return GridParams(
        qty=entry.qty,
        flags=venue_flags(entry.exchange),
        grid_interval=own.grid_interval,
        sell_mult=own.sell_mult,
        # Kraken has none (it sells with the multiplier); the grid still wants a value.
        accumulation_buffer=own.accumulation_buffer or DEFAULT_ACCUMULATION_BUFFER,
        fng_check_threshold=config.fng_check_threshold,
        maker_fee=entry.maker_fee,
        persist=own.base_accumulation,
    )


def grid_from_entry(
    entry: TradingEntry,
    config: Config,
    instrument: Instrument,
    fear_greed: FearGreedSource | None,
    *,
    reservations: QuoteReservations | None = None,
) -> Grid:
    """The grid of one `trading[]` entry. Raises GridParamError naming the setting if
    the entry cannot trade `instrument` (its qty is not a valid size, for instance).
    `reservations`: the quote ledger shared by the grids of the same venue account."""
    params = params_from_entry(entry, config)
    try:
        params.qty_units(instrument)
    except GridParamError as exc:
        raise GridParamError(f"{entry.symbol}@{entry.exchange.value}: {exc}") from None
    return Grid(params, fear_greed=fear_greed, reservations=reservations)


GRID_PARAMS = ("qty", "interval", "sell_mult", "buffer", "maker_fee", "venue")


def grid_from_params(pairs: Sequence[str], instrument: Instrument) -> Grid:
    """A grid from `--param` pairs (backtests): qty (base, required), interval (percent,
    default 1.0), sell_mult (1), buffer (quote, 0.01), maker_fee (the venue's), venue (the
    behaviour flags to use, default paper)."""
    p = text_params(pairs, GRID_PARAMS, "grid")
    interval = decimal_param(p, "interval", "1.0")
    buffer = decimal_param(p, "buffer", "0.01")
    try:
        venue = Venue(p.get("venue", "paper"))
    except ValueError:
        raise ParamError(f"--param venue={p['venue']}: not a venue") from None
    params = GridParams(
        qty=decimal_param(p, "qty"),
        flags=venue_flags(venue),
        grid_interval=DecimalRange(interval, interval),
        sell_mult=decimal_param(p, "sell_mult", "1"),
        accumulation_buffer=DecimalRange(buffer, buffer),
        maker_fee=decimal_param(p, "maker_fee") if "maker_fee" in p else None,
    )
    params.qty_units(instrument)  # a qty the instrument cannot take fails here
    return Grid(params)
