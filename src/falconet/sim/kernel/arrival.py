"""Requests reaching the exchange: new orders (checks, crossing, taking liquidity, resting),
cancels and amends, answered through the response queue."""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.account import latency
from falconet.sim.kernel.depth import level_qty
from falconet.sim.kernel.exchange import book_qty_through, fill, respond
from falconet.sim.kernel.jit import kernel
from falconet.sim.kernel.resting import activate, deactivate
from falconet.sim.kernel.slots import IX_ACT, try_release
from falconet.sim.layout import (
    E_ACCEPTED,
    E_AMEND_REJECTED,
    E_AMENDED,
    E_CANCEL_REJECTED,
    E_CANCELED,
    E_EXPIRED,
    E_REJECTED,
    F_INIT_BAL,
    F_INIT_BASE,
    F_LEVERAGE,
    F_TAKER,
    F_TICK,
    F_UNIT,
    F_XBAL,
    F_XFEE,
    F_XPOSF,
    LK_AMEND,
    LK_CANCEL,
    LK_PLACE,
    NO_ASK,
    NO_BID,
    O_REDUCE,
    O_SIDE,
    O_TIF,
    O_TYPE,
    O_XALIVE,
    O_XEXEC,
    O_XLEAVES,
    O_XQTY,
    O_XSTATUS,
    O_XTICK,
    O_XTS,
    OF_CUM,
    OF_FRONT,
    R_AMEND,
    R_CANCEL,
    R_NEW,
    RS_BAD_REQUEST,
    RS_BALANCE,
    RS_FOK_UNFILLED,
    RS_IOC_UNFILLED,
    RS_NO_LIQUIDITY,
    RS_NONE,
    RS_NOT_FOUND,
    RS_POST_ONLY,
    RS_REDUCE_ONLY,
    S_AMEND_KEEPS_PRIORITY,
    S_BASE,
    S_CHECK_BALANCE,
    S_IS_SPOT,
    S_NACT,
    S_PARTIAL,
    S_POST_ONLY_REJECT,
    S_XAHI,
    S_XBA,
    S_XBB,
    S_XBLO,
    S_XPOS,
    ST_CANCELED,
    ST_EXPIRED,
    ST_NEW,
    ST_PARTIAL,
    ST_REJECTED,
    TIF_FOK,
    TIF_IOC,
    TIF_POST_ONLY,
    TYPE_MARKET,
)


@kernel
def _balance_ok(S: np.ndarray, F: np.ndarray, O: np.ndarray, IX: np.ndarray, slot: int) -> bool:
    """Would the venue accept this order with what the account holds?"""
    side = O[slot, O_SIDE]
    price = O[slot, O_XTICK] * F[F_TICK]
    if O[slot, O_TYPE] == TYPE_MARKET:
        best = S[S_XBA] if side > 0 else S[S_XBB]
        price = best * F[F_TICK]
    qty = O[slot, O_XLEAVES] * F[F_UNIT]
    # what open orders already commit
    open_buy, open_sell = 0.0, 0.0
    for k in range(S[S_NACT]):
        s = IX[IX_ACT, k]
        if s != slot and O[s, O_XALIVE]:
            v = O[s, O_XLEAVES] * F[F_UNIT]
            if O[s, O_SIDE] > 0:
                open_buy += v * O[s, O_XTICK] * F[F_TICK]
            else:
                open_sell += v
    cash = F[F_INIT_BAL] + F[F_XBAL] - F[F_XFEE]
    if S[S_IS_SPOT] == 1:
        if side > 0:
            return cash - open_buy >= price * qty * (1.0 + max(F[F_TAKER], 0.0))
        return F[F_INIT_BASE] + F[F_XPOSF] - open_sell >= qty - 1e-12
    mid = price
    if S[S_XBB] != NO_BID and S[S_XBA] != NO_ASK:
        mid = (S[S_XBB] + S[S_XBA]) * 0.5 * F[F_TICK]
    equity = cash + (F[F_INIT_BASE] + F[F_XPOSF]) * mid
    lev = F[F_LEVERAGE]
    pos_after = abs(F[F_XPOSF] + side * qty)
    committed = abs(F[F_XPOSF]) * mid + open_buy + open_sell * mid
    need = (max(pos_after * mid, committed) + price * qty) / lev
    return equity >= need


@kernel
def _rest(S: np.ndarray, O: np.ndarray, OF: np.ndarray, B: np.ndarray, slot: int, ts: int) -> None:
    side = O[slot, O_SIDE]
    tick = O[slot, O_XTICK]
    OF[slot, OF_FRONT] = float(level_qty(S, B[0] if side > 0 else B[1], tick))
    OF[slot, OF_CUM] = 0.0
    O[slot, O_XSTATUS] = ST_PARTIAL if O[slot, O_XEXEC] > 0 else ST_NEW
    O[slot, O_XTS] = ts
    activate(S, O, B, slot)


@kernel
def _take(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    B: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    ts: int,
) -> None:
    """A crossing order takes liquidity. No-partial mode: all of it at the best price.
    Partial mode: level by level up to its limit."""
    side = O[slot, O_SIDE]
    market = O[slot, O_TYPE] == TYPE_MARKET
    limit = O[slot, O_XTICK]
    if S[S_PARTIAL] == 0:
        best = S[S_XBA] if side > 0 else S[S_XBB]
        fill(S, F, O, B, IX, Q, QF, LATC, LATT, slot, best, O[slot, O_XLEAVES], 0, ts)
        return
    levels = B[1] if side > 0 else B[0]
    t = S[S_XBA] if side > 0 else S[S_XBB]
    base = S[S_BASE]
    # the walk ends at the limit, or where levels were never written
    edge = S[S_XAHI] + base if side > 0 else S[S_XBLO] + base
    while O[slot, O_XLEAVES] > 0 and t != NO_ASK and t != NO_BID:
        if (t > edge) if side > 0 else (t < edge):
            break
        if not market and ((t > limit) if side > 0 else (t < limit)):
            break
        avail = level_qty(S, levels, t)
        if avail > 0:
            take = min(O[slot, O_XLEAVES], avail)
            fill(S, F, O, B, IX, Q, QF, LATC, LATT, slot, t, take, 0, ts)
        t += side


@kernel
def order_arrival(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    IX: np.ndarray,
    B: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    req: int,
    new_tick: int,
    new_qty: int,
    ts: int,
) -> None:
    """A request reaches the exchange at `ts`."""
    if req == R_NEW:
        O[slot, O_XTICK] = new_tick
        O[slot, O_XQTY] = new_qty
        O[slot, O_XLEAVES] = new_qty
        O[slot, O_XEXEC] = 0
        _arrive_new(S, F, O, OF, IX, B, Q, QF, LATC, LATT, slot, ts)
    elif req == R_CANCEL:
        resp = latency(LATC, LATT, LK_CANCEL, ts)[1]
        if O[slot, O_XALIVE]:
            deactivate(S, O, B, IX, slot)
            O[slot, O_XSTATUS] = ST_CANCELED
            O[slot, O_XTS] = ts
            respond(S, O, Q, QF, slot, E_CANCELED, ts, resp, 0, 0, 0, RS_NONE, 0.0, 0.0)
        else:
            respond(S, O, Q, QF, slot, E_CANCEL_REJECTED, ts, resp, 0, 0, 0, RS_NOT_FOUND, 0.0, 0.0)
    elif req == R_AMEND:
        _arrive_amend(S, F, O, OF, IX, B, Q, QF, LATC, LATT, slot, new_tick, new_qty, ts)
    try_release(S, O, IX, slot)


@kernel
def _crosses(S: np.ndarray, O: np.ndarray, slot: int) -> bool:
    if O[slot, O_SIDE] > 0:
        return S[S_XBA] != NO_ASK and (
            O[slot, O_TYPE] == TYPE_MARKET or O[slot, O_XTICK] >= S[S_XBA]
        )
    return S[S_XBB] != NO_BID and (O[slot, O_TYPE] == TYPE_MARKET or O[slot, O_XTICK] <= S[S_XBB])


@kernel
def _refuse(
    S: np.ndarray,
    O: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    slot: int,
    reason: int,
    expired: bool,
    ts: int,
    resp: int,
) -> None:
    O[slot, O_XSTATUS] = ST_EXPIRED if expired else ST_REJECTED
    kind = E_EXPIRED if expired else E_REJECTED
    respond(S, O, Q, QF, slot, kind, ts, resp, 0, 0, 0, reason, 0.0, 0.0)


@kernel
def _arrive_new(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    IX: np.ndarray,
    B: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    ts: int,
) -> None:
    resp = latency(LATC, LATT, LK_PLACE, ts)[1]
    side = O[slot, O_SIDE]
    tif = O[slot, O_TIF]
    O[slot, O_XTS] = ts
    if O[slot, O_XQTY] <= 0:
        _refuse(S, O, Q, QF, slot, RS_BAD_REQUEST, False, ts, resp)
        return
    if O[slot, O_REDUCE] == 1:
        pos = S[S_XPOS]
        if pos == 0 or (pos > 0) == (side > 0):
            _refuse(S, O, Q, QF, slot, RS_REDUCE_ONLY, False, ts, resp)
            return
        O[slot, O_XLEAVES] = min(O[slot, O_XLEAVES], abs(pos))
    if S[S_CHECK_BALANCE] == 1 and not _balance_ok(S, F, O, IX, slot):
        _refuse(S, O, Q, QF, slot, RS_BALANCE, False, ts, resp)
        return
    if _crosses(S, O, slot):
        if tif == TIF_POST_ONLY:
            _refuse(S, O, Q, QF, slot, RS_POST_ONLY, S[S_POST_ONLY_REJECT] == 0, ts, resp)
            return
        if tif == TIF_FOK and S[S_PARTIAL] == 1:
            levels = B[1] if side > 0 else B[0]
            limit = O[slot, O_XTICK]
            if O[slot, O_TYPE] == TYPE_MARKET:
                limit = 2**62 if side > 0 else -(2**62)
            if book_qty_through(S, levels, side < 0, limit) < O[slot, O_XLEAVES]:
                _refuse(S, O, Q, QF, slot, RS_FOK_UNFILLED, True, ts, resp)
                return
        _take(S, F, O, IX, B, Q, QF, LATC, LATT, slot, ts)
        if O[slot, O_XLEAVES] > 0:  # partial mode: what the book could not give
            if tif == TIF_IOC or tif == TIF_FOK or O[slot, O_TYPE] == TYPE_MARKET:
                O[slot, O_XSTATUS] = ST_CANCELED
                respond(S, O, Q, QF, slot, E_CANCELED, ts, resp, 0, 0, 0, RS_IOC_UNFILLED, 0.0, 0.0)
            else:
                _rest(S, O, OF, B, slot, ts)
        return
    if O[slot, O_TYPE] == TYPE_MARKET:
        _refuse(S, O, Q, QF, slot, RS_NO_LIQUIDITY, False, ts, resp)
        return
    if tif == TIF_IOC or tif == TIF_FOK:
        reason = RS_IOC_UNFILLED if tif == TIF_IOC else RS_FOK_UNFILLED
        _refuse(S, O, Q, QF, slot, reason, True, ts, resp)
        return
    _rest(S, O, OF, B, slot, ts)
    respond(S, O, Q, QF, slot, E_ACCEPTED, ts, resp, 0, 0, 0, RS_NONE, 0.0, 0.0)


@kernel
def _arrive_amend(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    IX: np.ndarray,
    B: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    new_tick: int,
    new_qty: int,
    ts: int,
) -> None:
    resp = latency(LATC, LATT, LK_AMEND, ts)[1]
    if not O[slot, O_XALIVE]:
        respond(S, O, Q, QF, slot, E_AMEND_REJECTED, ts, resp, 0, 0, 0, RS_NOT_FOUND, 0.0, 0.0)
        return
    if new_qty <= O[slot, O_XEXEC]:
        respond(S, O, Q, QF, slot, E_AMEND_REJECTED, ts, resp, 0, 0, 0, RS_BAD_REQUEST, 0.0, 0.0)
        return
    old_tick, old_qty = O[slot, O_XTICK], O[slot, O_XQTY]
    O[slot, O_XTS] = ts
    if new_tick == old_tick and new_qty <= old_qty and S[S_AMEND_KEEPS_PRIORITY] == 1:
        O[slot, O_XQTY] = new_qty  # smaller, same price: the queue spot is kept
        O[slot, O_XLEAVES] = new_qty - O[slot, O_XEXEC]
        respond(S, O, Q, QF, slot, E_AMENDED, ts, resp, 0, 0, 0, RS_NONE, 0.0, 0.0)
        return
    deactivate(S, O, B, IX, slot)
    O[slot, O_XTICK] = new_tick
    O[slot, O_XQTY] = new_qty
    O[slot, O_XLEAVES] = new_qty - O[slot, O_XEXEC]
    if _crosses(S, O, slot):
        if O[slot, O_TIF] == TIF_POST_ONLY:  # refused: the order stays as and where it was
            O[slot, O_XTICK], O[slot, O_XQTY] = old_tick, old_qty
            O[slot, O_XLEAVES] = old_qty - O[slot, O_XEXEC]
            activate(S, O, B, slot)
            respond(S, O, Q, QF, slot, E_AMEND_REJECTED, ts, resp, 0, 0, 0, RS_POST_ONLY, 0.0, 0.0)
            return
        respond(S, O, Q, QF, slot, E_AMENDED, ts, resp, 0, 0, 0, RS_NONE, 0.0, 0.0)
        _take(S, F, O, IX, B, Q, QF, LATC, LATT, slot, ts)
        if O[slot, O_XLEAVES] > 0:
            _rest(S, O, OF, B, slot, ts)
        return
    _rest(S, O, OF, B, slot, ts)  # a new place in the queue at the new price
    respond(S, O, Q, QF, slot, E_AMENDED, ts, resp, 0, 0, 0, RS_NONE, 0.0, 0.0)
