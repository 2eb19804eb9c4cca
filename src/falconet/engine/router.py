"""The sink of one venue: every event it produces is applied to what the engine knows
(book, account, orders) and handed to the runners it concerns, synchronously and in the
order the venue produced them. A malformed or unexpected event is counted and logged;
it never stops the venue's feed.

With `inline_books` (the venue's `VenueCapabilities.inline_books`) a book change goes
to `Runner.book_updated`, which may call `on_book` right here, inside the venue's call;
otherwise to `Runner.book_changed`, which queues it for the runner's task."""

from __future__ import annotations

from dataclasses import dataclass, field

from falconet.core.enums import InstrumentKind
from falconet.core.events import (
    BalanceUpdate,
    BookDelta,
    BookSnapshot,
    Event,
    OrderEvent,
    PositionUpdate,
    TopOfBook,
    Trade,
    margin_asset,
)
from falconet.core.instrument import Instrument
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager
from falconet.engine.runner import Runner
from falconet.observe.log import get_logger
from falconet.observe.metrics import Counter, MetricsRegistry
from falconet.observe.redact import redact

log = get_logger("router")


@dataclass
class RouterStats:
    events: int = 0
    unrouted: int = 0  # market data for an instrument nobody trades
    errors: int = 0


@dataclass
class Router:
    venue_name: str
    oms: OrderManager
    account: Account
    markets: dict[str, MarketState] = field(default_factory=dict)
    runners: dict[str, list[Runner]] = field(default_factory=dict)  # by instrument id
    metrics: MetricsRegistry | None = None
    inline_books: bool = False

    def __post_init__(self) -> None:
        # Handles exist from the start (no None test per event); a registry given later
        # through `register_metrics` adopts these same objects.
        venue = self.venue_name
        self._events = Counter("falconet_router_events_total", venue=venue)
        self._unrouted = Counter("falconet_router_unrouted_total", venue=venue)
        self._errors = Counter("falconet_router_errors_total", venue=venue)
        if self.metrics is not None:
            self.register_metrics(self.metrics)

    def register_metrics(self, registry: MetricsRegistry) -> None:
        self.metrics = registry
        registry.add(self._events, self._unrouted, self._errors)

    @property
    def stats(self) -> RouterStats:
        """A copy of the counts in the record older callers read."""
        return RouterStats(
            int(self._events.value), int(self._unrouted.value), int(self._errors.value)
        )

    def add(self, runner: Runner, market: MarketState) -> None:
        inst = market.instrument.id
        self.markets[inst] = market
        self.runners.setdefault(inst, []).append(runner)

    def all_runners(self) -> list[Runner]:
        return [r for rs in self.runners.values() for r in rs]

    def __call__(self, event: Event) -> None:
        self._events.value += 1
        try:
            self._route(event)
        except Exception as exc:  # one bad event must not take the feed down
            self._errors.value += 1
            log.error(
                "event could not be applied",
                venue=self.venue_name,
                kind=type(event).__name__,
                error=redact(f"{type(exc).__name__}: {exc}"),
            )

    def _route(self, event: Event) -> None:
        if isinstance(event, OrderEvent):
            self.oms.on_event(event)
        elif isinstance(event, BookSnapshot | BookDelta | TopOfBook):
            market = self.markets.get(event.instrument_id)
            if market is None:
                self._unrouted.value += 1
                return
            if market.apply(event):
                inline = self.inline_books
                for runner in self.runners[event.instrument_id]:
                    if inline:
                        runner.book_updated()
                    else:
                        runner.book_changed()
        elif isinstance(event, Trade):
            market = self.markets.get(event.instrument_id)
            if market is None:
                self._unrouted.value += 1
                return
            market.apply(event)
            for runner in self.runners[event.instrument_id]:
                if runner.wants_trades:
                    runner.push(event)
        elif isinstance(event, BalanceUpdate):
            self.account.apply(event)
            for runner in self.all_runners():
                inst = runner.ctx.instrument
                if event.asset in _assets_of(inst):
                    runner.push(event)
        elif isinstance(event, PositionUpdate):
            self.account.apply(event)
            for runner in self.runners.get(event.instrument_id, ()):
                runner.push(event)
        else:
            self._unrouted.value += 1


def _assets_of(inst: Instrument) -> tuple[str, ...]:
    """The balances a runner on `inst` trades with."""
    if inst.kind is InstrumentKind.PERP:
        return (margin_asset(inst.quote),)
    return (inst.base, inst.quote)
