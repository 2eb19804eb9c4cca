"""Order slots and the two latency-delayed message queues.

An order occupies one row of O from submission until both views are done with it and no
message refers to it; then the row returns to the free stack. The queues are FIFO with
non-decreasing timestamps: a later request never overtakes an earlier one, as on one
venue connection.
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.jit import inline_kernel, kernel
from falconet.sim.layout import (
    M_TS,
    O_ID,
    O_LALIVE,
    O_NF,
    O_REFS,
    O_XALIVE,
    S_NACT,
    S_NFREE,
    S_REQ_HEAD,
    S_REQ_TAIL,
    S_RSP_HEAD,
    S_RSP_TAIL,
)

BIG = 2**62

# IX rows: 0 = active slots, 1 = free stack, 2 = position of each slot in the active list
IX_ACT = 0
IX_FREE = 1
IX_POS = 2


@kernel
def alloc(S: np.ndarray, O: np.ndarray, IX: np.ndarray) -> int:
    """A free slot, cleared and listed as active; -1 when the table is full."""
    if S[S_NFREE] == 0:
        return -1
    S[S_NFREE] -= 1
    slot = IX[IX_FREE, S[S_NFREE]]
    for f in range(O_NF):
        O[slot, f] = 0
    n = S[S_NACT]
    IX[IX_ACT, n] = slot
    IX[IX_POS, slot] = n
    S[S_NACT] = n + 1
    return slot


@kernel
def try_release(S: np.ndarray, O: np.ndarray, IX: np.ndarray, slot: int) -> None:
    if O[slot, O_LALIVE] or O[slot, O_XALIVE] or O[slot, O_REFS] > 0 or O[slot, O_ID] == 0:
        return
    O[slot, O_ID] = 0
    pos = IX[IX_POS, slot]
    last = S[S_NACT] - 1
    moved = IX[IX_ACT, last]
    IX[IX_ACT, pos] = moved
    IX[IX_POS, moved] = pos
    S[S_NACT] = last
    IX[IX_FREE, S[S_NFREE]] = slot
    S[S_NFREE] += 1


@kernel
def find(S: np.ndarray, O: np.ndarray, IX: np.ndarray, order_id: int) -> int:
    for k in range(S[S_NACT]):
        slot = IX[IX_ACT, k]
        if O[slot, O_ID] == order_id:
            return slot
    return -1


@kernel
def queue_push(S: np.ndarray, Q: np.ndarray, QF: np.ndarray, which: int, ts: int) -> int:
    """Reserve the next row of queue `which` (0 requests, 1 responses) at time >= `ts`.

    Returns the row index, or -1 when the queue is full (the caller grows it)."""
    s_head = S_REQ_HEAD if which == 0 else S_RSP_HEAD
    s_tail = S_REQ_TAIL if which == 0 else S_RSP_TAIL
    head, tail = S[s_head], S[s_tail]
    cap = Q.shape[1]
    if tail == cap:
        if head == 0:
            return -1
        n = tail - head
        for r in range(n):  # forward copy: the source is always ahead of the target
            for f in range(Q.shape[2]):
                Q[which, r, f] = Q[which, head + r, f]
            for f in range(QF.shape[2]):
                QF[which, r, f] = QF[which, head + r, f]
        S[s_head], S[s_tail] = 0, n
        head, tail = 0, n
    if tail > head and Q[which, tail - 1, M_TS] > ts:
        ts = Q[which, tail - 1, M_TS]
    for f in range(Q.shape[2]):
        Q[which, tail, f] = 0
    for f in range(QF.shape[2]):
        QF[which, tail, f] = 0.0
    Q[which, tail, M_TS] = ts
    S[s_tail] = tail + 1
    return tail


@inline_kernel
def queue_head_ts(S: np.ndarray, Q: np.ndarray, which: int) -> int:
    s_head = S_REQ_HEAD if which == 0 else S_RSP_HEAD
    s_tail = S_REQ_TAIL if which == 0 else S_RSP_TAIL
    if S[s_head] == S[s_tail]:
        return 2**63 - 1
    return Q[which, S[s_head], M_TS]
