"""The Grid strategy: one trailing buy, a ladder of sells, profit-funded accumulation."""

from falconet.strategies.grid.factory import grid_from_entry, params_from_entry
from falconet.strategies.grid.params import (
    VENUE_FLAGS,
    GridEntryParams,
    GridParamError,
    GridParams,
    VenueFlags,
)
from falconet.strategies.grid.reservations import QuoteReservations
from falconet.strategies.grid.state import GridState
from falconet.strategies.grid.strategy import Grid

__all__ = [
    "VENUE_FLAGS",
    "Grid",
    "GridEntryParams",
    "GridParamError",
    "GridParams",
    "GridState",
    "QuoteReservations",
    "VenueFlags",
    "grid_from_entry",
    "params_from_entry",
]
