"""The event loop: replays both views of the data and the order traffic between them in
one deterministic order, until a time or a wake-up condition.

At equal timestamps: local data, then responses reaching the local side, then exchange
data, then requests reaching the exchange, then funding. So an order that reaches the
exchange at T sees the book after every row stamped T, and is not touched by trades at
T. `advance` processes every event stamped <= `until`, then sets the local time to
`until` (W_TIME); with wake-up flags it returns right after the local rows of one
timestamp changed the book (W_BOOK) or carried a trade (W_TRADE).
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.arrival import order_arrival
from falconet.sim.kernel.commands import run_commands
from falconet.sim.kernel.depth import set_ask, set_bid
from falconet.sim.kernel.exchange import (
    bbo_prepare,
    clear_rows,
    cross_fills,
    queue_depth,
    trade,
)
from falconet.sim.kernel.jit import kernel
from falconet.sim.kernel.local import local_response, local_row
from falconet.sim.kernel.slots import queue_head_ts
from falconet.sim.layout import (
    F_FUNDING,
    F_LBAL,
    F_LFEE,
    F_LNTRADES,
    F_LPOSF,
    F_LVAL,
    F_LVOL,
    F_TICK,
    F_XBAL,
    F_XFUNDING,
    F_XPOSF,
    K_BBO,
    K_CLEAR,
    K_DEPTH,
    K_SNAPSHOT,
    K_TRADE,
    M_KIND,
    M_QTY,
    M_SLOT,
    M_TICK,
    NO_ASK,
    NO_BID,
    O_REFS,
    R_ASK,
    R_BID,
    R_POS,
    R_TS,
    RF_BAL,
    RF_FEE,
    RF_FUNDING,
    RF_NTRADES,
    RF_POS,
    RF_VAL,
    RF_VOL,
    S_BASE,
    S_BOOK_CHANGED,
    S_FUND_ROW,
    S_IS_SPOT,
    S_LAHI,
    S_LALO,
    S_LBA,
    S_LBB,
    S_LBHI,
    S_LBLO,
    S_LPOS,
    S_LROW,
    S_NCMD,
    S_NEV,
    S_NOW,
    S_NREC,
    S_NROWS,
    S_REQ_HEAD,
    S_REQ_TAIL,
    S_RSP_HEAD,
    S_RSP_TAIL,
    S_TRADED,
    S_USE_BBO,
    S_WAKE,
    S_WAKE_DEPTH,
    S_XAHI,
    S_XALO,
    S_XBA,
    S_XBB,
    S_XBHI,
    S_XBLO,
    S_XBUY_HI,
    S_XBUY_LO,
    S_XBUY_N,
    S_XROW,
    S_XSELL_HI,
    S_XSELL_LO,
    S_XSELL_N,
    W_BOOK,
    W_END,
    W_FULL,
    W_TIME,
    W_TRADE,
)

MAX_TS = 2**63 - 1
WAKE_BOOK = 1
WAKE_TRADE = 2


@kernel
def in_top(S: np.ndarray, lb: np.ndarray, la: np.ndarray, tick: int, bid: bool) -> bool:
    """Whether `tick` is (or was, if just emptied) among the S_WAKE_DEPTH best levels of
    its side: fewer than that many non-empty levels lie between the best and it. The walk
    stops after that many levels, so its cost is bounded by the depth asked for (and the
    empty ticks in between)."""
    depth = S[S_WAKE_DEPTH]
    base = S[S_BASE]
    best = S[S_LBB] if bid else S[S_LBA]
    if best == NO_BID or best == NO_ASK:
        return True  # the side is empty: any level is its top
    if (bid and tick > best) or (not bid and tick < best):
        return False  # beyond the touch without moving it: an empty level emptied again
    levels = lb if bid else la
    step = -1 if bid else 1
    i = best - base
    end = min(max(tick - base, -1), levels.shape[0])
    better = 0
    while i != end and better < depth:
        if levels[i] > 0:
            better += 1
        i += step
    return better < depth


@kernel
def _record(S: np.ndarray, F: np.ndarray, REC: np.ndarray, RECF: np.ndarray) -> None:
    n = S[S_NREC]
    REC[n, R_TS] = S[S_NOW]
    REC[n, R_BID] = S[S_LBB]
    REC[n, R_ASK] = S[S_LBA]
    REC[n, R_POS] = S[S_LPOS]
    RECF[n, RF_POS] = F[F_LPOSF]
    RECF[n, RF_BAL] = F[F_LBAL]
    RECF[n, RF_FEE] = F[F_LFEE]
    RECF[n, RF_VOL] = F[F_LVOL]
    RECF[n, RF_VAL] = F[F_LVAL]
    RECF[n, RF_NTRADES] = F[F_LNTRADES]
    RECF[n, RF_FUNDING] = F[F_FUNDING]
    S[S_NREC] = n + 1


@kernel
def _funding(S: np.ndarray, F: np.ndarray, FUND: np.ndarray) -> None:
    """A funding payment at the exchange mid: longs pay a positive rate."""
    row = S[S_FUND_ROW]
    S[S_FUND_ROW] = row + 1
    if S[S_IS_SPOT] == 1 or S[S_XBB] == NO_BID or S[S_XBA] == NO_ASK:
        return
    mark = (S[S_XBB] + S[S_XBA]) * 0.5 * F[F_TICK]
    rate = FUND[row, 1] * 1e-12
    payment = F[F_XPOSF] * mark * rate
    F[F_XBAL] -= payment
    F[F_XFUNDING] += payment
    F[F_LBAL] -= payment
    F[F_FUNDING] += payment


@kernel
def _room(S: np.ndarray, O: np.ndarray, Q: np.ndarray, EV: np.ndarray, REC: np.ndarray) -> bool:
    """Enough space for whatever one more event can produce."""
    margin = O.shape[0] + 16
    if S[S_NEV] + margin >= EV.shape[0] or S[S_NREC] + 2 >= REC.shape[0]:
        return False
    cap = Q.shape[1]
    return (
        S[S_REQ_TAIL] - S[S_REQ_HEAD] + margin < cap
        and S[S_RSP_TAIL] - S[S_RSP_HEAD] + margin < cap
    )


@kernel
def advance(
    S: np.ndarray,
    F: np.ndarray,
    xts: np.ndarray,
    lts: np.ndarray,
    kind: np.ndarray,
    side: np.ndarray,
    tick: np.ndarray,
    qty: np.ndarray,
    lorder: np.ndarray,
    B: np.ndarray,
    O: np.ndarray,
    OF: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
    REC: np.ndarray,
    RECF: np.ndarray,
    CMD: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    FUND: np.ndarray,
    TR: np.ndarray,
    until: int,
    wake: int,
    record: bool,
) -> int:
    if S[S_NCMD] > 0:
        run_commands(S, O, IX, Q, QF, EV, EVF, CMD, LATC, LATT)
    S[S_BOOK_CHANGED] = 0
    S[S_TRADED] = 0
    ident = lorder.shape[0] == 0  # the local view replays the file order
    xb, xa, lb, la = B[0], B[1], B[2], B[3]
    n = S[S_NROWS]
    nfund = FUND.shape[0]
    while True:
        if not _room(S, O, Q, EV, REC):
            S[S_WAKE] = W_FULL
            return W_FULL
        tlo = queue_head_ts(S, Q, 1)
        txo = queue_head_ts(S, Q, 0)
        frow = S[S_FUND_ROW]
        tf = FUND[frow, 0] if frow < nfund else MAX_TS
        t_ord = min(tlo, txo, tf)
        # Market data up to the next order event, in a tight loop. At equal times local
        # data comes first, then responses, then exchange data, then requests.
        touched = False
        while True:
            lrow = S[S_LROW]
            xrow = S[S_XROW]
            tl = lts[lrow if ident else lorder[lrow]] if lrow < n else MAX_TS
            tx = xts[xrow] if xrow < n else MAX_TS
            if tl <= tx:
                t = tl
                if t > until or t > t_ord or t == MAX_TS:
                    break
                r = lrow if ident else lorder[lrow]
                k = kind[r]
                if k == K_DEPTH or k == K_SNAPSHOT:
                    tk = tick[r]
                    pb, pa = S[S_LBB], S[S_LBA]
                    if side[r] > 0:
                        set_bid(S, lb, la, tk, qty[r], S_LBB, S_LBA, S_LBLO, S_LBHI, S_LAHI)
                    else:
                        set_ask(S, lb, la, tk, qty[r], S_LBB, S_LBA, S_LALO, S_LAHI, S_LBLO)
                    # the top of book changed: a best price moved, or a best level's size
                    # (or, if asked for, a level within the top N)
                    top = S[S_LBB] != pb or S[S_LBA] != pa or tk == pb or tk == pa
                    if top or (S[S_WAKE_DEPTH] > 1 and in_top(S, lb, la, tk, side[r] > 0)):
                        S[S_BOOK_CHANGED] = 1
                else:
                    local_row(S, B, TR, k, side[r], tick[r], qty[r], t)
                S[S_LROW] = lrow + 1
                if wake != 0:
                    hit = 0
                    if wake & WAKE_BOOK and S[S_BOOK_CHANGED]:
                        hit = W_BOOK
                    if wake & WAKE_TRADE and S[S_TRADED]:
                        hit = W_TRADE
                    if hit != 0:
                        nr = lrow + 1
                        nxt = lts[nr if ident else lorder[nr]] if nr < n else MAX_TS
                        if nxt != t:  # the whole message is applied
                            S[S_NOW] = t
                            if record:
                                _record(S, F, REC, RECF)
                            S[S_WAKE] = hit
                            return hit
                continue
            t = tx
            if t > until or t > t_ord or (t == t_ord and tlo == t_ord):
                break
            k = kind[xrow]
            sd = side[xrow]
            tk = tick[xrow]
            q = qty[xrow]
            S[S_XROW] = xrow + 1
            if k == K_BBO and S[S_USE_BBO] == 1:
                bbo_prepare(S, B, sd, tk)
                k = K_DEPTH
            # The book moves inline; our orders are visited only when the row can reach them.
            if k == K_DEPTH or k == K_SNAPSHOT:
                if sd > 0:
                    prev, pb, nbest = set_bid(
                        S, xb, xa, tk, q, S_XBB, S_XBA, S_XBLO, S_XBHI, S_XAHI
                    )
                    if S[S_XBUY_N] > 0 and S[S_XBUY_LO] <= tk <= S[S_XBUY_HI]:
                        queue_depth(S, F, O, OF, B, 1, tk, prev, q)
                    if nbest > pb and S[S_XSELL_N] > 0 and S[S_XSELL_LO] <= nbest:
                        lo = -(2**62) if pb == NO_BID else pb + 1
                        touched = cross_fills(S, F, O, IX, B, Q, QF, LATC, LATT, -1, lo, nbest, t)
                else:
                    prev, pb, nbest = set_ask(
                        S, xb, xa, tk, q, S_XBB, S_XBA, S_XALO, S_XAHI, S_XBLO
                    )
                    if S[S_XSELL_N] > 0 and S[S_XSELL_LO] <= tk <= S[S_XSELL_HI]:
                        queue_depth(S, F, O, OF, B, -1, tk, prev, q)
                    if nbest < pb and S[S_XBUY_N] > 0 and S[S_XBUY_HI] >= nbest:
                        hi = 2**62 if pb == NO_ASK else pb - 1
                        touched = cross_fills(S, F, O, IX, B, Q, QF, LATC, LATT, 1, nbest, hi, t)
            elif k == K_TRADE:
                if (sd < 0 and S[S_XBUY_N] > 0 and tk <= S[S_XBUY_HI]) or (
                    sd > 0 and S[S_XSELL_N] > 0 and tk >= S[S_XSELL_LO]
                ):
                    touched = trade(S, F, O, OF, B, IX, Q, QF, LATC, LATT, sd, tk, q, t)
            elif k == K_CLEAR:
                clear_rows(S, B, sd)
            if touched:  # responses were queued: the next order event may be earlier
                break
        if touched:
            continue
        # the next event is an order event, the end of the data, or past `until`
        lrow = S[S_LROW]
        xrow = S[S_XROW]
        tl = lts[lrow if ident else lorder[lrow]] if lrow < n else MAX_TS
        tx = xts[xrow] if xrow < n else MAX_TS
        t = min(tl, tx, t_ord)
        if t == MAX_TS:
            S[S_WAKE] = W_END
            return W_END
        if t > until:
            S[S_NOW] = until
            if record:
                _record(S, F, REC, RECF)
            S[S_WAKE] = W_TIME
            return W_TIME
        if tlo == t:
            local_response(S, F, O, IX, Q, QF, EV, EVF)
        elif txo == t:
            row = S[S_REQ_HEAD]
            S[S_REQ_HEAD] = row + 1
            slot = Q[0, row, M_SLOT]
            O[slot, O_REFS] -= 1
            order_arrival(
                S,
                F,
                O,
                OF,
                IX,
                B,
                Q,
                QF,
                LATC,
                LATT,
                slot,
                Q[0, row, M_KIND],
                Q[0, row, M_TICK],
                Q[0, row, M_QTY],
                t,
            )
        else:
            _funding(S, F, FUND)
