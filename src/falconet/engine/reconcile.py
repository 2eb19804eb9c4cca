"""Making the engine's view of orders and fills agree with the venue's, before strategies
trade: at start-up, and after a runner is restarted.

Orders the venue lists whose client id decodes to a configured runner are adopted (the
runner sees them as its own, nothing is placed twice). Orders it lists that no runner
owns are reported, or canceled if the config says so. Orders the engine believes open
that the venue no longer lists are closed. Fills the venue made while a strategy was not
listening are replayed to it from its own watermark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from falconet.core.events import Fill, OrderCanceled
from falconet.core.ids import decode_client_id
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.oms import OrderManager, Owner
from falconet.engine.venue import CancelRequest, OrderReport, VenueClient
from falconet.observe.log import get_logger

log = get_logger("reconcile")


@dataclass
class ReconcileReport:
    adopted: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # venue order ids
    canceled: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # open here, gone at the venue
    replayed: int = 0


def owner_of(report: OrderReport, owners: Iterable[Owner]) -> Owner | None:
    tag = decode_client_id(report.client_id) if report.client_id else None
    if tag is None:
        return None
    for owner in owners:
        if owner.instrument.id == report.instrument_id and owner.strategy == tag.strategy:
            return owner
    return None


async def reconcile_orders(
    oms: OrderManager,
    venue: VenueClient,
    owners: list[Owner],
    instruments: dict[str, Instrument],
    *,
    cancel_unknown: bool,
    now_ns: int,
    only: Owner | None = None,
) -> ReconcileReport:
    """Adopt, report or cancel what the venue lists; close what it no longer lists.
    `only`: reconcile one runner's orders (after it was restarted)."""
    report = ReconcileReport()
    listed = await venue.open_orders()
    seen: set[str] = set()
    for order in listed:
        if order.instrument_id not in instruments:
            continue  # another market on the same account: not ours to judge
        seen.add(order.venue_order_id)
        owner = owner_of(order, owners)
        if only is not None and owner is not only:
            continue
        if owner is not None:
            known = order.client_id in oms.orders or order.venue_order_id in oms.by_venue_id
            if not known:
                oms.adopt(order, owner, now_ns)
                report.adopted.append(order.client_id or order.venue_order_id)
            continue
        report.unknown.append(order.venue_order_id)
        log.warning(
            "order at the venue that no configured strategy owns",
            venue=str(venue.venue),
            instrument=order.instrument_id,
            venue_order_id=order.venue_order_id,
            client_id=order.client_id,
            side=order.side.value,
            action="cancel" if cancel_unknown else "report",
        )
        if cancel_unknown:
            inst = instruments[order.instrument_id]
            await venue.cancel(CancelRequest(order.client_id or "", inst, order.venue_order_id))
            report.canceled.append(order.venue_order_id)
    for m in oms.open_orders(only):
        o = m.order
        acknowledged = o.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
        if acknowledged and o.venue_order_id and o.venue_order_id not in seen:
            report.closed.append(o.client_id)
            log.warning("order no longer open at the venue", client_id=o.client_id)
            oms.on_event(
                OrderCanceled(
                    ts_exchange=now_ns,
                    ts_local=now_ns,
                    instrument_id=o.instrument_id,
                    client_id=o.client_id,
                    venue_order_id=o.venue_order_id,
                    reason="not open at the venue (reconciled)",
                )
            )
    return report


async def replay_fills(
    oms: OrderManager, venue: VenueClient, owner: Owner, since_ns: int
) -> list[Fill]:
    """The venue's fills of `owner`'s orders since `since_ns`, oldest first, all of them:
    the strategy recognises the ones it already counted (its watermark), and only it can,
    since a fill this process saw may not have reached the strategy's saved state (it
    raised before the save). The OMS's fill gate learns them, so a copy arriving live
    afterwards is dropped."""
    out = []
    for fill in await venue.fills_since(since_ns):
        tag = decode_client_id(fill.client_id) if fill.client_id else None
        if fill.instrument_id != owner.instrument.id or tag is None:
            continue
        if tag.strategy != owner.strategy:
            continue
        oms.fills.first_time(fill)
        out.append(fill)
    return out
