"""The adaptive market maker (dio's `MM`): post-only quotes whose width follows the fees,
with balance limits that pause quoting and sell the free base."""

from falconet.strategies.mm.factory import mm_from_entry
from falconet.strategies.mm.params import MMEntryParams
from falconet.strategies.mm.pricing import (
    DEFAULT_MAKER_FEE,
    MIN_EDGE,
    required_buy_price,
    resolve_maker_fee,
)
from falconet.strategies.mm.state import MarketMakerStatus
from falconet.strategies.mm.strategy import MarketMaker

__all__ = [
    "DEFAULT_MAKER_FEE",
    "MIN_EDGE",
    "MMEntryParams",
    "MarketMaker",
    "MarketMakerStatus",
    "mm_from_entry",
    "required_buy_price",
    "resolve_maker_fee",
]
