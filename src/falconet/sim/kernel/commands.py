"""Requests from the strategy: submit, cancel, amend, and quote a desired set of orders.

Python writes command records into CMD between calls; they all take effect at the local
time the strategy acted (S_NOW) and travel to the exchange with the request latency.
Refusals that a venue client makes locally (unknown order, a request already in flight)
are counted in S_ERRORS and change nothing, as in the reference engine.
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.account import latency
from falconet.sim.kernel.eventlog import log_event
from falconet.sim.kernel.exchange import respond
from falconet.sim.kernel.jit import kernel
from falconet.sim.kernel.slots import IX_ACT, alloc, find, queue_push
from falconet.sim.layout import (
    E_REJECTED,
    E_SENT,
    LK_AMEND,
    LK_CANCEL,
    LK_PLACE,
    M_KIND,
    M_LTS,
    M_QTY,
    M_SLOT,
    M_TICK,
    O_CREATED,
    O_ID,
    O_INTENT,
    O_LALIVE,
    O_LEVEL,
    O_LLEAVES,
    O_LQTY,
    O_LREQ,
    O_LSTATUS,
    O_LTICK,
    O_LTS,
    O_REDUCE,
    O_REFS,
    O_SIDE,
    O_STRAT,
    O_TIF,
    O_TYPE,
    O_XQTY,
    O_XSTATUS,
    O_XTICK,
    OP_AMEND,
    OP_CANCEL,
    OP_CANCEL_ALL,
    OP_QUOTES,
    OP_SUBMIT,
    QUOTES_HEADER,
    R_AMEND,
    R_CANCEL,
    R_NEW,
    R_NONE,
    RS_VENUE_REJECT,
    S_AMENDS,
    S_CANCELS,
    S_ERRORS,
    S_NACT,
    S_NCMD,
    S_NEXT_ID,
    S_NOW,
    S_SUBMITS,
    ST_NEW,
    ST_PARTIAL,
    ST_PENDING,
    ST_REJECTED,
    SUBMIT_WORDS,
    TYPE_LIMIT,
)


@kernel
def _send(
    S: np.ndarray,
    O: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    slot: int,
    req: int,
    tick: int,
    qty: int,
    entry: int,
    resp: int,
    now: int,
) -> None:
    if entry < 0:  # the venue refused it (recorded latency profile): answered after -entry
        O[slot, O_XTICK] = tick
        O[slot, O_XQTY] = qty
        O[slot, O_XSTATUS] = ST_REJECTED
        respond(S, O, Q, QF, slot, E_REJECTED, now, -entry, 0, 0, 0, RS_VENUE_REJECT, 0.0, 0.0)
        return
    row = queue_push(S, Q, QF, 0, now + entry)
    if row < 0:
        raise RuntimeError("request queue full")
    Q[0, row, M_SLOT] = slot
    Q[0, row, M_KIND] = req
    Q[0, row, M_TICK] = tick
    Q[0, row, M_QTY] = qty
    Q[0, row, M_LTS] = now
    O[slot, O_REFS] += 1


@kernel
def submit(
    S: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    order_id: int,
    side: int,
    tick: int,
    qty: int,
    tif: int,
    otype: int,
    reduce_only: int,
    strat: int,
    intent: int,
    level: int,
) -> int:
    slot = alloc(S, O, IX)
    if slot < 0:
        raise RuntimeError("order table full")
    now = S[S_NOW]
    if order_id <= 0:
        order_id = S[S_NEXT_ID]
    S[S_NEXT_ID] = max(S[S_NEXT_ID], order_id + 1)
    O[slot, O_ID] = order_id
    O[slot, O_SIDE] = side
    O[slot, O_TIF] = tif
    O[slot, O_TYPE] = otype
    O[slot, O_REDUCE] = reduce_only
    O[slot, O_STRAT] = strat
    O[slot, O_INTENT] = intent
    O[slot, O_LEVEL] = level
    O[slot, O_LTICK] = tick
    O[slot, O_LQTY] = qty
    O[slot, O_LLEAVES] = qty
    O[slot, O_LSTATUS] = ST_PENDING
    O[slot, O_LREQ] = R_NEW
    O[slot, O_LTS] = now
    O[slot, O_LALIVE] = 1
    O[slot, O_CREATED] = now
    log_event(S, O, EV, EVF, slot, E_SENT, now, 0, tick, qty, qty, 0, 0, 0.0, 0.0)
    entry, resp = latency(LATC, LATT, LK_PLACE, now)
    _send(S, O, Q, QF, slot, R_NEW, tick, qty, entry, resp, now)
    S[S_SUBMITS] += 1
    return order_id


@kernel
def _cancellable(O: np.ndarray, slot: int) -> bool:
    st = O[slot, O_LSTATUS]
    return (
        O[slot, O_LALIVE] == 1 and (st == ST_NEW or st == ST_PARTIAL) and O[slot, O_LREQ] == R_NONE
    )


@kernel
def cancel(
    S: np.ndarray,
    O: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
) -> bool:
    if slot < 0 or not O[slot, O_LALIVE] or O[slot, O_LREQ] != R_NONE:
        S[S_ERRORS] += 1
        return False
    now = S[S_NOW]
    O[slot, O_LREQ] = R_CANCEL
    O[slot, O_LTS] = now
    entry, resp = latency(LATC, LATT, LK_CANCEL, now)
    _send(S, O, Q, QF, slot, R_CANCEL, O[slot, O_LTICK], O[slot, O_LQTY], entry, resp, now)
    S[S_CANCELS] += 1
    return True


@kernel
def amend(
    S: np.ndarray,
    O: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    slot: int,
    tick: int,
    qty: int,
) -> bool:
    if slot < 0 or not _cancellable(O, slot):
        S[S_ERRORS] += 1
        return False
    now = S[S_NOW]
    O[slot, O_LREQ] = R_AMEND
    O[slot, O_LTS] = now
    entry, resp = latency(LATC, LATT, LK_AMEND, now)
    _send(S, O, Q, QF, slot, R_AMEND, tick, qty, entry, resp, now)
    S[S_AMENDS] += 1
    return True


@kernel
def _quotes(
    S: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
    CMD: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
    at: int,
) -> int:
    """An OP_QUOTES record at CMD[at]; returns the index after it.

    Diff mode keeps a live or not-yet-acknowledged order of the strategy that matches a
    desired (side, tick, qty) and cancels every other cancellable one; replace mode
    cancels them all. Then each unmatched quote is sent: bid 0, ask 0, bid 1, ask 1, ...
    A matched quote is marked by negating its qty in the record."""
    strat, tif, replace = CMD[at + 1], CMD[at + 2], CMD[at + 3] == 1
    intent_bid, intent_ask = CMD[at + 4], CMD[at + 5]
    nb_, na = CMD[at + 6], CMD[at + 7]
    bids = at + QUOTES_HEADER
    asks = bids + 2 * nb_
    end = asks + 2 * na
    n_act = S[S_NACT]
    for k in range(n_act):
        slot = IX[IX_ACT, k]
        if not O[slot, O_LALIVE] or O[slot, O_STRAT] != strat:
            continue
        live = _cancellable(O, slot)
        pending_new = O[slot, O_LSTATUS] == ST_PENDING and O[slot, O_LREQ] == R_NEW
        matched = False
        if not replace and (live or pending_new):
            first, count = (bids, nb_) if O[slot, O_SIDE] > 0 else (asks, na)
            tick, qty = O[slot, O_LTICK], O[slot, O_LQTY]
            for d in range(count):
                r = first + 2 * d
                if CMD[r] == tick and CMD[r + 1] == qty:
                    CMD[r + 1] = -qty
                    matched = True
                    break
        if not matched and live:
            cancel(S, O, Q, QF, LATC, LATT, slot)
    for i in range(max(nb_, na)):
        for side in (1, -1):
            count = nb_ if side > 0 else na
            if i >= count:
                continue
            r = (bids if side > 0 else asks) + 2 * i
            if CMD[r + 1] > 0:
                intent = intent_bid if side > 0 else intent_ask
                submit(
                    S, O, IX, Q, QF, EV, EVF, LATC, LATT, 0, side, CMD[r], CMD[r + 1], tif,
                    TYPE_LIMIT, 0, strat, intent, i,
                )  # fmt: skip
    return end


@kernel
def run_commands(
    S: np.ndarray,
    O: np.ndarray,
    IX: np.ndarray,
    Q: np.ndarray,
    QF: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
    CMD: np.ndarray,
    LATC: np.ndarray,
    LATT: np.ndarray,
) -> None:
    n = S[S_NCMD]
    i = 0
    while i < n:
        op = CMD[i]
        if op == OP_SUBMIT:
            submit(
                S, O, IX, Q, QF, EV, EVF, LATC, LATT, CMD[i + 1], CMD[i + 2], CMD[i + 3], CMD[i + 4],
                CMD[i + 5], CMD[i + 6], CMD[i + 7], CMD[i + 8], CMD[i + 9], CMD[i + 10],
            )  # fmt: skip
            i += SUBMIT_WORDS
        elif op == OP_CANCEL:
            cancel(S, O, Q, QF, LATC, LATT, find(S, O, IX, CMD[i + 1]))
            i += 2
        elif op == OP_AMEND:
            amend(S, O, Q, QF, LATC, LATT, find(S, O, IX, CMD[i + 1]), CMD[i + 2], CMD[i + 3])
            i += 4
        elif op == OP_CANCEL_ALL:
            strat = CMD[i + 1]
            for k in range(S[S_NACT]):
                slot = IX[IX_ACT, k]
                if O[slot, O_STRAT] == strat and _cancellable(O, slot):
                    cancel(S, O, Q, QF, LATC, LATT, slot)
            i += 2
        elif op == OP_QUOTES:
            i = _quotes(S, O, IX, Q, QF, EV, EVF, CMD, LATC, LATT, i)
        else:
            raise RuntimeError("unknown command")
    S[S_NCMD] = 0
