"""Fees, latency lookups and the accounting of one fill on one view (exchange or local)."""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.jit import kernel
from falconet.sim.layout import (
    F_CONTRACT,
    F_LBAL,
    F_LFEE,
    F_LFEE_BASE,
    F_LNTRADES,
    F_LPOSF,
    F_LVAL,
    F_LVOL,
    F_MAKER,
    F_TAKER,
    F_TICK,
    F_UNIT,
    F_XBAL,
    F_XFEE,
    F_XPOSF,
    FEE_FLAT,
    FEE_IBKR,
    FEE_QTY,
    LC_END,
    LC_ENTRY,
    LC_RESP,
    LC_START,
    S_FEE_BASE_ON_BUY,
    S_FEE_MODEL,
    S_LPOS,
    S_XPOS,
)


@kernel
def fill_fee(
    S: np.ndarray, F: np.ndarray, side: int, maker: int, tick: int, qty: int
) -> tuple[float, float]:
    """(fee in quote currency, fee in base currency) of one fill."""
    price = tick * F[F_TICK]  # multiply, as venues quote tick * size
    base_qty = qty * F[F_UNIT]
    amount = F[F_CONTRACT] * price * base_qty
    model = S[S_FEE_MODEL]
    rate = F[F_MAKER] if maker else F[F_TAKER]
    if model == FEE_QTY:
        fee = rate * base_qty
    elif model == FEE_FLAT:
        fee = rate
    elif model == FEE_IBKR:
        fee = max(0.35, min(0.0035 * base_qty, 0.01 * amount))
    else:
        fee = rate * amount
    if side > 0 and S[S_FEE_BASE_ON_BUY] and price > 0.0:
        return 0.0, fee / price
    return fee, 0.0


@kernel
def apply_fill(
    S: np.ndarray,
    F: np.ndarray,
    local: bool,
    side: int,
    tick: int,
    qty: int,
    fee: float,
    fee_base: float,
) -> None:
    price = tick * F[F_TICK]
    base_qty = qty * F[F_UNIT]
    amount = F[F_CONTRACT] * price * base_qty
    if local:
        S[S_LPOS] += side * qty
        F[F_LPOSF] += side * base_qty - fee_base
        F[F_LBAL] -= side * amount
        F[F_LFEE] += fee
        F[F_LFEE_BASE] += fee_base * price * F[F_CONTRACT]
        F[F_LNTRADES] += 1.0
        F[F_LVOL] += base_qty
        F[F_LVAL] += amount
    else:
        S[S_XPOS] += side * qty
        F[F_XPOSF] += side * base_qty - fee_base
        F[F_XBAL] -= side * amount
        F[F_XFEE] += fee


@kernel
def latency(LATC: np.ndarray, LATT: np.ndarray, kind: int, ts: int) -> tuple[int, int]:
    """(entry, response) latency in ns for a request of `kind` sent at `ts`.

    Constant, or interpolated linearly in the recorded table; entry < 0 means the venue
    rejected the request, answered after -entry ns."""
    start, end = LATC[kind, LC_START], LATC[kind, LC_END]
    if start == end:
        return LATC[kind, LC_ENTRY], LATC[kind, LC_RESP]
    i = start + np.searchsorted(LATT[start:end, 0], ts, side="right") - 1
    if i < start:
        return LATT[start, 1], LATT[start, 2]
    if i >= end - 1:
        return LATT[end - 1, 1], LATT[end - 1, 2]
    t0, t1 = LATT[i, 0], LATT[i + 1, 0]
    w = (ts - t0) / (t1 - t0) if t1 > t0 else 0.0
    e0, e1 = LATT[i, 1], LATT[i + 1, 1]
    if e0 < 0 or e1 < 0:  # a rejection in the recording is not interpolated away
        return min(e0, e1), max(LATT[i, 2], LATT[i + 1, 2])
    entry = int(e0 + (e1 - e0) * w)
    resp = int(LATT[i, 2] + (LATT[i + 1, 2] - LATT[i, 2]) * w)
    return entry, resp
