"""What the market maker remembers between callbacks: short-lived id lists with an age
limit and a size cap, and the per-cycle scan of the open orders."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.ids import StrategyCode
from falconet.core.instrument import Instrument
from falconet.strategies.api import OpenOrder

NS_PER_S = 1_000_000_000


class ExpiringIds:
    """Client ids stamped with the time they were added (and the order side, where known).

    Entries older than `max_age_ns` go at the next `expire`; beyond `cap` entries the
    oldest go at once, so a venue that never answers cannot grow the list without bound
    (`cap` None: the age limit alone bounds it).
    """

    def __init__(self, max_age_ns: int, cap: int | None) -> None:
        self.max_age_ns = max_age_ns
        self.cap = cap
        self._entries: OrderedDict[str, tuple[int, Side | None]] = OrderedDict()

    def add(self, client_id: str, now_ns: int, side: Side | None = None) -> None:
        self._entries.pop(client_id, None)
        self._entries[client_id] = (now_ns, side)
        while self.cap is not None and len(self._entries) > self.cap:
            self._entries.popitem(last=False)

    def discard(self, client_id: str) -> bool:
        """Remove the id; whether it was there."""
        return self._entries.pop(client_id, None) is not None

    def expire(self, now_ns: int) -> list[str]:
        """Drop the entries older than the age limit; returns their ids."""
        old = [cid for cid, (ts, _) in self._entries.items() if now_ns - ts > self.max_age_ns]
        for cid in old:
            del self._entries[cid]
        return old

    def has_side(self, side: Side) -> bool:
        return any(s is side for _, s in self._entries.values())

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class OrderScan:
    """The open orders on the instrument as one cycle sees them.

    Locked amounts cover every order (other strategies' included: their funds are not
    free for us); the per-side lists hold only the market maker's own orders.
    """

    locked_quote: Decimal = Decimal(0)
    locked_base: Decimal = Decimal(0)
    mm_buys: list[OpenOrder] = field(default_factory=list)
    mm_sells: list[OpenOrder] = field(default_factory=list)

    @property
    def best_buy(self) -> OpenOrder | None:
        """The highest-priced MM buy."""
        return max(self.mm_buys, key=lambda o: o.price, default=None)


def scan_open_orders(
    inst: Instrument, orders: Iterable[OpenOrder], blacklist: ExpiringIds
) -> OrderScan:
    """Sum what open orders lock and collect the MM's buys and sells. Orders whose
    cancellation was confirmed are skipped even if a stale view still lists them."""
    scan = OrderScan()
    for order in orders:
        if order.status.is_terminal or order.client_id in blacklist:
            continue
        remaining = order.quantity - order.filled
        if order.side is Side.BUY:
            scan.locked_quote += inst.notional(order.price, remaining)
        else:
            scan.locked_base += inst.size_decimal(remaining)
        if order.strategy is StrategyCode.MM:
            (scan.mm_buys if order.side is Side.BUY else scan.mm_sells).append(order)
    return scan
