"""Sell sizing and profit accounting: how the grid accumulates base from its profit.

Model (placement-time, see docs/strategies/grid.md): every sell fill adds its net profit
to `accumulated_profit`. When that profit covers the value of the lot-floored sliver
`qty − floor(qty × sell_mult)` at the sell price plus the `accumulation_buffer`, the next
sell is placed for the floored size, the sliver moves to `reserved_base` and its value is
debited from the profit: the retained coins are paid for by realised profit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from falconet.core.instrument import Instrument
from falconet.strategies.grid.params import VenueFlags
from falconet.strategies.grid.state import GridState

IBKR_MIN_PER_ORDER = Decimal("0.35")
IBKR_PER_SHARE = Decimal("0.0035")
IBKR_MAX_FRACTION = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SellPlan:
    """What to do with one sell: `size` units to sell (0: place no sell), `retained`
    units moved to reserved base, `debit` quote taken from the accumulated profit."""

    size: int
    retained: int = 0
    debit: Decimal = Decimal(0)

    @property
    def accumulates(self) -> bool:
        return self.retained > 0


def sendable(inst: Instrument, size: int, price: int) -> bool:
    """Whether the venue would take an order of this size at this price."""
    return (
        inst.is_valid_size(size)
        and size >= inst.min_size
        and inst.notional(price, size) >= inst.min_notional
    )


def plan_sell(
    inst: Instrument,
    flags: VenueFlags,
    *,
    qty: int,
    price: int,
    sell_mult: Decimal,
    buffer: Decimal,
    profit: Decimal,
) -> SellPlan:
    """The sell for `qty` units at `price`, given the profit accumulated so far."""
    one_to_one = SellPlan(qty)
    if flags.sell_uses_mult:
        # Kraken: the sliver simply stays in the account, no profit gate, not reserved.
        rounded = int(inst.floor_size(inst.size_decimal(qty) * sell_mult))
        return SellPlan(rounded) if sendable(inst, rounded, price) else one_to_one
    if not flags.use_accumulation_sells:
        return one_to_one
    if flags.whole_share_accumulation:
        rounded = max(0, qty - int(inst.size(1)))
    else:
        rounded = int(inst.floor_size(inst.size_decimal(qty) * sell_mult))
    diff = qty - rounded
    if diff <= 0:
        return one_to_one
    cost = inst.size_decimal(diff) * inst.price_decimal(price)
    required = cost + buffer
    if required <= 0 or profit < required:
        return one_to_one
    if rounded == 0:
        # Only a whole-share venue may keep the entire order (no sell at all).
        return SellPlan(0, diff, cost) if flags.whole_share_accumulation else one_to_one
    if not sendable(inst, rounded, price):
        return one_to_one
    return SellPlan(rounded, diff, cost)


def ibkr_commission(shares: Decimal, price: Decimal) -> Decimal:
    """IBKR Pro tiered commission for one order: 0.0035 per share, at least 0.35 and at
    most 1 % of the trade value."""
    return max(IBKR_MIN_PER_ORDER, min(IBKR_PER_SHARE * shares, IBKR_MAX_FRACTION * shares * price))


def leg_fee(flags: VenueFlags, price: Decimal, qty: Decimal, maker_fee: Decimal) -> Decimal:
    if flags.tiered_commission:
        return ibkr_commission(qty, price)
    return maker_fee * price * qty


def cost_basis(state: GridState, client_id: str, sell: Decimal) -> Decimal | None:
    """What the sold coins cost: the buy fill this sell was pinned to when known;
    otherwise the last sell fill if it is below this one (a rising ladder), else the
    last buy fill."""
    recorded = state.sell_basis.get(client_id)
    if recorded is not None:
        return recorded
    last_sell = state.last_sell_fill_price
    if last_sell is not None and 0 < last_sell < sell:
        return last_sell
    return state.last_buy_fill_price


def sell_profit(
    flags: VenueFlags, *, sell: Decimal, basis: Decimal | None, qty: Decimal, maker_fee: Decimal
) -> Decimal:
    """Net profit of selling `qty` at `sell` bought at `basis`, fees of both legs
    deducted; 0 when there is no basis or no profit."""
    if basis is None or sell <= basis:
        return Decimal(0)
    gross = (sell - basis) * qty
    net = gross - leg_fee(flags, basis, qty, maker_fee) - leg_fee(flags, sell, qty, maker_fee)
    return net if net > 0 else Decimal(0)


def apply_placement(state: GridState, inst: Instrument, plan: SellPlan) -> bool:
    """Book an accumulation sell (or a retention) at placement; True if state changed."""
    if not plan.accumulates:
        return False
    state.accumulated_profit -= plan.debit
    state.reserved_base += inst.size_decimal(plan.retained)
    return True


def undo_placement(state: GridState, inst: Instrument, plan: SellPlan) -> bool:
    """Reverse `apply_placement` for a sell the venue never took."""
    if not plan.accumulates:
        return False
    state.accumulated_profit += plan.debit
    state.reserved_base = max(Decimal(0), state.reserved_base - inst.size_decimal(plan.retained))
    return True
