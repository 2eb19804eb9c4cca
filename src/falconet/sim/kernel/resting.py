"""Our resting orders at the exchange, chained per price so a market-data row finds the
orders it can touch without looking at the others.

Each side keeps, per tick, the first resting order (B[B_XBUYS] / B[B_XSELLS]) and each
order its neighbours (O_XNEXT / O_XPREV), plus a count and the lowest and highest tick
with an order, which let most rows skip our orders with two comparisons.
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.jit import inline_kernel, kernel
from falconet.sim.kernel.slots import BIG, IX_ACT
from falconet.sim.layout import (
    B_XBUYS,
    B_XSELLS,
    O_SIDE,
    O_XALIVE,
    O_XNEXT,
    O_XPREV,
    O_XTICK,
    S_BASE,
    S_NACT,
    S_NLEV,
    S_XBUY_HI,
    S_XBUY_LO,
    S_XBUY_N,
    S_XSELL_HI,
    S_XSELL_LO,
    S_XSELL_N,
)


@kernel
def _bounds(S: np.ndarray, O: np.ndarray, IX: np.ndarray, side: int) -> None:
    lo, hi = BIG, -BIG
    for k in range(S[S_NACT]):
        slot = IX[IX_ACT, k]
        if O[slot, O_XALIVE] and O[slot, O_SIDE] == side:
            t = O[slot, O_XTICK]
            lo = min(lo, t)
            hi = max(hi, t)
    if side > 0:
        S[S_XBUY_LO], S[S_XBUY_HI] = lo, hi
    else:
        S[S_XSELL_LO], S[S_XSELL_HI] = lo, hi


@kernel
def activate(S: np.ndarray, O: np.ndarray, B: np.ndarray, slot: int) -> None:
    """The order now rests at O_XTICK."""
    side = O[slot, O_SIDE]
    tick = O[slot, O_XTICK]
    O[slot, O_XALIVE] = 1
    O[slot, O_XNEXT] = -1
    O[slot, O_XPREV] = -1
    i = tick - S[S_BASE]
    if 0 <= i < S[S_NLEV]:  # outside the book's range no row can reach it
        heads = B[B_XBUYS] if side > 0 else B[B_XSELLS]
        first = heads[i]
        O[slot, O_XNEXT] = first
        if first >= 0:
            O[first, O_XPREV] = slot
        heads[i] = slot
    if side > 0:
        S[S_XBUY_N] += 1
        S[S_XBUY_LO] = min(S[S_XBUY_LO], tick)
        S[S_XBUY_HI] = max(S[S_XBUY_HI], tick)
    else:
        S[S_XSELL_N] += 1
        S[S_XSELL_LO] = min(S[S_XSELL_LO], tick)
        S[S_XSELL_HI] = max(S[S_XSELL_HI], tick)


@kernel
def deactivate(S: np.ndarray, O: np.ndarray, B: np.ndarray, IX: np.ndarray, slot: int) -> None:
    """The order no longer rests (filled, canceled, or about to move)."""
    if not O[slot, O_XALIVE]:
        return
    side = O[slot, O_SIDE]
    tick = O[slot, O_XTICK]
    O[slot, O_XALIVE] = 0
    i = tick - S[S_BASE]
    if 0 <= i < S[S_NLEV]:
        heads = B[B_XBUYS] if side > 0 else B[B_XSELLS]
        nxt, prv = O[slot, O_XNEXT], O[slot, O_XPREV]
        if prv >= 0:
            O[prv, O_XNEXT] = nxt
        else:
            heads[i] = nxt
        if nxt >= 0:
            O[nxt, O_XPREV] = prv
    O[slot, O_XNEXT] = -1
    O[slot, O_XPREV] = -1
    if side > 0:
        S[S_XBUY_N] -= 1
        if S[S_XBUY_N] == 0:
            S[S_XBUY_LO], S[S_XBUY_HI] = BIG, -BIG
        elif tick == S[S_XBUY_LO] or tick == S[S_XBUY_HI]:
            _bounds(S, O, IX, 1)
    else:
        S[S_XSELL_N] -= 1
        if S[S_XSELL_N] == 0:
            S[S_XSELL_LO], S[S_XSELL_HI] = BIG, -BIG
        elif tick == S[S_XSELL_LO] or tick == S[S_XSELL_HI]:
            _bounds(S, O, IX, -1)


@inline_kernel
def first_at(S: np.ndarray, B: np.ndarray, side: int, tick: int) -> int:
    """First of our resting orders of `side` at `tick`, or -1."""
    i = tick - S[S_BASE]
    if i < 0 or i >= S[S_NLEV]:
        return -1
    return B[B_XBUYS, i] if side > 0 else B[B_XSELLS, i]
