"""The strategy API: what a strategy implements, and the context it acts through.

One API for live, paper and backtest. Callbacks are synchronous and deterministic; time
comes from `ctx.now_ns`, never from a clock; a strategy never awaits, sleeps or does I/O.
Prices and sizes are the instrument's integers (see `Instrument`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from falconet.core.bars import BarSource
from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.core.events import BalanceUpdate, Bar, Fill, OrderEvent, Trade
from falconet.core.ids import Intent, StrategyCode
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus


@dataclass(frozen=True, slots=True)
class Wakeup:
    """When the strategy wants to run: every N ms of local time, and/or when the local
    book changes (the top, or any of the `book_depth` best levels of either side), and/or
    when a trade prints, and/or when a bar (candle) of `bar_s` seconds completes, built
    from trades or the mid (`bars`)."""

    every_ms: int | None = None
    on_book: bool = False
    on_trade: bool = False
    book_depth: int = 1  # on_book for a change in any of the top N levels; 1: the touch
    bars: BarSource | None = None  # on_bar with candles from trades or the mid; None: no bars
    bar_s: int = 60

    def __post_init__(self) -> None:
        if self.book_depth < 1:
            raise ValueError(f"book_depth must be >= 1, got {self.book_depth}")
        if self.bar_s <= 0:
            raise ValueError(f"bar_s must be > 0, got {self.bar_s}")


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order on the strategy's instrument, as the venue last told us: a live one
    (`open_orders`), or an ended one the engine still remembers (`order`). `strategy` is
    who placed it (decoded from its client id); None for orders not placed by falconet."""

    client_id: str
    side: Side
    price: int
    quantity: int
    filled: int
    status: OrderStatus
    request_pending: bool  # a cancel or amend is in flight
    intent: Intent
    level: int
    strategy: StrategyCode | None = None
    venue_order_id: str | None = None
    # local times (the venue's clock for a paper venue, the simulation's in a backtest):
    # when it was sent (or adopted after a restart), accepted by the venue, last changed;
    # 0 when not yet
    created_ns: int = 0
    acknowledged_ns: int = 0
    updated_ns: int = 0


@dataclass(frozen=True, slots=True)
class Balances:
    """The account's holdings of the instrument's base and quote assets. None = unknown
    (never reported, or stale): strategies must not trade on a guess."""

    base_total: Decimal | None
    base_free: Decimal | None
    quote_total: Decimal | None
    quote_free: Decimal | None


@dataclass(frozen=True, slots=True)
class Fees:
    """Fee rates as fractions of traded value (negative = rebate)."""

    maker: Decimal
    taker: Decimal


Quote = tuple[int, int]  # (price, size) of one desired resting order


@dataclass(frozen=True, slots=True)
class LinkedFill:
    """A fill of the entry a strategy follows (a hedge follows its spot entry), not of
    the strategy's own orders."""

    entry: str  # the followed entry's key
    fill: Fill


class Context(Protocol):
    """What a strategy can see and do. Requests take effect after the callback returns."""

    instrument: Instrument

    @property
    def now_ns(self) -> int: ...

    def best_bid(self) -> int | None: ...

    def best_ask(self) -> int | None: ...

    def levels(self, side: Side, n: int) -> list[tuple[int, int]]: ...

    def position(self) -> int:
        """Signed position in size units, as the venue has confirmed it."""
        ...

    def open_orders(self) -> list[OpenOrder]: ...

    def order(self, client_id: str) -> OpenOrder | None:
        """One of the strategy's orders by client id, ended ones included while the
        engine remembers them (a backtest knows only live ones); None if unknown."""
        ...

    def balances(self) -> Balances: ...

    def fees(self) -> Fees: ...

    def state_changed(self) -> None:
        """The strategy's persistent state (`Strategy.snapshot_state`) changed: it is saved
        soon, off the hot path."""
        ...

    def submit(
        self,
        side: Side,
        price: int | None,
        size: int,
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        order_type: OrderType = OrderType.LIMIT,
        reduce_only: bool = False,
        intent: Intent = Intent.NONE,
        level: int = 0,
    ) -> str:
        """Send a new order; returns its client id."""
        ...

    def cancel(self, client_id: str) -> None: ...

    def amend(
        self, client_id: str, *, price: int | None = None, size: int | None = None
    ) -> None: ...

    def reconcile(
        self,
        bids: Sequence[Quote],
        asks: Sequence[Quote],
        *,
        tif: TimeInForce = TimeInForce.POST_ONLY,
        replace: bool = False,
    ) -> None:
        """Make the strategy's resting orders equal these quotes.

        Diff mode keeps each live (or not yet acknowledged) order that matches a quote
        and cancels the others; `replace` cancels everything and quotes afresh. Missing
        quotes are sent in the order bids[0], asks[0], bids[1], asks[1], ...
        """
        ...


class Strategy:
    """Base class: override what you need. `wakeup` says when `on_timer`/`on_book`/
    `on_trade` run; `on_order` and `on_fill` run for every update of the strategy's own
    orders (every partial fill included) before the next wake-up callback."""

    name: ClassVar[str] = "strategy"
    code: ClassVar[StrategyCode] = StrategyCode.MANUAL
    wakeup: Wakeup = Wakeup()

    def on_start(self, ctx: Context) -> None:
        """Called once, before the first event."""

    def on_timer(self, ctx: Context) -> None:
        """Called every `wakeup.every_ms` of local time."""

    def on_book(self, ctx: Context) -> None:
        """Called when the local top of book changed, or one of the `wakeup.book_depth`
        best levels (if `wakeup.on_book`)."""

    def on_trade(self, ctx: Context, trade: Trade) -> None:
        """Called for each market trade (if `wakeup.on_trade`)."""

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        """Called when a bar completes (if `wakeup.bars`): the first update of the next
        interval closes it; an interval without updates has no bar."""

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        """Accepted, rejected, canceled, amended, expired: one of our orders changed."""

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        """One execution of one of our orders (partial or final)."""

    def on_balance(self, ctx: Context, update: BalanceUpdate) -> None:
        """The venue reported a new balance of the base or quote asset."""

    def on_linked_fill(self, ctx: Context, fill: Fill) -> None:
        """A fill of the entry this strategy follows (a hedge's spot entry)."""

    def on_shutdown(self, ctx: Context) -> None:
        """The engine is stopping and has canceled this strategy's orders (waiting
        briefly for them to end); orders sent now still go out, before new ones are
        refused (a hedge closes its short here). Not called in a backtest."""

    def snapshot_state(self) -> dict[str, Any] | None:
        """State that must survive a restart (JSON-serialisable), or None."""
        return None

    def restore_state(self, state: dict[str, Any]) -> None:
        """Called before `on_start` with what `snapshot_state` last returned."""

    def replay_from(self) -> int | None:
        """Exchange time (ns) from which fills the strategy may have missed while it was
        down are replayed to it after `on_start`; None: no replay. Replayed fills can
        include ones it already counted: it must recognise those itself."""
        return None

    def on_stop(self, ctx: Context) -> None:
        """Called once, after the last event."""

    @classmethod
    def wants(cls, callback: str) -> bool:
        """Whether a subclass overrides `callback` (so the runner can skip building
        events nobody reads)."""
        return getattr(cls, callback) is not getattr(Strategy, callback)
