"""The exchange view's reaction to market data: our resting orders' queue positions and
the fills that trades and book moves give them.

Market replay: our orders never change the replayed book. Fill rules (no-partial mode
reproduces the reference engine exactly):

- a trade strictly through a resting order's price fills it;
- a trade at its price advances its queue position; it fills once the trades have eaten
  past it (the queue model's test, evaluated right after the trade);
- the opposite best price moving onto or through it fills it (a crossing order arrived);
- every resting fill is a maker fill at the order's own price.

In partial mode a queue fill is limited to the lots traded past the order's place and a
crossing best fills at most the size resting at or better than the order.
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.account import apply_fill, fill_fee, latency
from falconet.sim.kernel.depth import clear_side, level_qty, set_ask, set_bid
from falconet.sim.kernel.jit import kernel
from falconet.sim.kernel.queue import filled_lots, on_depth, on_trade
from falconet.sim.kernel.resting import deactivate, first_at
from falconet.sim.kernel.slots import queue_push
from falconet.sim.layout import (
    E_FILL,
    F_PROB_N,
    F_UNIT,
    LK_PLACE,
    M_EXEC_QTY,
    M_EXEC_TICK,
    M_KIND,
    M_LEAVES,
    M_LTS,
    M_MAKER,
    M_QTY,
    M_REASON,
    M_SLOT,
    M_STATUS,
    M_TICK,
    M_XTS,
    MF_FEE,
    MF_FEE_BASE,
    NO_ASK,
    NO_BID,
    O_LTS,
    O_REFS,
    O_SIDE,
    O_XEXEC,
    O_XLEAVES,
    O_XNEXT,
    O_XQTY,
    O_XSTATUS,
    O_XTICK,
    O_XTS,
    OF_CUM,
    OF_FRONT,
    RS_NONE,
    S_LOT,
    S_PARTIAL,
    S_QUEUE,
    S_XAHI,
    S_XALO,
    S_XBA,
    S_XBB,
    S_XBHI,
    S_XBLO,
    S_XBUY_HI,
    S_XBUY_LO,
    S_XSELL_HI,
    S_XSELL_LO,
    ST_FILLED,
    ST_PARTIAL,
)


@kernel
def respond(
    S: np.ndarray,
    O: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    slot: int,
    kind: int,
    ts: int,
    resp_latency: int,
    exec_tick: int,
    exec_qty: int,
    maker: int,
    reason: int,
    fee: float,
    fee_base: float,
) -> None:
    row = queue_push(S, Q, QF, 1, ts + resp_latency)
    if row < 0:
        raise RuntimeError("response queue full")
    Q[1, row, M_SLOT] = slot
    Q[1, row, M_KIND] = kind
    Q[1, row, M_TICK] = O[slot, O_XTICK]
    Q[1, row, M_QTY] = O[slot, O_XQTY]
    Q[1, row, M_EXEC_TICK] = exec_tick
    Q[1, row, M_EXEC_QTY] = exec_qty
    Q[1, row, M_LEAVES] = O[slot, O_XLEAVES]
    Q[1, row, M_MAKER] = maker
    Q[1, row, M_REASON] = reason
    Q[1, row, M_XTS] = ts
    Q[1, row, M_LTS] = O[slot, O_LTS]
    Q[1, row, M_STATUS] = O[slot, O_XSTATUS]
    QF[1, row, MF_FEE] = fee
    QF[1, row, MF_FEE_BASE] = fee_base
    O[slot, O_REFS] += 1


@kernel
def fill(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    B: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    exec_tick: int,
    qty: int,
    maker: int,
    ts: int,
) -> None:
    side = O[slot, O_SIDE]
    fee, fee_base = fill_fee(S, F, side, maker, exec_tick, qty)
    apply_fill(S, F, False, side, exec_tick, qty, fee, fee_base)
    O[slot, O_XLEAVES] -= qty
    O[slot, O_XEXEC] += qty
    O[slot, O_XTS] = ts
    if O[slot, O_XLEAVES] <= 0:
        O[slot, O_XLEAVES] = 0
        O[slot, O_XSTATUS] = ST_FILLED
        deactivate(S, O, B, IX, slot)
    else:
        O[slot, O_XSTATUS] = ST_PARTIAL
    resp = latency(LATC, LATT, LK_PLACE, ts)[1]
    respond(S, O, Q, QF, slot, E_FILL, ts, resp, exec_tick, qty, maker, RS_NONE, fee, fee_base)


@kernel
def book_qty_through(S: np.ndarray, levels: np.ndarray, is_bid: bool, tick: int) -> int:
    """Size resting on one side at prices at or better than `tick` (for a buy order's
    crossing asks: asks <= tick; for a sell's crossing bids: bids >= tick)."""
    total = 0
    if is_bid:
        best = S[S_XBB]
        t = best
        while t >= tick and t != NO_BID:
            total += level_qty(S, levels, t)
            t -= 1
    else:
        best = S[S_XBA]
        t = best
        while t <= tick and t != NO_ASK:
            total += level_qty(S, levels, t)
            t += 1
    return total


@kernel
def cross_fills(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    B: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    side: int,
    lo: int,
    hi: int,
    ts: int,
) -> bool:
    """Fill our resting orders of `side` whose tick is in [lo, hi]: the opposite best moved
    onto them. Returns whether anything filled."""
    any_fill = False
    partial = S[S_PARTIAL] == 1
    if side > 0:
        lo, hi = max(lo, S[S_XBUY_LO]), min(hi, S[S_XBUY_HI])
    else:
        lo, hi = max(lo, S[S_XSELL_LO]), min(hi, S[S_XSELL_HI])
    for t in range(lo, hi + 1):
        slot = first_at(S, B, side, t)
        while slot >= 0:
            nxt = O[slot, O_XNEXT]
            qty = O[slot, O_XLEAVES]
            if partial:
                avail = book_qty_through(S, B[1] if side > 0 else B[0], side < 0, t)
                lot = S[S_LOT]
                qty = min(qty, (avail // lot) * lot)
            if qty > 0:
                fill(S, F, O, B, IX, Q, QF, LATC, LATT, slot, t, qty, 1, ts)
                any_fill = True
            slot = nxt
    return any_fill


@kernel
def queue_depth(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    B: np.ndarray,
    side: int,
    tick: int,
    prev: int,
    new: int,
) -> None:
    """The level at `tick` changed: move the queue position of our orders resting there."""
    slot = first_at(S, B, side, tick)
    if slot < 0:
        return
    model = S[S_QUEUE]
    n = F[F_PROB_N]
    unit = F[F_UNIT]
    while slot >= 0:
        front, cum = on_depth(
            model, n, unit, OF[slot, OF_FRONT], OF[slot, OF_CUM], float(prev), float(new)
        )
        OF[slot, OF_FRONT] = front
        OF[slot, OF_CUM] = cum
        slot = O[slot, O_XNEXT]


@kernel
def _trade_at(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    B: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    passive: int,
    t: int,
    tick: int,
    qty: int,
    ts: int,
) -> bool:
    """Our orders at tick `t` against a trade at `tick` (at or through their price)."""
    lot = float(S[S_LOT])
    partial = S[S_PARTIAL] == 1
    any_fill = False
    slot = first_at(S, B, passive, t)
    while slot >= 0:
        nxt = O[slot, O_XNEXT]
        if t != tick:  # traded through: the whole level went before the print
            fill(S, F, O, B, IX, Q, QF, LATC, LATT, slot, t, O[slot, O_XLEAVES], 1, ts)
            any_fill = True
        else:
            front, cum = on_trade(OF[slot, OF_FRONT], OF[slot, OF_CUM], float(qty))
            OF[slot, OF_FRONT] = front
            OF[slot, OF_CUM] = cum
            lots = filled_lots(front, lot)
            if lots > 0:
                fill_qty = O[slot, O_XLEAVES]
                if partial:
                    fill_qty = min(fill_qty, int(lots) * S[S_LOT])
                    OF[slot, OF_FRONT] = 0.0  # what is left stays first in line
                fill(S, F, O, B, IX, Q, QF, LATC, LATT, slot, t, fill_qty, 1, ts)
                any_fill = True
        slot = nxt
    return any_fill


@kernel
def trade(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    B: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    aggressor: int,
    tick: int,
    qty: int,
    ts: int,
) -> bool:
    """A trade: our passive orders on the other side at or through its price."""
    any_fill = False
    if aggressor < 0:  # sellers hit bids: our buys at tick and above
        hi = S[S_XBUY_HI]
        for t in range(max(tick, S[S_XBUY_LO]), hi + 1):
            if _trade_at(S, F, O, OF, B, IX, Q, QF, LATC, LATT, 1, t, tick, qty, ts):
                any_fill = True
    else:  # buyers lift asks: our sells at tick and below
        lo = S[S_XSELL_LO]
        for t in range(min(tick, S[S_XSELL_HI]), lo - 1, -1):
            if _trade_at(S, F, O, OF, B, IX, Q, QF, LATC, LATT, -1, t, tick, qty, ts):
                any_fill = True
    return any_fill


@kernel
def clear_rows(S: np.ndarray, B: np.ndarray, side: int) -> None:
    """A CLEAR row: empty the side(s) of the exchange book; our orders keep their place."""
    if side >= 0:
        clear_side(S, B[0], True, S_XBB, S_XBLO, S_XBHI)
    if side <= 0:
        clear_side(S, B[1], False, S_XBA, S_XALO, S_XAHI)


@kernel
def bbo_prepare(S: np.ndarray, B: np.ndarray, side: int, tick: int) -> None:
    """A BBO row in data without depth: levels better than the new best are gone."""
    if side > 0:
        while S[S_XBB] != NO_BID and S[S_XBB] > tick:
            set_bid(S, B[0], B[1], S[S_XBB], 0, S_XBB, S_XBA, S_XBLO, S_XBHI, S_XAHI)
    else:
        while S[S_XBA] != NO_ASK and S[S_XBA] < tick:
            set_ask(S, B[0], B[1], S[S_XBA], 0, S_XBB, S_XBA, S_XALO, S_XAHI, S_XBLO)
