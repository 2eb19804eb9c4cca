"""msgspec shapes of the Hyperliquid frames and /info responses the adapter reads.

Only the fields used are declared; unknown ones are skipped by the decoder, and optional
ones have defaults, so a venue that adds fields breaks nothing. Numbers the venue sends
as text (prices, sizes, fees) stay text here: they become exact integers or Decimals in
`parse`, never floats.
"""

from __future__ import annotations

import msgspec
from msgspec import Raw, Struct, field


class Frame(Struct):
    """Every WebSocket message: `data` is decoded later, by channel."""

    channel: str
    data: Raw = Raw(b"null")


class Level(Struct):
    px: str
    sz: str
    n: int = 0


class Book(Struct):
    coin: str
    levels: tuple[list[Level], list[Level]]
    time: int = 0


class Bbo(Struct):
    coin: str
    bbo: tuple[Level | None, Level | None]
    time: int = 0


class WsTrade(Struct):
    coin: str
    side: str  # the aggressor: "B" buy, "A" sell
    px: str
    sz: str
    time: int
    hash: str = ""
    tid: int = 0


class AllMids(Struct):
    mids: dict[str, str]


class UserFill(Struct, rename="camel"):
    coin: str
    px: str
    sz: str
    side: str
    time: int
    oid: int
    crossed: bool = False
    fee: str = "0"
    tid: int = 0
    fee_token: str = ""
    hash: str = ""
    cloid: str | None = None
    dir: str = ""
    closed_pnl: str = "0"
    start_position: str = ""


class UserFills(Struct, rename="camel"):
    fills: list[UserFill]
    user: str = ""
    is_snapshot: bool = False


class BasicOrder(Struct, rename="camel"):
    coin: str
    side: str
    limit_px: str
    sz: str
    oid: int
    timestamp: int = 0
    orig_sz: str = ""
    cloid: str | None = None
    reduce_only: bool = False
    order_type: str = ""
    tif: str | None = None
    is_trigger: bool = False
    trigger_px: str = ""


class OrderUpdate(Struct, rename="camel"):
    order: BasicOrder
    status: str
    status_timestamp: int = 0


class OrderStatusInfo(Struct, rename="camel"):
    """`orderStatus` answer: status "order" with the order, or "unknownOid"."""

    status: str
    order: OrderUpdate | None = None


class Candle(Struct):
    t: int
    close_time: int = field(name="T")
    s: str = ""
    i: str = ""
    o: str = "0"
    c: str = "0"
    h: str = "0"
    l: str = "0"  # noqa: E741 - the venue's field name
    v: str = "0"
    n: int = 0


class Leverage(Struct):
    type: str
    value: int = 0


class Position(Struct, rename="camel"):
    coin: str
    szi: str
    entry_px: str | None = None
    unrealized_pnl: str | None = None
    leverage: Leverage | None = None


class AssetPosition(Struct):
    position: Position
    type: str = "oneWay"


class MarginSummary(Struct, rename="camel"):
    account_value: str = "0"
    total_ntl_pos: str = "0"
    total_raw_usd: str = "0"
    total_margin_used: str = "0"


class ClearinghouseState(Struct, rename="camel"):
    asset_positions: list[AssetPosition] = []
    margin_summary: MarginSummary | None = None
    withdrawable: str = "0"
    time: int = 0


class SpotBalance(Struct, rename="camel"):
    coin: str
    total: str = "0"
    hold: str = "0"
    token: int = 0


class SpotState(Struct):
    balances: list[SpotBalance] = []


class WebData2(Struct, rename="camel"):
    clearinghouse_state: ClearinghouseState | None = None
    spot_state: SpotState | None = None
    server_time: int = 0
    user: str = ""


class UserFees(Struct, rename="camel"):
    user_add_rate: str | None = None
    user_cross_rate: str | None = None
    user_spot_add_rate: str | None = None
    user_spot_cross_rate: str | None = None


class PostResponse(Struct):
    type: str
    payload: Raw = Raw(b"null")


class PostData(Struct):
    id: int
    response: PostResponse


FRAME = msgspec.json.Decoder(Frame)
BOOK = msgspec.json.Decoder(Book)
BBO = msgspec.json.Decoder(Bbo)
TRADES = msgspec.json.Decoder(list[WsTrade])
ALL_MIDS = msgspec.json.Decoder(AllMids)
USER_FILLS = msgspec.json.Decoder(UserFills)
FILL_LIST = msgspec.json.Decoder(list[UserFill])
ORDER_UPDATES = msgspec.json.Decoder(list[OrderUpdate])
OPEN_ORDERS = msgspec.json.Decoder(list[BasicOrder])
ORDER_STATUS = msgspec.json.Decoder(OrderStatusInfo)
CANDLES = msgspec.json.Decoder(list[Candle])
CLEARINGHOUSE = msgspec.json.Decoder(ClearinghouseState)
SPOT_STATE = msgspec.json.Decoder(SpotState)
WEB_DATA2 = msgspec.json.Decoder(WebData2)
USER_FEES = msgspec.json.Decoder(UserFees)
POST_DATA = msgspec.json.Decoder(PostData)
ANY = msgspec.json.Decoder()
