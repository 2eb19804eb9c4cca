"""The adaptive market maker's arithmetic: fee resolution, quote prices, and the checks a
quote must pass. Pure functions over exact values: prices and sizes are the instrument's
integers, money is Decimal, so no float epsilon is needed anywhere.
"""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Rounding
from falconet.core.instrument import Instrument

# Used when neither the config nor the venue says what a maker fill costs: Kraken's
# top-tier taker rate, a deliberately pessimistic guess.
DEFAULT_MAKER_FEE = Decimal("0.0026")
# Extra margin per round trip on top of the two maker fees (1 bp of the ask).
MIN_EDGE = Decimal("0.0001")


def resolve_maker_fee(
    configured_maker: Decimal | None,
    venue_maker: Decimal | None,
    configured_taker: Decimal | None,
) -> Decimal:
    """Config `maker_fee`, else the venue's current maker fee, else the configured
    `taker_fee` (a fill can never cost more than taking), else `DEFAULT_MAKER_FEE`."""
    for fee in (configured_maker, venue_maker, configured_taker):
        if fee is not None:
            return fee
    return DEFAULT_MAKER_FEE


def required_edge(fee: Decimal) -> Decimal:
    """Fraction of the ask a buy must sit below it to pay both fills and keep 1 bp."""
    return 2 * fee + MIN_EDGE


def required_buy_price(inst: Instrument, bid: int, ask: int, fee: Decimal) -> int:
    """The buy that pays for itself when sold at today's ask.

    Fee 0: the best bid (greedy). Otherwise `min(bid, ask * (1 - (2 fee + 0.0001)))`,
    floored to a valid price so rounding never eats into the edge.
    """
    if fee == 0:
        return bid
    target = inst.price_decimal(ask) * (1 - required_edge(fee))
    if target <= 0:
        return 0
    return min(bid, inst.round_price(target, Rounding.DOWN))


def is_profitable(inst: Instrument, buy: int, sell: int, ask: int, fee: Decimal) -> bool:
    """`sell - buy >= ask * (2 fee + 0.0001)`; always true when trading is free."""
    if fee <= 0:
        return True
    spread = inst.price_decimal(sell) - inst.price_decimal(buy)
    return spread >= inst.price_decimal(ask) * required_edge(fee)


def is_post_only_safe(buy: int, sell: int, bid: int, ask: int) -> bool:
    """Neither order would cross the book: buy <= bid and sell >= ask."""
    return buy <= bid and sell >= ask


def buy_is_funded(
    avail_quote: Decimal | None, cost: Decimal, min_usd_balance: Decimal | None
) -> bool:
    """The free quote pays for the buy and, if configured, still keeps `min_usd_balance`.
    An unknown balance never funds anything."""
    if avail_quote is None or avail_quote < cost:
        return False
    return min_usd_balance is None or avail_quote - cost >= min_usd_balance


def usd_ok(
    min_usd_balance: Decimal | None,
    avail_quote: Decimal | None,
    bid: Decimal,
    qty: Decimal,
    has_mm_buy: bool,
) -> bool:
    """`avail_quote - (bid * qty unless an MM buy is already open) >= min_usd_balance`.
    A configured limit with an unknown balance is a breach (fail-safe)."""
    if min_usd_balance is None:
        return True
    if avail_quote is None:
        return False
    reserve = Decimal(0) if has_mm_buy else bid * qty
    return avail_quote - reserve >= min_usd_balance


def exposure_ok(
    max_exposure: Decimal | None, avail_base: Decimal | None, qty: Decimal, mid: Decimal
) -> bool:
    """`(avail_base - qty) * mid <= max_exposure`: the free base left after the next sell
    is worth at most `max_exposure`. Unknown balance with a configured limit: breach."""
    if max_exposure is None:
        return True
    if avail_base is None:
        return False
    return (avail_base - qty) * mid <= max_exposure
