"""Domain types: instruments and precision, orders, events, the L2 book, clocks, ids.

No I/O happens in this package.
"""

from falconet.core.book import BookStatus, L2Book
from falconet.core.clock import Clock, LiveClock, SimClock
from falconet.core.enums import (
    BookSide,
    InstrumentKind,
    Liquidity,
    OrderType,
    Rounding,
    Side,
    TimeInForce,
    Venue,
)
from falconet.core.errors import (
    ClientIdError,
    ConfigError,
    FalconetError,
    InvalidTransitionError,
    PrecisionError,
)
from falconet.core.ids import ClientIdFactory, IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.instrument import Instrument, Px, Qty
from falconet.core.orders import Order, OrderStatus

__all__ = [
    "BookSide",
    "BookStatus",
    "ClientIdError",
    "ClientIdFactory",
    "Clock",
    "ConfigError",
    "FalconetError",
    "IdFormat",
    "Instrument",
    "InstrumentKind",
    "Intent",
    "InvalidTransitionError",
    "L2Book",
    "Liquidity",
    "LiveClock",
    "Order",
    "OrderStatus",
    "OrderTag",
    "OrderType",
    "PrecisionError",
    "Px",
    "Qty",
    "Rounding",
    "Side",
    "SimClock",
    "StrategyCode",
    "TimeInForce",
    "Venue",
]
