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
from falconet.core.events import PositionUpdate
from falconet.core.ids import Intent
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.errors import describe_error
from falconet.engine.market import Account
from falconet.engine.oms import OrderManager, Owner
from falconet.observe.log import get_logger
from falconet.risk.pnl import EntryPnL

log = get_logger("risk")

CANCEL_WAIT_S = 1.0  # how long the cancels get before positions are closed
POSITIONS_WAIT_S = 2.0  # how long a venue gets to list its positions at a kill


@dataclass(frozen=True)
class Holding:
    """One position the kill switch may close, and who closes it."""

    oms: OrderManager
    account: Account
    owner: Owner
    instrument: Instrument
    pnl: EntryPnL | None  # the engine's fills on it, for what they bought (spot)


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
    holdings = list(holdings)
    await _refresh_positions(holdings)
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


async def _refresh_positions(holdings: list[Holding]) -> None:
    """Perp positions as each account's venue lists them now, all accounts at once: a fill
    of a moment ago may not have reached the streamed account yet, and the close must
    match it. A perp the venue no longer lists is flat. A venue that does not answer
    leaves the streamed figures."""
    accounts: dict[int, list[Holding]] = {}
    for h in holdings:
        if h.instrument.kind is InstrumentKind.PERP:
            accounts.setdefault(id(h.oms), []).append(h)
    await asyncio.gather(*(_refresh_account(group) for group in accounts.values()))


async def _refresh_account(group: list[Holding]) -> None:
    h = group[0]
    try:
        positions = await asyncio.wait_for(h.oms.venue.positions(), POSITIONS_WAIT_S)
    except Exception as exc:  # the kill goes on with what it knows
        log.error("kill switch: positions not refreshed", error=describe_error(exc))
        return
    listed = {p.instrument_id for p in positions}
    for position in positions:
        h.account.apply(position)
    for held in group:
        inst = held.instrument.id
        if inst not in listed and inst in h.account.positions:
            flat = PositionUpdate(ts_exchange=0, ts_local=0, instrument_id=inst, size=0)
            h.account.apply(flat)


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
