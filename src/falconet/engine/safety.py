"""The kill switch's hands in the live engine: cancel every order on every venue, then,
if asked, close every position with reduce-only market orders.

The risk engine decides (by command or by rule); this carries it out. Perp positions are
closed as the venue reports them; a spot position is what the engine's own fills bought
since it started (inventory held before is the trader's, not the engine's), never more
than the account holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from falconet.core.enums import InstrumentKind, OrderType, Side, TimeInForce
from falconet.core.ids import Intent
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.context import view_of
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.observe.log import get_logger
from falconet.risk.pnl import EntryPnL
from falconet.strategies.api import OpenOrder

log = get_logger("risk")

CANCEL_WAIT_S = 1.0  # how long the cancels get before positions are closed


@dataclass(frozen=True)
class Holding:
    """One position the kill switch may close, and who closes it."""

    oms: OrderManager
    account: Account
    owner: Owner
    instrument: Instrument
    pnl: EntryPnL | None  # the engine's fills on it, for what they bought (spot)


@dataclass
class OwnerExposure:
    """What the risk engine reads of an owner that trades without a strategy context (the
    auto-hedge): its market, the account's position, its own open orders. Its fills then
    count in the engine-wide PnL and its position in the net exposure."""

    instrument: Instrument
    owner: Owner
    oms: OrderManager
    market: MarketState
    account: Account

    def best_bid(self) -> int | None:
        return self.market.book.best_bid

    def best_ask(self) -> int | None:
        return self.market.book.best_ask

    def position(self) -> int:
        pos = self.account.positions.get(self.instrument.id)
        return pos.size if pos is not None else 0

    def open_orders(self) -> list[OpenOrder]:
        return [view_of(m) for m in self.oms.open_orders(self.owner)]

    def book_ts(self) -> int:
        return self.market.book.ts_local


async def kill_all(
    books: Iterable[OrderManager],
    holdings: Iterable[Holding],
    *,
    flatten: bool,
    now_ns: Callable[[], int],
) -> int:
    """Cancel everything, then close positions if `flatten`; the orders sent to close."""
    omses = list(books)
    for oms in omses:
        for m in oms.open_orders():
            if m.order.status is not OrderStatus.PENDING_CANCEL:
                oms.cancel(m.owner, m.order.client_id, now_ns())
    deadline = time.monotonic() + CANCEL_WAIT_S
    while any(oms.open_orders() for oms in omses) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    if not flatten:
        return 0
    sent = 0
    for group in _by_instrument(holdings):
        h = group[0]
        size = _to_close(group)
        if size == 0:
            continue
        side = Side.SELL if size > 0 else Side.BUY
        lots = h.instrument.floor_size(h.instrument.size_decimal(abs(size)))
        if lots <= 0:
            continue
        h.oms.submit(
            h.owner, side, None, lots,
            tif=TimeInForce.IOC, order_type=OrderType.MARKET,
            reduce_only=h.instrument.kind is InstrumentKind.PERP,
            intent=Intent.EMERGENCY_EXIT, level=0, ts=now_ns(),
        )  # fmt: skip
        sent += 1
        log.warning(
            "kill switch: closing position",
            instrument=h.instrument.id,
            side=side.value,
            size=h.instrument.size_str(lots),
        )
    return sent


def _by_instrument(holdings: Iterable[Holding]) -> list[list[Holding]]:
    """One close per instrument per account, whoever trades it."""
    groups: dict[tuple[int, str], list[Holding]] = {}
    for h in holdings:
        groups.setdefault((id(h.oms), h.instrument.id), []).append(h)
    return list(groups.values())


def _to_close(group: list[Holding]) -> int:
    """Signed size units to close: > 0 sell, < 0 buy. A spot position is what every
    entry on the instrument bought, net, never more than the account holds."""
    h = group[0]
    inst = h.instrument
    if inst.kind is InstrumentKind.PERP:
        pos = h.account.positions.get(inst.id)
        return pos.size if pos is not None else 0
    bought = sum(x.pnl.position for x in group if x.pnl is not None)
    if bought <= 0:
        return 0
    total, _ = h.account.balance(inst.base)
    held = int(total.scaleb(inst.size_decimals)) if total is not None else bought
    return min(bought, max(held, 0))
