"""The local view: market data as the strategy receives it (at local time) and the
venue's responses to our orders, applied to what the strategy sees and logged."""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.account import apply_fill
from falconet.sim.kernel.depth import clear_side, set_ask, set_bid
from falconet.sim.kernel.eventlog import log_event
from falconet.sim.kernel.jit import kernel
from falconet.sim.kernel.slots import try_release
from falconet.sim.layout import (
    E_ACCEPTED,
    E_AMEND_REJECTED,
    E_AMENDED,
    E_CANCEL_REJECTED,
    E_CANCELED,
    E_EXPIRED,
    E_FILL,
    E_REJECTED,
    K_BBO,
    K_CLEAR,
    K_TRADE,
    M_EXEC_QTY,
    M_EXEC_TICK,
    M_KIND,
    M_LEAVES,
    M_LTS,
    M_MAKER,
    M_QTY,
    M_REASON,
    M_SLOT,
    M_TICK,
    M_XTS,
    MF_FEE,
    MF_FEE_BASE,
    NO_ASK,
    NO_BID,
    O_LACK,
    O_LALIVE,
    O_LEXEC,
    O_LLEAVES,
    O_LQTY,
    O_LREQ,
    O_LSTATUS,
    O_LTICK,
    O_LTS,
    O_LUPD,
    O_REFS,
    O_SIDE,
    R_NONE,
    S_BOOK_CHANGED,
    S_FILLS,
    S_LAHI,
    S_LALO,
    S_LBA,
    S_LBB,
    S_LBHI,
    S_LBLO,
    S_NTR,
    S_REJECTS,
    S_RSP_HEAD,
    S_TRADED,
    S_USE_BBO,
    ST_CANCELED,
    ST_EXPIRED,
    ST_FILLED,
    ST_NEW,
    ST_PARTIAL,
    ST_REJECTED,
    TR_QTY,
    TR_SIDE,
    TR_TICK,
    TR_TS,
)


@kernel
def local_row(
    S: np.ndarray,
    B: np.ndarray,
    TR: np.ndarray,
    kind: int,
    side: int,
    tick: int,
    qty: int,
    ts: int,
) -> None:
    """Apply one market-data row other than DEPTH/SNAPSHOT (the loop applies those
    inline) to the strategy's view: BBO rows when they drive the book, trades, clears."""
    if kind == K_BBO and S[S_USE_BBO] == 1:
        if side > 0:  # a new best: better levels are gone
            while S[S_LBB] != NO_BID and S[S_LBB] > tick:
                set_bid(S, B[2], B[3], S[S_LBB], 0, S_LBB, S_LBA, S_LBLO, S_LBHI, S_LAHI)
            set_bid(S, B[2], B[3], tick, qty, S_LBB, S_LBA, S_LBLO, S_LBHI, S_LAHI)
        elif side < 0:
            while S[S_LBA] != NO_ASK and S[S_LBA] < tick:
                set_ask(S, B[2], B[3], S[S_LBA], 0, S_LBB, S_LBA, S_LALO, S_LAHI, S_LBLO)
            set_ask(S, B[2], B[3], tick, qty, S_LBB, S_LBA, S_LALO, S_LAHI, S_LBLO)
        S[S_BOOK_CHANGED] = 1
    elif kind == K_TRADE:
        k = S[S_NTR] % TR.shape[0]
        TR[k, TR_TS] = ts
        TR[k, TR_SIDE] = side
        TR[k, TR_TICK] = tick
        TR[k, TR_QTY] = qty
        S[S_NTR] += 1
        S[S_TRADED] = 1
    elif kind == K_CLEAR:
        if side >= 0:
            clear_side(S, B[2], True, S_LBB, S_LBLO, S_LBHI)
        if side <= 0:
            clear_side(S, B[3], False, S_LBA, S_LALO, S_LAHI)
        S[S_BOOK_CHANGED] = 1


@kernel
def local_response(
    S: np.ndarray,
    F: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
) -> None:
    """Pop the head response and apply it to the local view."""
    row = S[S_RSP_HEAD]
    S[S_RSP_HEAD] = row + 1
    ts = Q[1, row, 0]
    slot = Q[1, row, M_SLOT]
    kind = Q[1, row, M_KIND]
    xts = Q[1, row, M_XTS]
    leaves = Q[1, row, M_LEAVES]
    O[slot, O_REFS] -= 1
    if not O[slot, O_LALIVE]:  # the local side is done with it: nothing left to update
        try_release(S, O, IX, slot)
        return
    O[slot, O_LUPD] = ts
    if kind == E_FILL:
        qty = Q[1, row, M_EXEC_QTY]
        tick = Q[1, row, M_EXEC_TICK]
        fee, fee_base = QF[1, row, MF_FEE], QF[1, row, MF_FEE_BASE]
        apply_fill(S, F, True, O[slot, O_SIDE], tick, qty, fee, fee_base)
        S[S_FILLS] += 1
        O[slot, O_LEXEC] += qty
        O[slot, O_LLEAVES] = leaves
        if leaves <= 0:
            O[slot, O_LSTATUS] = ST_FILLED
            O[slot, O_LREQ] = R_NONE
        else:
            O[slot, O_LSTATUS] = ST_PARTIAL
        log_event(
            S,
            O,
            EV,
            EVF,
            slot,
            kind,
            ts,
            xts,
            tick,
            qty,
            leaves,
            Q[1, row, M_MAKER],
            0,
            fee,
            fee_base,
        )
    else:
        reason = Q[1, row, M_REASON]
        if kind == E_ACCEPTED:
            O[slot, O_LSTATUS] = ST_PARTIAL if O[slot, O_LEXEC] > 0 else ST_NEW
            O[slot, O_LREQ] = R_NONE
            O[slot, O_LACK] = ts
        elif kind == E_EXPIRED or kind == E_REJECTED:
            O[slot, O_LSTATUS] = ST_EXPIRED if kind == E_EXPIRED else ST_REJECTED
            O[slot, O_LREQ] = R_NONE
            S[S_REJECTS] += 1
        elif kind == E_CANCELED:
            O[slot, O_LSTATUS] = ST_CANCELED
            O[slot, O_LREQ] = R_NONE
        elif kind == E_CANCEL_REJECTED or kind == E_AMEND_REJECTED:
            # only the answer to the latest request clears it
            if Q[1, row, M_LTS] == O[slot, O_LTS]:
                O[slot, O_LREQ] = R_NONE
        elif kind == E_AMENDED:
            O[slot, O_LTICK] = Q[1, row, M_TICK]
            O[slot, O_LQTY] = Q[1, row, M_QTY]
            O[slot, O_LLEAVES] = leaves
            O[slot, O_LREQ] = R_NONE
        log_event(
            S,
            O,
            EV,
            EVF,
            slot,
            kind,
            ts,
            xts,
            Q[1, row, M_TICK],
            Q[1, row, M_QTY],
            leaves,
            0,
            reason,
            0.0,
            0.0,
        )
    status = O[slot, O_LSTATUS]
    if (
        status == ST_FILLED
        or status == ST_CANCELED
        or status == ST_EXPIRED
        or status == ST_REJECTED
    ):
        O[slot, O_LALIVE] = 0
    try_release(S, O, IX, slot)
