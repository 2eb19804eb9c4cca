"""The pre-trade rules: each looks at one order against one entry's exposure and says
nothing, or which rule refuses it and why. They read only what `Exposure` gives, so the
same rules run in backtest, paper and live."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from falconet.config.risk import RiskLimits
from falconet.core.enums import Side
from falconet.core.instrument import Instrument
from falconet.strategies.api import OpenOrder

HUNDRED = Decimal(100)


class Exposure(Protocol):
    """What the risk engine needs to know of one entry (its strategy context provides it)."""

    instrument: Instrument

    def best_bid(self) -> int | None: ...

    def best_ask(self) -> int | None: ...

    def position(self) -> int: ...

    def open_orders(self) -> list[OpenOrder]: ...

    def book_ts(self) -> int:
        """Local time (ns) of the last book update; 0 when there was none."""
        ...


@dataclass(frozen=True, slots=True)
class Proposal:
    """An order as the risk engine judges it: a new one, or an amend's new terms."""

    side: Side
    price: int | None  # None: a market order
    size: int
    reduce_only: bool = False
    replaces: str | None = None  # an amend: the client id whose terms change


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str
    reason: str


def mid_of(view: Exposure) -> int | None:
    bid, ask = view.best_bid(), view.best_ask()
    if bid is not None and ask is not None:
        return (bid + ask) // 2
    return bid if bid is not None else ask


def leaves(orders: Sequence[OpenOrder], side: Side, skip: str | None = None) -> int:
    """What the open orders on `side` may still add to the position."""
    return sum(
        max(o.quantity - o.filled, 0) for o in orders if o.side is side and o.client_id != skip
    )


def reduces(view: Exposure, order: Proposal) -> bool:
    """True when the order can only bring |position| toward zero (with what already works
    on that side counted first)."""
    pos = view.position()
    if order.side.sign * pos >= 0:
        return False  # buying while long/flat, selling while short/flat
    working = leaves(view.open_orders(), order.side, skip=order.replaces)
    return working + order.size <= abs(pos)


def worst_position(view: Exposure, order: Proposal) -> int:
    """|position| if this order and every open order on its side filled."""
    working = leaves(view.open_orders(), order.side, skip=order.replaces)
    return abs(view.position() + order.side.sign * (working + order.size))


def check_limits(
    view: Exposure, order: Proposal, limits: RiskLimits, now_ns: int
) -> Refusal | None:
    """The entry's own limits, in a fixed order (the first refusal is reported)."""
    inst = view.instrument
    age = limits.max_book_age_ms
    if age is not None:
        ts = view.book_ts()
        if ts <= 0 or now_ns - ts > int(age * 1_000_000):
            return Refusal("stale_book", f"the book is older than {age} ms")
    needs_mid = (
        limits.price_band_pct is not None
        or limits.max_order_notional is not None
        or limits.max_position_notional is not None
    )
    mid = mid_of(view)
    if needs_mid and mid is None:
        return Refusal("mid_unknown", "no mid price to check the order against")
    if limits.price_band_pct is not None and order.price is not None and mid:
        off = abs(Decimal(order.price - mid)) / Decimal(mid) * HUNDRED
        if off > limits.price_band_pct:
            return Refusal(
                "price_band",
                f"price {inst.price_str(order.price)} is {off:.2f}% from the mid "
                f"{inst.price_str(mid)} (band {limits.price_band_pct}%)",
            )
    if limits.max_order_notional is not None and mid is not None:
        value = inst.notional(order.price or mid, order.size)
        if value > limits.max_order_notional:
            return Refusal(
                "order_notional",
                f"order value {value:.2f} {inst.quote} is above {limits.max_order_notional}",
            )
    return _position_limits(view, order, limits, mid) or _open_orders(view, order, limits)


def _position_limits(
    view: Exposure, order: Proposal, limits: RiskLimits, mid: int | None
) -> Refusal | None:
    if limits.max_position is None and limits.max_position_notional is None:
        return None
    if reduces(view, order):
        return None
    inst = view.instrument
    worst = worst_position(view, order)
    if limits.max_position is not None and inst.size_decimal(worst) > limits.max_position:
        return Refusal(
            "position",
            f"position would reach {inst.size_str(worst)} {inst.base} "
            f"(limit {limits.max_position})",
        )
    if limits.max_position_notional is not None and mid is not None:
        value = inst.notional(mid, worst)
        if value > limits.max_position_notional:
            return Refusal(
                "position_notional",
                f"position would be worth {value:.2f} {inst.quote} "
                f"(limit {limits.max_position_notional})",
            )
    return None


def _open_orders(view: Exposure, order: Proposal, limits: RiskLimits) -> Refusal | None:
    if limits.max_open_orders is None or order.replaces is not None:
        return None
    count = len(view.open_orders())
    if count >= limits.max_open_orders:
        return Refusal("open_orders", f"{count} orders open (limit {limits.max_open_orders})")
    return None
