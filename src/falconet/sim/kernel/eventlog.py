"""The local view's order-event log: one row per answer the strategy receives, plus one
per order it sends (E_SENT), so results can list every order with its price."""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.jit import kernel
from falconet.sim.layout import (
    EV_ID,
    EV_INTENT,
    EV_KIND,
    EV_LEAVES,
    EV_LEVEL,
    EV_MAKER,
    EV_QTY,
    EV_REASON,
    EV_SIDE,
    EV_SLOT,
    EV_TICK,
    EV_TS,
    EV_XTS,
    EVF_FEE,
    EVF_FEE_BASE,
    O_ID,
    O_INTENT,
    O_LEVEL,
    O_SIDE,
    S_NEV,
)


@kernel
def log_event(
    S: np.ndarray,
    O: np.ndarray,
    EV: np.ndarray,
    EVF: np.ndarray,
    slot: int,
    kind: int,
    ts: int,
    xts: int,
    tick: int,
    qty: int,
    leaves: int,
    maker: int,
    reason: int,
    fee: float,
    fee_base: float,
) -> None:
    n = S[S_NEV]
    EV[n, EV_TS] = ts
    EV[n, EV_XTS] = xts
    EV[n, EV_SLOT] = slot
    EV[n, EV_ID] = O[slot, O_ID]
    EV[n, EV_KIND] = kind
    EV[n, EV_SIDE] = O[slot, O_SIDE]
    EV[n, EV_TICK] = tick
    EV[n, EV_QTY] = qty
    EV[n, EV_LEAVES] = leaves
    EV[n, EV_MAKER] = maker
    EV[n, EV_REASON] = reason
    EV[n, EV_INTENT] = O[slot, O_INTENT]
    EV[n, EV_LEVEL] = O[slot, O_LEVEL]
    EVF[n, EVF_FEE] = fee
    EVF[n, EVF_FEE_BASE] = fee_base
    S[S_NEV] = n + 1
