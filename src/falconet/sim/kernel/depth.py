"""Dense price-level books: one int64 array per side, indexed by tick - base.

Both the exchange view and the local view use these functions; the caller passes the
state slots of the view it means. Levels outside the array (the region of interest) are
ignored. A level that crosses the other side is taken as the news and the levels it
crosses as stale: a bid at or above the best ask removes the asks up to its price (and
the other way round), so the book never stays crossed.
"""

from __future__ import annotations

import numpy as np

from falconet.sim.kernel.jit import inline_kernel, kernel
from falconet.sim.layout import NO_ASK, NO_BID, S_BASE, S_NLEV


@kernel
def _scan_bid_down(bid: np.ndarray, start: int, lo: int) -> int:
    i = start
    while i >= lo:
        if bid[i] > 0:
            return i
        i -= 1
    return -1


@kernel
def _scan_ask_up(ask: np.ndarray, start: int, hi: int) -> int:
    i = start
    while i <= hi:
        if ask[i] > 0:
            return i
        i += 1
    return -1


@inline_kernel
def set_bid(
    S: np.ndarray,
    bid: np.ndarray,
    ask: np.ndarray,
    tick: int,
    qty: int,
    s_bb: int,
    s_ba: int,
    s_blo: int,
    s_bhi: int,
    s_ahi: int,
) -> tuple[int, int, int]:
    """Set one bid level; returns (previous level qty, previous best, new best)."""
    base = S[S_BASE]
    i = tick - base
    prev_best = S[s_bb]
    if i < 0 or i >= S[S_NLEV]:
        return 0, prev_best, prev_best
    prev = bid[i]
    if qty > 0:
        bid[i] = qty
        S[s_blo] = min(S[s_blo], i)
        S[s_bhi] = max(S[s_bhi], i)
        if tick > prev_best:
            S[s_bb] = tick
            if tick >= S[s_ba]:
                for k in range(S[s_ba] - base, i + 1):
                    ask[k] = 0
                j = _scan_ask_up(ask, i + 1, S[s_ahi])
                S[s_ba] = NO_ASK if j < 0 else j + base
    elif prev > 0:
        bid[i] = 0
        if tick == prev_best:
            j = _scan_bid_down(bid, i - 1, S[s_blo])
            S[s_bb] = NO_BID if j < 0 else j + base
    return prev, prev_best, S[s_bb]


@inline_kernel
def set_ask(
    S: np.ndarray,
    bid: np.ndarray,
    ask: np.ndarray,
    tick: int,
    qty: int,
    s_bb: int,
    s_ba: int,
    s_alo: int,
    s_ahi: int,
    s_blo: int,
) -> tuple[int, int, int]:
    """Set one ask level; returns (previous level qty, previous best, new best)."""
    base = S[S_BASE]
    i = tick - base
    prev_best = S[s_ba]
    if i < 0 or i >= S[S_NLEV]:
        return 0, prev_best, prev_best
    prev = ask[i]
    if qty > 0:
        ask[i] = qty
        S[s_alo] = min(S[s_alo], i)
        S[s_ahi] = max(S[s_ahi], i)
        if tick < prev_best:
            S[s_ba] = tick
            if tick <= S[s_bb]:
                for k in range(i, S[s_bb] - base + 1):
                    bid[k] = 0
                j = _scan_bid_down(bid, i - 1, S[s_blo])
                S[s_bb] = NO_BID if j < 0 else j + base
    elif prev > 0:
        ask[i] = 0
        if tick == prev_best:
            j = _scan_ask_up(ask, i + 1, S[s_ahi])
            S[s_ba] = NO_ASK if j < 0 else j + base
    return prev, prev_best, S[s_ba]


@kernel
def clear_side(
    S: np.ndarray, levels: np.ndarray, is_bid: bool, s_best: int, s_lo: int, s_hi: int
) -> None:
    """Empty one side of a view."""
    lo, hi = S[s_lo], S[s_hi]
    for i in range(lo, hi + 1):
        levels[i] = 0
    S[s_best] = NO_BID if is_bid else NO_ASK
    S[s_lo] = S[S_NLEV]
    S[s_hi] = -1


@inline_kernel
def level_qty(S: np.ndarray, levels: np.ndarray, tick: int) -> int:
    i = tick - S[S_BASE]
    if i < 0 or i >= S[S_NLEV]:
        return 0
    return levels[i]
