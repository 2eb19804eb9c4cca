"""A scripted venue client for engine tests: records requests, answers on command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from falconet.core.enums import InstrumentKind, Venue
from falconet.core.events import BalanceUpdate, Event, Fill, PositionUpdate
from falconet.core.instrument import Instrument
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderReport,
    OrderRequest,
    Sink,
    VenueCapabilities,
)

BTC = Instrument.with_increments(
    Venue.PAPER, "BTC/USD", "BTC", "USD", InstrumentKind.SPOT, tick="0.5", lot="0.0001"
)


@dataclass
class FakeVenue:
    venue: Venue = Venue.PAPER
    capabilities: VenueCapabilities = field(
        default_factory=lambda: VenueCapabilities(amend_keeps_id=True, amend_keeps_priority=True)
    )
    instruments: dict[str, Instrument] = field(default_factory=lambda: {"BTC/USD": BTC})
    sink: Sink | None = None
    placed: list[OrderRequest] = field(default_factory=list)
    amends: list[AmendRequest] = field(default_factory=list)
    cancels: list[CancelRequest] = field(default_factory=list)
    listed: list[OrderReport] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    balance_list: list[BalanceUpdate] = field(default_factory=list)
    fail_next: Exception | None = None
    connected: bool = False
    closed: bool = False

    def set_sink(self, sink: Sink) -> None:
        self.sink = sink

    def emit(self, event: Event) -> None:
        assert self.sink is not None
        self.sink(event)

    async def connect(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.closed = True

    def instrument(self, symbol: str) -> Instrument:
        return self.instruments[symbol]

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        pass

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc

    async def place(self, request: OrderRequest) -> None:
        self._maybe_fail()
        self.placed.append(request)

    async def amend(self, request: AmendRequest) -> None:
        self._maybe_fail()
        self.amends.append(request)

    async def cancel(self, request: CancelRequest) -> None:
        self._maybe_fail()
        self.cancels.append(request)

    async def open_orders(self) -> list[OrderReport]:
        return list(self.listed)

    async def fills_since(self, since_ns: int) -> list[Fill]:
        return [f for f in self.fills if f.ts_exchange >= since_ns]

    async def balances(self) -> list[BalanceUpdate]:
        return list(self.balance_list)

    async def positions(self) -> list[PositionUpdate]:
        return []

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        return ("0.0002", "0.0005")


def base(cid: str, *, vid: str | None = None, ts: int = 1) -> dict[str, Any]:
    return {
        "ts_exchange": ts,
        "ts_local": ts,
        "instrument_id": BTC.id,
        "client_id": cid,
        "venue_order_id": vid,
    }
