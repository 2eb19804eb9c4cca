"""What the market maker remembers between cycles, and how order events change it.

In-flight flags are per side and derived from the pending placements: an ack, reject,
expiry, cancel, fill or amend result of one order settles that order only, so the other
side's flag is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from falconet.core.enums import Side, Venue
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    OrderAmended,
    OrderAmendRejected,
    OrderAmendSkipped,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.core.ids import Intent, StrategyCode, decode_client_id
from falconet.strategies.mm.tracking import NS_PER_S, ExpiringIds

PENDING_PLACEMENT_MAX_AGE_NS = 5 * NS_PER_S
PENDING_PLACEMENT_CAP = 50
CANCELED_BLACKLIST_MAX_AGE_NS = 15 * NS_PER_S
CANCELED_BLACKLIST_CAP = 20
PENDING_CANCEL_MAX_AGE_NS = 30 * NS_PER_S
PENDING_CANCEL_SWEEP_NS = NS_PER_S

_INTENT_SIDE = {Intent.MM_BID: Side.BUY, Intent.MM_ASK: Side.SELL}


@dataclass(frozen=True)
class MarketMakerStatus:
    """What a dashboard shows about the market maker."""

    maker_fee: Decimal
    buy_id: str | None
    buy_price: int | None
    mm_buys: int
    mm_sells: int
    buy_in_flight: bool
    sell_in_flight: bool
    amend_in_flight: bool
    pending_count: int
    capital_low: bool
    asset_low: bool
    paused: bool


class QuoteState:
    """Flags, the tracked buy and the short-lived id lists of one market maker."""

    def __init__(self) -> None:
        self.capital_low = False  # a buy could not be paid for: wait for quote
        # The last pair's sell went out but its buy has not been placed (accepted) yet.
        self.pair_sell_open = False
        # ... and capital_low held that buy back: the next pair sends no second sell.
        self.sell_owed_buy = False
        self.asset_low = False  # a sell could not be covered: no sells until base returns
        self.asset_low_base: Decimal | None = None  # base balance when asset_low was set
        self.paused = False
        self.tracked_buy: str | None = None
        self.tracked_buy_price: int | None = None
        self.amending: str | None = None  # the buy whose amend awaits its result
        self.pending_placements = ExpiringIds(PENDING_PLACEMENT_MAX_AGE_NS, PENDING_PLACEMENT_CAP)
        self.canceled = ExpiringIds(CANCELED_BLACKLIST_MAX_AGE_NS, CANCELED_BLACKLIST_CAP)
        self.pending_cancels = ExpiringIds(PENDING_CANCEL_MAX_AGE_NS, cap=None)
        self.last_cancel_sweep_ns: int | None = None

    @property
    def buy_in_flight(self) -> bool:
        return self.pending_placements.has_side(Side.BUY)

    @property
    def sell_in_flight(self) -> bool:
        return self.pending_placements.has_side(Side.SELL)

    def housekeeping(self, now: int) -> None:
        self.pending_placements.expire(now)  # an unanswered placement frees its side
        self.canceled.expire(now)
        last = self.last_cancel_sweep_ns
        if last is None or now - last >= PENDING_CANCEL_SWEEP_NS:
            self.pending_cancels.expire(now)
            self.last_cancel_sweep_ns = now

    def recover(
        self,
        venue: Venue,
        base: Decimal | None,
        avail_quote: Decimal | None,
        buy_cost: Decimal,
        qty: Decimal,
    ) -> list[str]:
        """Clear the flags whose condition is gone; returns what recovered.
        `capital_low` clears on the measure that sets it: the available quote (total
        minus what open buys lock) pays for one buy (`buy_cost`)."""
        recovered = []
        if self.asset_low and base is not None and base >= qty:
            # Other venues may still report the balance that raised the flag; only a
            # fresh credit proves the base came back.
            increased = self.asset_low_base is None or base > self.asset_low_base
            if venue is Venue.HYPERLIQUID or increased:
                self.asset_low = False
                self.asset_low_base = None
                recovered.append("base")
        if self.capital_low and avail_quote is not None and avail_quote >= buy_cost:
            self.capital_low = False
            recovered.append("quote")
        return recovered

    def set_capital_low(self) -> None:
        """A buy could not be paid for. If its pair's sell already went out, that sell
        stays the buy cycle's one sell: the pair that resumes sends only the buy."""
        self.capital_low = True
        if self.pair_sell_open:
            self.sell_owed_buy = True

    def pair_started(self, sell_sent: bool) -> None:
        """A new pair: whether its sell went out (one still owed counts as sent)."""
        self.pair_sell_open = sell_sent or self.sell_owed_buy

    def buy_placed(self) -> None:
        """A buy is on the book (acknowledged or filled): a new buy cycle began."""
        self.pair_sell_open = False
        self.sell_owed_buy = False

    def set_asset_low(self, base: Decimal | None) -> None:
        if not self.asset_low:
            self.asset_low = True
            self.asset_low_base = base

    def placed(self, cid: str, side: Side, now: int) -> None:
        self.pending_placements.add(cid, now, side)

    def cancel_sent(self, cid: str, now: int) -> None:
        self.pending_cancels.add(cid, now)

    def track(self, cid: str, price: int | None) -> None:
        self.tracked_buy, self.tracked_buy_price = cid, price

    def untrack(self) -> None:
        self.tracked_buy = self.tracked_buy_price = None

    def apply(self, event: OrderEvent, now: int) -> bool:
        """Settle what `event` answers (an ack just ends the placement; the caller tracks
        an acked buy with its price). True when the venue refused the order for lack of
        funds: the caller raises the side's flag, which needs balances."""
        cid = event.client_id
        if isinstance(event, OrderAmended):
            self.pending_placements.discard(cid)
            if self.amending == cid:
                self.amending = None
            if self.tracked_buy == cid:
                # cancel-replace venues give the order a new id
                self.track(event.new_client_id or cid, event.price)
            return False
        self.pending_placements.discard(cid)
        if isinstance(event, OrderAmendRejected | OrderAmendSkipped):
            if self.amending == cid:
                self.amending = None
        elif isinstance(event, OrderCanceled):
            self.pending_cancels.discard(cid)
            self.canceled.add(cid, now)
            self._forget(cid)
        elif isinstance(event, OrderRejected | OrderExpired):
            self._forget(cid)
            return isinstance(event, OrderRejected) and event.kind is ErrorKind.INSUFFICIENT_FUNDS
        return False

    def filled(self, cid: str, side: Side) -> None:
        # No profit accounting: a fill only settles what was in flight.
        self.pending_placements.discard(cid)
        if self.amending == cid:
            self.amending = None
        if side is Side.BUY and self.tracked_buy == cid:
            self.untrack()

    def _forget(self, cid: str) -> None:
        if self.tracked_buy == cid:
            self.untrack()
        if self.amending == cid:
            self.amending = None


def mm_side(client_id: str) -> Side | None:
    """The side of one of the market maker's orders; None for anybody else's."""
    tag = decode_client_id(client_id)
    if tag is None or tag.strategy is not StrategyCode.MM:
        return None
    return _INTENT_SIDE.get(tag.intent)
