"""Domain enumerations shared by every layer."""

from __future__ import annotations

from enum import Enum, StrEnum


class Venue(StrEnum):
    KRAKEN = "kraken"
    HYPERLIQUID = "hyperliquid"
    LIGHTER = "lighter"
    IBKR = "ibkr"
    ALPACA = "alpaca"
    PAPER = "paper"
    # Data-only sources (recorded captures); never traded.
    BINANCE = "binance"
    SIM = "sim"


class InstrumentKind(StrEnum):
    SPOT = "spot"
    PERP = "perp"
    EQUITY = "equity"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: position change per unit filled."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class BookSide(StrEnum):
    BID = "bid"
    ASK = "ask"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    # Trigger orders: stop-loss and take-profit, each either market or limit once triggered.
    STOP_MARKET = "stop_market"
    STOP_LIMIT = "stop_limit"
    TAKE_PROFIT_MARKET = "take_profit_market"
    TAKE_PROFIT_LIMIT = "take_profit_limit"

    @property
    def is_trigger(self) -> bool:
        return self not in (OrderType.LIMIT, OrderType.MARKET)

    @property
    def needs_price(self) -> bool:
        """Whether the order carries a limit price."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    # Good-till-cancel that the venue rejects instead of letting it take liquidity
    # (Hyperliquid "Alo", Kraken post_only, Lighter POST_ONLY).
    POST_ONLY = "post_only"
    DAY = "day"


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class Rounding(Enum):
    """Direction used when a value must snap to a valid price or size."""

    DOWN = "down"  # toward -inf: a buy that must not pay more
    UP = "up"  # toward +inf: a sell that must not receive less
    NEAREST = "nearest"  # half-even, so repeated rounding does not drift
