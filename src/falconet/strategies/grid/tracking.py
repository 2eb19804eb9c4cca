"""In-memory order tracking: what the grid has asked for and not yet seen answered.

Venue views lag: an order just placed may not be listed yet, an amended one may show
under both ids, a filled one may still be listed. The tracker holds the grid's own
record (placements awaiting their ack, the tracked buy, amends and cancels in flight,
cooldowns, evicted sells) so a cycle never doubles an order because of that lag. None
of it is persisted: after a restart the venue's open orders are the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from falconet.core.enums import Side
from falconet.core.errors import ErrorKind
from falconet.observe.log import get_logger
from falconet.strategies.api import OpenOrder
from falconet.strategies.grid import timing
from falconet.strategies.grid.accumulation import SellPlan

log = get_logger("grid")

# An amend refused for these leaves no order behind: the venue does not have it, or (on
# cancel-replace venues) canceled the old one and refused the replacement for funds.
_ORDER_GONE = frozenset({ErrorKind.UNKNOWN_ORDER, ErrorKind.INSUFFICIENT_FUNDS})


@dataclass(slots=True)
class Placement:
    client_id: str
    side: Side
    price: int
    size: int  # the order's full quantity
    ts: int
    level: int = 0
    filled: int = 0  # as the venue last listed it


@dataclass(slots=True)
class TrackedBuy:
    client_id: str
    price: int
    size: int  # the order's full quantity
    filled: int = 0  # as the venue last listed it

    @property
    def remaining(self) -> int:
        return max(0, self.size - self.filled)


@dataclass(slots=True)
class Resubmit:
    """An expired sell on its way back to the venue (Alpaca day orders)."""

    sell: Placement  # client_id: the key its cost basis is kept under
    refusals: int = 0


class OrderTracker:
    def __init__(self) -> None:
        self.pending: list[Placement] = []  # sent, not yet acknowledged (5 s at most)
        self.buy: TrackedBuy | None = None
        self.buy_in_flight = False
        self.sell_in_flight = False
        self.sell_key_at: int | None = None  # last sell of this buy cycle; see sell_blocked
        self.amend_pending: dict[str, int] = {}  # client id -> when the amend was sent
        self.cancel_in_flight: set[str] = set()
        self.amend_cooldown: dict[str, int] = {}  # client id -> no amend before this
        self.buy_cooldown_until = 0
        self.forced_buy_at: int | None = None
        self.last_order_ns: int | None = None
        self.buy_absent_since: int | None = None
        self.recent_sells: dict[str, Placement] = {}  # acknowledged sells; ts = ack time
        self.evicted: dict[str, int] = {}  # sells assumed filled -> ignored until
        self.sell_plans: dict[str, SellPlan] = {}  # accumulation sells not yet accepted
        self.expired_sells: list[Resubmit] = []  # to re-submit where the venue says so
        self.resubmit_after = 0  # no re-submission before this (after a refusal)
        self.resubmits: dict[str, Resubmit] = {}  # re-submissions awaiting their ack
        self.known_sells: dict[str, Placement] = {}  # the sells listed at the last cycle
        self.filled: dict[str, int] = {}  # size units filled per order since start
        # What the venue listed as filled when this run started: fills from before the
        # start that are replayed are already in it.
        self.filled_at_start: dict[str, int] = {}

    # --- requests ---------------------------------------------------------------------

    def submitted(self, placement: Placement, *, resubmit: Resubmit | None = None) -> None:
        """A new order went out. A re-submitted expired sell is in flight like any sell
        but is not this buy cycle's sell: it leaves the sell key alone."""
        self.pending.append(placement)
        del self.pending[: -timing.PENDING_CAP]
        if placement.side is Side.BUY:
            self.buy_in_flight = True
        else:
            self.sell_in_flight = True
            if resubmit is None:
                self.sell_key_at = placement.ts
            else:
                self.resubmits[placement.client_id] = resubmit
        self.last_order_ns = placement.ts

    def sell_blocked(self, now: int) -> bool:
        """One sell per buy cycle: blocked while one is in flight, and after it went out
        until a buy fills, the sell fails or is canceled (or a minute has passed)."""
        if self.sell_in_flight:
            return True
        key = self.sell_key_at
        return key is not None and now - key < timing.SELL_KEY_TTL_NS

    def release_sell(self) -> None:
        self.sell_in_flight = False
        self.sell_key_at = None

    def amend_sent(self, client_id: str, now: int) -> None:
        self.amend_pending[client_id] = now
        self.last_order_ns = now

    def cancel_sent(self, client_id: str, now: int) -> None:
        self.cancel_in_flight.add(client_id)
        self.last_order_ns = now

    # --- queries ----------------------------------------------------------------------

    def placement(self, client_id: str) -> Placement | None:
        return next((p for p in self.pending if p.client_id == client_id), None)

    def pending_of(self, side: Side) -> list[Placement]:
        return [p for p in self.pending if p.side is side]

    def buy_pending(self) -> bool:
        """A buy placement or a buy amend is waiting for the venue's answer."""
        return bool(self.pending_of(Side.BUY)) or bool(self.amend_pending)

    def cooling(self, client_id: str, now: int) -> bool:
        return now < self.amend_cooldown.get(client_id, 0)

    def recently_cooled(self, client_id: str, now: int) -> bool:
        """In its amend cooldown or within the grace period after it."""
        until = self.amend_cooldown.get(client_id)
        return until is not None and now < until + timing.ADOPT_GRACE_NS

    def _cool(self, client_id: str, until: int) -> None:
        self.amend_cooldown[client_id] = max(self.amend_cooldown.get(client_id, 0), until)

    # --- venue answers ----------------------------------------------------------------

    def accepted(self, client_id: str, side: Side | None, now: int) -> None:
        placement = self.placement(client_id)
        if placement is not None:
            self.pending.remove(placement)
        self.sell_plans.pop(client_id, None)
        self.resubmits.pop(client_id, None)
        if side is Side.BUY:
            if placement is not None:
                self.buy = TrackedBuy(client_id, placement.price, placement.size)
            self.buy_in_flight = False
        elif side is Side.SELL:
            self.sell_in_flight = False
            if placement is not None:
                placement.ts = now
                self.recent_sells[client_id] = placement
                self._trim_recent()

    def rejected(self, client_id: str, side: Side | None) -> None:
        """A placement the venue refused (or expired before accepting it): only that
        order's placement is dropped; another one on the same side stays in flight."""
        self.pending = [p for p in self.pending if p.client_id != client_id]
        if side is None:
            return
        if side is Side.BUY:
            self.buy_in_flight = bool(self.pending_of(Side.BUY))
            if self.buy is not None and self.buy.client_id == client_id:
                self.buy = None
        else:
            self.sell_in_flight = bool(self.pending_of(Side.SELL))
            if client_id not in self.resubmits:
                self.sell_key_at = None  # this cycle's sell failed: another may go
            self.recent_sells.pop(client_id, None)

    # --- expired sells (Alpaca) -------------------------------------------------------

    def queue_expired(self, sell: Placement) -> None:
        self.expired_sells.append(Resubmit(sell))

    def next_resubmit(self, now: int) -> Resubmit | None:
        """The expired sell to re-submit this cycle, if any may go: one at a time (the
        OMS takes one placement per side in flight), none while another sell is in
        flight or a refusal's backoff runs."""
        if not self.expired_sells or self.sell_in_flight or self.pending_of(Side.SELL):
            return None
        if now < self.resubmit_after:
            return None
        return self.expired_sells.pop(0)

    def resubmit_refused(self, client_id: str, now: int) -> Resubmit | None:
        """A re-submission the venue refused goes back to the head of the queue under
        its new id (its cost basis stays there); returned, or None if it was not a
        re-submission or has been refused too often (the caller drops its basis)."""
        item = self.resubmits.pop(client_id, None)
        if item is None:
            return None
        item.refusals += 1
        if item.refusals >= timing.RESUBMIT_MAX_REFUSALS:
            log.warning(
                "expired sell dropped: re-submission refused too often",
                client_id=client_id,
                refusals=item.refusals,
            )
            return None
        item.sell.client_id = client_id
        self.expired_sells.insert(0, item)
        self.resubmit_after = now + timing.RESUBMIT_BACKOFF_NS
        return item

    def canceled(self, client_id: str, side: Side | None) -> None:
        self.amend_pending.pop(client_id, None)
        self.amend_cooldown.pop(client_id, None)
        placement = self.placement(client_id)
        if placement is not None:  # canceled before its ack reached us
            self.pending.remove(placement)
        if self.buy is not None and self.buy.client_id == client_id:
            self.buy = None
        if side is Side.BUY:
            self.buy_cooldown_until = 0
            if placement is not None:
                self.buy_in_flight = False
        elif side is Side.SELL:
            self.release_sell()
        self.recent_sells.pop(client_id, None)
        self.cancel_in_flight.discard(client_id)
        self.resubmits.pop(client_id, None)
        self.filled.pop(client_id, None)  # no more fills: it is off the book
        self.filled_at_start.pop(client_id, None)

    def amended(self, client_id: str, new_id: str, price: int | None, size: int, now: int) -> None:
        """Swap ids after an amend; cancel-replace (new id) cools longer than in-place."""
        self.amend_pending.pop(client_id, None)
        in_place = new_id == client_id
        span = timing.AMEND_COOLDOWN_IN_PLACE_NS if in_place else timing.AMEND_COOLDOWN_REPLACE_NS
        self._cool(client_id, now + span)
        self._cool(new_id, now + span)
        if self.buy is not None and self.buy.client_id == client_id:
            new_price = self.buy.price if price is None else price
            self.buy = TrackedBuy(new_id, new_price, size, self.buy.filled)
        self._move_fills(client_id, new_id)
        sell = self.recent_sells.pop(client_id, None)
        if sell is not None:  # sells keep their size
            sell.client_id = new_id
            sell.price = sell.price if price is None else price
            self.recent_sells[new_id] = sell

    def amend_rejected(self, client_id: str, kind: ErrorKind, now: int) -> bool:
        """Cool the order down; True when the venue says it no longer exists (the caller
        cancels it explicitly so a replacement can be placed)."""
        self.amend_pending.pop(client_id, None)
        gone = kind in _ORDER_GONE
        if kind is ErrorKind.RATE_LIMIT:
            span = timing.AMEND_COOLDOWN_RATE_LIMIT_NS
        elif gone:
            span = timing.AMEND_COOLDOWN_ORDER_GONE_NS
        else:
            span = timing.AMEND_COOLDOWN_OTHER_NS
        self._cool(client_id, now + span)
        if gone and self.buy is not None and self.buy.client_id == client_id:
            self.buy = None
        return gone

    def amend_skipped(self, client_id: str) -> None:
        self.amend_pending.pop(client_id, None)

    def cool_buys(self, span: int, now: int) -> None:
        """Hold new buys back for `span`; a shorter cooldown never cuts a longer one."""
        self.buy_cooldown_until = max(self.buy_cooldown_until, now + span)

    def seed_fills(self, orders: list[OpenOrder]) -> None:
        """At start: what the listed orders had filled before this run."""
        self.filled_at_start = {o.client_id: o.filled for o in orders if o.filled > 0}
        while len(self.filled_at_start) > timing.PENDING_CAP * 4:
            del self.filled_at_start[next(iter(self.filled_at_start))]

    def add_fill(self, client_id: str, size: int, *, before_start: bool = False) -> int:
        """Count a fill; returns the order's filled size so far. A fill from before the
        start of an order listed at the start is already in what was listed then."""
        if not (before_start and client_id in self.filled_at_start):
            self.filled[client_id] = self.filled.get(client_id, 0) + size
            while len(self.filled) > timing.PENDING_CAP * 4:
                del self.filled[next(iter(self.filled))]
        return self.filled_total(client_id)

    def filled_total(self, client_id: str) -> int:
        return self.filled.get(client_id, 0) + self.filled_at_start.get(client_id, 0)

    def _move_fills(self, old: str, new: str) -> None:
        """Cancel-replace amends give the order a new id: its fill count follows."""
        if old == new:
            return
        for table in (self.filled, self.filled_at_start):
            if old in table:
                table[new] = table.pop(old)
        if old in self.known_sells:
            sell = self.known_sells.pop(old)
            sell.client_id = new
            self.known_sells[new] = sell

    def known_size(self, client_id: str) -> int | None:
        """The order's full quantity as the grid placed it or last saw it listed."""
        placement = self.placement(client_id)
        if placement is not None:
            return placement.size
        if self.buy is not None and self.buy.client_id == client_id:
            return self.buy.size
        sell = self.recent_sells.get(client_id) or self.known_sells.get(client_id)
        return sell.size if sell is not None else None

    def finished(self, client_id: str, side: Side) -> None:
        """The order filled completely: forget everything about it."""
        placement = self.placement(client_id)
        if placement is not None:
            self.pending.remove(placement)
            if side is Side.BUY:
                self.buy_in_flight = False
            else:
                self.sell_in_flight = False
        if self.buy is not None and self.buy.client_id == client_id:
            self.buy = None
        self.amend_pending.pop(client_id, None)
        self.recent_sells.pop(client_id, None)
        self.sell_plans.pop(client_id, None)
        self.filled.pop(client_id, None)
        self.filled_at_start.pop(client_id, None)
        self.known_sells.pop(client_id, None)

    def remember_sells(self, sells: list[OpenOrder], now: int) -> None:
        """The listed sells, full quantity and filled so far. A sell no longer listed
        whose fills are still arriving (the venue's view can be ahead of the fill
        events) is kept until its last fill finishes it."""
        known = {
            o.client_id: Placement(
                o.client_id, Side.SELL, o.price, o.quantity, now, o.level, o.filled
            )
            for o in sells
        }
        for cid, sell in self.known_sells.items():
            if cid not in known and cid in self.filled:
                known[cid] = sell
        self.known_sells = known

    # --- per-cycle housekeeping -------------------------------------------------------

    def housekeeping(self, now: int) -> None:
        stale = [p for p in self.pending if now - p.ts > timing.PENDING_TTL_NS]
        for p in stale:
            self.pending.remove(p)
            if p.side is Side.BUY:
                self.buy_in_flight = False
            else:
                self.sell_in_flight = False
        if self.resubmits:
            pending = {p.client_id for p in self.pending}
            self.resubmits = {c: r for c, r in self.resubmits.items() if c in pending}
        for cid, sent in list(self.amend_pending.items()):
            if now - sent > timing.PENDING_TTL_NS:
                del self.amend_pending[cid]
        self.amend_cooldown = {
            cid: until
            for cid, until in self.amend_cooldown.items()
            if now < until + timing.ADOPT_GRACE_NS
        }
        if len(self.amend_cooldown) > timing.COOLDOWN_TABLE_CAP:
            self.amend_cooldown.clear()
        ttl = timing.RECENT_SELL_TTL_NS
        self.recent_sells = {c: p for c, p in self.recent_sells.items() if now - p.ts <= ttl}
        self.evicted = {cid: until for cid, until in self.evicted.items() if now < until}

    def _trim_recent(self) -> None:
        while len(self.recent_sells) > timing.RECENT_SELL_CAP:
            del self.recent_sells[next(iter(self.recent_sells))]

    def track_buys(self, best: OpenOrder | None, now: int) -> bool:
        """Ghost clearing and adoption against the venue's view; True if a ghost was
        dropped. A tracked buy the venue has not listed for 10 s (with nothing in flight
        and no request for 3 s) is forgotten; a listed buy is adopted unless its id is
        still cooling down after an amend (stale snapshots show old ids)."""
        quiet = not self.cancel_in_flight and not self.buy_in_flight
        if best is None:
            if self.buy is None:
                self.buy_absent_since = None
                return False
            if self.buy_absent_since is None:
                self.buy_absent_since = now
            last = self.last_order_ns
            recent = last is not None and now - last <= timing.GHOST_QUIET_NS
            if quiet and not recent and now - self.buy_absent_since >= timing.GHOST_ABSENT_NS:
                log.info("ghost buy cleared", client_id=self.buy.client_id)
                self.buy = None
                self.buy_absent_since = None
                return True
            return False
        self.buy_absent_since = None
        if not quiet or self.amend_pending:
            return False
        same = self.buy is not None and self.buy.client_id == best.client_id
        if same or not self.recently_cooled(best.client_id, now):
            self.buy = TrackedBuy(best.client_id, best.price, best.quantity, best.filled)
        return False

    def evict_stale_sells(self, sells: list[OpenOrder], bid: int, now: int) -> list[str]:
        """Sells at or below the bid must have filled without us hearing: ignore them
        for 24 h. Returns their ids."""
        out = [o.client_id for o in sells if o.price <= bid]
        for cid in out:
            self.evicted[cid] = now + timing.EVICT_NS
            self.recent_sells.pop(cid, None)
        while len(self.evicted) > timing.EVICT_CAP:
            del self.evicted[next(iter(self.evicted))]
        return out

    def anchor_prices(self, visible: set[str], track_pending: bool) -> list[int]:
        """Prices of sells the venue has not listed yet but that count as anchors."""
        if not track_pending:
            return []
        out = [p.price for p in self.pending if p.side is Side.SELL]
        out += [p.price for cid, p in self.recent_sells.items() if cid not in visible]
        return out
