"""A finished instrument's kernel logs as column tables: fills (with average-cost PnL),
orders, the equity curve, and the PnL breakdown that reconciles with the curve.

Columns are numpy arrays in the kernel's units (ticks, size units, ns) next to floats in
quote/base currency computed with the simulator's own arithmetic, so sums match its account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from falconet.backtest.metrics import B8, F64, I64, average_cost, forward_fill
from falconet.core.ids import Intent
from falconet.sim.layout import (
    E_ACCEPTED,
    E_AMENDED,
    E_CANCELED,
    E_EXPIRED,
    E_FILL,
    E_REJECTED,
    EV_ID,
    EV_INTENT,
    EV_KIND,
    EV_LEAVES,
    EV_LEVEL,
    EV_MAKER,
    EV_QTY,
    EV_SIDE,
    EV_TICK,
    EV_TS,
    EV_XTS,
    EVF_FEE,
    EVF_FEE_BASE,
    NO_ASK,
    NO_BID,
    R_ASK,
    R_BID,
    R_TS,
    RF_BAL,
    RF_FEE,
    RF_FUNDING,
    RF_POS,
)

# Final order status, from the last status-changing event the strategy received.
STATUS_NAMES = ("pending", "open", "partially_filled", "filled", "canceled", "expired", "rejected")
PENDING, OPEN, PARTIAL, FILLED, CANCELED, EXPIRED, REJECTED = range(len(STATUS_NAMES))
_EVENT_STATUS = {
    E_ACCEPTED: OPEN,
    E_AMENDED: OPEN,
    E_CANCELED: CANCELED,
    E_EXPIRED: EXPIRED,
    E_REJECTED: REJECTED,
}  # fills are FILLED or OPEN by their leaves; cancel/amend rejections change nothing


def iso_ns(ts: int) -> str:
    """UTC time with all nine digits of the nanoseconds: 2023-11-14T22:13:20.122013796Z."""
    sec, ns = divmod(int(ts), 1_000_000_000)
    return f"{datetime.fromtimestamp(sec, UTC):%Y-%m-%dT%H:%M:%S}.{ns:09d}Z"


def intent_name(code: int) -> str:
    try:
        return Intent(code).name.lower()
    except ValueError:
        return str(code)


@dataclass(frozen=True, slots=True)
class Fills:
    """One row per execution, in the order the strategy received them."""

    ts_local: I64
    ts_exchange: I64
    order_id: I64
    side: I64  # +1 buy, -1 sell
    tick: I64
    qty: I64  # size units
    maker: B8
    intent: I64
    level: I64
    price: F64  # quote per base, as the simulator computed it
    size: F64  # base
    fee: F64  # quote; negative = rebate
    fee_base: F64  # base (venues that take buy fees in the base asset)
    fee_value: F64  # total fee in quote: fee + fee_base × price × contract
    realized: F64  # average-cost realized PnL of this fill
    position: F64  # base, after the fill
    avg_cost: F64  # after the fill; 0 when flat

    def __len__(self) -> int:
        return int(self.ts_local.shape[0])


@dataclass(frozen=True, slots=True)
class Orders:
    """One row per order that received at least one event, by order id."""

    order_id: I64
    side: I64
    intent: I64
    level: I64
    tick: I64  # last known order price; the last fill's if no other event (0: market)
    qty: I64  # last known order size
    filled: I64
    first_ts: I64  # local time of its first and last event
    last_ts: I64
    status: I64  # index into STATUS_NAMES
    events: I64

    def __len__(self) -> int:
        return int(self.order_id.shape[0])


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """One row per recorder sample (each strategy wake-up), a first row at the start of
    the data and a last one with the final account. Equity = balance + position × contract
    × mid − fees, with the mid carried forward while a book side is empty."""

    ts: I64
    mid: F64  # carried over empty sides (back to the start); NaN if never two-sided
    position: F64
    balance: F64
    fees: F64
    funding: F64  # cumulative, paid (+) / received (−), as the simulator books it
    equity: F64

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def fills_table(ev: I64, evf: F64, tick: float, unit: float, contract: float = 1.0) -> Fills:
    """The fills of an event log (EV rows and their EVF fee rows); `tick` is the tick size
    in quote currency, `unit` the size unit in base currency."""
    mask = ev[:, EV_KIND] == E_FILL
    f, ff = ev[mask], evf[mask]
    side = f[:, EV_SIDE].astype(np.int64)
    # the simulator's own arithmetic (tick × tick size, units × unit), so sums match its books
    price = f[:, EV_TICK] * tick
    size = f[:, EV_QTY] * unit
    fee, fee_base = ff[:, EVF_FEE].astype(np.float64), ff[:, EVF_FEE_BASE].astype(np.float64)
    if fee_base.any():
        # A fee taken in base shrinks the position: booked as a sale of that amount at the
        # fill price whose proceeds pay the fee, so it counts as a fee and a position change.
        pairs = np.zeros(side.shape[0] * 2, dtype=np.float64)
        pairs[0::2] = side * size
        pairs[1::2] = -fee_base
        ac = average_cost(pairs, np.repeat(price, 2), contract)
        realized = ac.realized[0::2] + ac.realized[1::2]
        position, avg = ac.position[1::2], ac.avg_cost[1::2]
    else:
        ac = average_cost(side * size, price, contract)
        realized, position, avg = ac.realized, ac.position, ac.avg_cost
    return Fills(
        ts_local=f[:, EV_TS].copy(),
        ts_exchange=f[:, EV_XTS].copy(),
        order_id=f[:, EV_ID].copy(),
        side=side,
        tick=f[:, EV_TICK].copy(),
        qty=f[:, EV_QTY].copy(),
        maker=f[:, EV_MAKER] != 0,
        intent=f[:, EV_INTENT].copy(),
        level=f[:, EV_LEVEL].copy(),
        price=price,
        size=size,
        fee=fee,
        fee_base=fee_base,
        fee_value=fee + fee_base * price * contract,
        realized=realized,
        position=position,
        avg_cost=avg,
    )


def orders_table(ev: I64) -> Orders:
    """One row per order id in the event log, with its final status."""
    n = ev.shape[0]
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return Orders(z, z, z, z, z, z, z, z, z, z, z)
    by_id = np.argsort(ev[:, EV_ID], kind="stable")  # grouped by order, in log order
    e = ev[by_id]
    ids = e[:, EV_ID]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    kind = e[:, EV_KIND]
    is_fill = kind == E_FILL
    status = np.full(n, -1, dtype=np.int64)
    for k, st in _EVENT_STATUS.items():
        status[kind == k] = st
    status[is_fill] = np.where(e[is_fill, EV_LEAVES] <= 0, FILLED, OPEN)
    row = np.arange(n, dtype=np.int64)
    last_status = np.maximum.reduceat(np.where(status >= 0, row, -1), starts)
    last_quote = np.maximum.reduceat(np.where(is_fill, -1, row), starts)  # non-fill rows
    filled = np.add.reduceat(np.where(is_fill, e[:, EV_QTY], 0), starts)
    final = np.where(last_status >= 0, status[np.maximum(last_status, 0)], PENDING)
    final = np.where((final == OPEN) & (filled > 0), PARTIAL, final)
    last_fill = np.maximum.reduceat(np.where(is_fill, row, -1), starts)
    # Every order's first row is the one the strategy sent (E_SENT: its price and size);
    # logs written before that row existed show some orders only through fills, which
    # then give the price.
    has_quote = last_quote >= 0
    quote_row = np.where(has_quote, last_quote, np.maximum(last_fill, 0))
    return Orders(
        order_id=ids[starts],
        side=e[starts, EV_SIDE],
        intent=e[starts, EV_INTENT],
        level=e[starts, EV_LEVEL],
        tick=e[quote_row, EV_TICK],
        qty=np.where(has_quote, e[quote_row, EV_QTY], filled),
        filled=filled,
        first_ts=np.minimum.reduceat(e[:, EV_TS], starts),
        last_ts=np.maximum.reduceat(e[:, EV_TS], starts),
        status=final,
        events=np.diff(np.concatenate((starts, [n]))).astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class Account:
    """The simulator's local account at one moment (see AssetResult.final_state)."""

    ts: int
    mid: float  # NaN when a book side is empty
    position: float
    balance: float
    fees: float
    funding: float


def equity_curve(
    records: I64,
    record_values: F64,
    tick: float,
    contract: float,
    start: Account,
    end: Account,
) -> EquityCurve:
    """Recorder rows framed by the account at the start of the data and at the end (fills
    can land after the last wake-up, while the run drains); `tick` in quote currency."""
    bid, ask = records[:, R_BID], records[:, R_ASK]
    both = (bid != NO_BID) & (ask != NO_ASK)
    rows = [start] if records.shape[0] == 0 or records[0, R_TS] > start.ts else []

    def col(attr: str, values: F64) -> F64:
        head = [getattr(a, attr) for a in rows]
        return np.concatenate((head, values, [getattr(end, attr)])).astype(np.float64)

    last_ts = max(end.ts, int(records[-1, R_TS])) if records.shape[0] else end.ts
    ts = np.concatenate(([a.ts for a in rows], records[:, R_TS], [last_ts])).astype(np.int64)
    mid = forward_fill(col("mid", np.where(both, (bid + ask) * 0.5 * tick, np.nan)))
    pos = col("position", record_values[:, RF_POS])
    bal = col("balance", record_values[:, RF_BAL])
    fees = col("fees", record_values[:, RF_FEE])
    held = np.where(pos != 0.0, pos * contract * np.nan_to_num(mid), 0.0)
    return EquityCurve(
        ts=ts,
        mid=mid,
        position=pos,
        balance=bal,
        fees=fees,
        funding=col("funding", record_values[:, RF_FUNDING]),
        equity=bal + held - fees,
    )


@dataclass(frozen=True, slots=True)
class PnL:
    """equity_change = realized + unrealized − fees + funding, to float precision."""

    equity_start: float
    equity_end: float
    realized: float  # average cost, summed over the fills that reduced the position
    unrealized: float  # position × contract × (mid − average cost) at the end
    fees: float  # net, quote; negative = net rebates
    fees_paid: float  # sum of the positive fees
    rebates: float  # sum of the negative fees (<= 0)
    funding: float  # received (+) / paid (−)
    position: float  # base
    avg_cost: float
    mid: float  # the mid the position is valued at

    @property
    def equity_change(self) -> float:
        return self.equity_end - self.equity_start

    @property
    def residual(self) -> float:
        """What the identity misses: float rounding only."""
        explained = self.realized + self.unrealized - self.fees + self.funding
        return self.equity_change - explained


def account_pnl(fills: Fills, curve: EquityCurve, end: Account, contract: float) -> PnL:
    """PnL of the run from its fills, valued at the curve's last mid."""
    mid = float(curve.mid[-1]) if np.isfinite(curve.mid[-1]) else 0.0
    avg = float(fills.avg_cost[-1]) if len(fills) else 0.0
    fees = fills.fee_value
    return PnL(
        equity_start=float(curve.equity[0]),
        equity_end=float(curve.equity[-1]),
        realized=float(np.sum(fills.realized)),
        unrealized=end.position * contract * (mid - avg) if end.position else 0.0,
        fees=float(np.sum(fees)),
        fees_paid=float(np.sum(fees[fees > 0])),
        rebates=float(np.sum(fees[fees < 0])),
        funding=-end.funding,
        position=end.position,
        avg_cost=avg,
        mid=mid,
    )
