"""Compiled core of the market simulator: the order-event loop over an integer book.

Ticks, lots and nanoseconds in numpy arrays only, so a call runs millions of events without
a Python object; `falconet.sim.market` prepares the inputs and builds the `EventTable`.
Book: `key[s, i]`, `qty[s, i]` are level i (0 = best) of side s (0 bid, 1 ask), key = -price
for bids and +price for asks (ticks), so keys ascend from the touch outwards on both sides
and one code path serves both. Rows: `ri` = ts_exchange, ts_local, price (ticks), qty, seq;
`rb` = kind, side. Random numbers come from one splitmix64 stream: a seed gives the same
rows on every machine, whatever numba's or numpy's own generators do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from falconet.sim.market_jit import cached_njit

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

DEPTH, TRADE, CLEAR, SNAPSHOT = 1, 2, 3, 4

# --- int64 state `st` ------------------------------------------------------------------
S_T_NEXT = 0  # exchange time of the next order event (drawn ahead, so a resumed run agrees)
S_T_LAST = 1  # exchange time of the last order event (the latent walk advances from it)
S_T_LOCAL = 2  # local time of the last message: the feed is FIFO, never reordered
S_NEXT_SNAP = 3  # exchange time of the next CLEAR + SNAPSHOT restatement
S_CURSOR = 4  # rows written
S_UPDATE_ID = 5  # seq of book rows: one id per book message
S_TRADE_ID = 6  # seq of trade rows
S_LAST_SIGN = 7  # aggressor of the last market order (+1 buy, -1 sell)
S_PRICE_FLOOR = 8  # set when a bid would be priced at or below zero
S_MESSAGES = 9
# Event counters, reported in the stats (UNSEEN: limit orders behind the visible depth;
# STALE / INFORMED: cancels and market orders that removed quotes the latent price passed;
# CAPPED: market orders larger than the whole visible side).
S_LIMIT, S_LIMIT_UNSEEN, S_CANCEL, S_CANCEL_STALE = 10, 11, 12, 13
S_MARKET, S_MARKET_INFORMED, S_MARKET_CAPPED, S_JUMPS, S_SNAPSHOTS = 14, 15, 16, 17, 18
N_STATE = 19

# --- int64 constants `ci` --------------------------------------------------------------
C_T_END = 0  # last exchange time an event may have
C_SNAP_EVERY = 1  # ns between restatements (0: only the first)
C_LAT_MIN = 2  # smallest feed latency, ns
N_CI = 3

# --- float64 parameters `cf` (rates per second, sizes in lots, prices in ticks) ----------
P_MEAN_GAP_NS = 0  # mean time between order events
P_LIMIT_SHARE = 1  # P(event is a limit order)
P_CANCEL_SHARE = 2  # P(event is a cancel)
P_SIGMA = 3  # latent log-price volatility per sqrt(second)
P_JUMP_RATE = 4  # jumps per second
P_JUMP_SIGMA = 5  # st. dev. of a jump's log return
P_HALF_SPREAD = 6  # ticks between the latent price and the fair quotes
P_STALE = 7  # ticks the latent price must pass a quote by before it is stale
P_LIMIT_MU, P_LIMIT_SIG = 8, 9  # lognormal limit order sizes
P_MARKET_MU, P_MARKET_SIG = 10, 11  # lognormal market order sizes
P_LEVEL_MU, P_LEVEL_SIG = 12, 13  # lognormal size of a level coming into view
P_GAP = 14  # P(one more empty tick) between levels coming into view
P_CANCEL_MEAN = 15  # mean cancel size (lots) when the book holds its target depth
P_DEPTH_TARGET = 16  # target total visible size, both sides (lots)
P_PERSIST = 17  # P(an uninformed market order repeats the last aggressor side)
P_INFORM = 18  # how strongly (latent - mid, in ticks) tilts the aggressor side
P_JITTER_NS = 19  # mean of the exponential part of the feed latency
P_RESILIENCE = 20  # P(a limit order on a side behind its fair quote goes to that quote)
N_CF = 21

DONE, PAUSED, FULL, PRICE_FLOOR = 0, 1, 2, 3
NEVER = 2**63 - 1


@cached_njit
def _u64(rng: U64) -> np.uint64:
    z = rng[0] + np.uint64(0x9E3779B97F4A7C15)
    rng[0] = z
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@cached_njit
def _uniform(rng: U64) -> float:
    """In (0, 1): never 0, so log() is safe."""
    return (float(_u64(rng) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@cached_njit
def _normal(rng: U64) -> float:
    u = _uniform(rng)
    return float(np.sqrt(-2.0 * np.log(u)) * np.cos(2.0 * np.pi * _uniform(rng)))


@cached_njit
def _lognormal_size(rng: U64, mu: float, sig: float) -> int:
    """1 + floor(lognormal): at least one lot, mean set by the caller's mu."""
    return 1 + int(min(np.exp(mu + sig * _normal(rng)), 1e15))


@cached_njit
def _geometric(rng: U64, mean: float) -> int:
    if mean <= 1.0:
        return 1
    return 1 + int(np.log(_uniform(rng)) / np.log1p(-1.0 / mean))


@cached_njit
def seed_rng(seed: int) -> U64:
    rng = np.empty(1, dtype=np.uint64)
    rng[0] = np.uint64(seed) ^ np.uint64(0x6A09E667F3BCC908)
    _u64(rng)
    return rng


@cached_njit
def _row(ri: I64, rb: I8, n: int, kind: int, side: int, price: int, q: int, seq: int) -> int:
    ri[2, n] = price
    ri[3, n] = q
    ri[4, n] = seq
    rb[0, n] = kind
    rb[1, n] = side
    return n + 1


@cached_njit
def _fill_from(
    key: I64, qty: I64, s: int, first: int, worst: int, rng: U64, cf: F64,
    ri: I64, rb: I8, n: int, seq: int, st: I64,
) -> int:  # fmt: skip
    """Levels first.. of side s are empty: show the next ones behind `worst` (hidden depth)."""
    sign = 2 * s - 1
    k = worst
    for i in range(first, key.shape[1]):
        k += 1
        while _uniform(rng) < cf[P_GAP]:
            k += 1
        q = _lognormal_size(rng, cf[P_LEVEL_MU], cf[P_LEVEL_SIG])
        key[s, i] = k
        qty[s, i] = q
        if sign * k <= 0:
            st[S_PRICE_FLOOR] = 1
        n = _row(ri, rb, n, DEPTH, 1 - 2 * s, sign * k, q, seq)
    return n


@cached_njit
def _remove(
    key: I64, qty: I64, s: int, i: int, r: int, rng: U64, cf: F64,
    ri: I64, rb: I8, n: int, seq: int, st: I64,
) -> int:  # fmt: skip
    """Drop levels i..i+r-1 of side s (rows already written), show as many at the far end."""
    depth = key.shape[1]
    worst = key[s, depth - 1]
    for j in range(i, depth - r):
        key[s, j] = key[s, j + r]
        qty[s, j] = qty[s, j + r]
    return _fill_from(key, qty, s, depth - r, worst, rng, cf, ri, rb, n, seq, st)


@cached_njit
def _add(key: I64, qty: I64, s: int, k: int, q: int, ri: I64, rb: I8, n: int, seq: int) -> int:
    """q lots at key k (in view): join a level, or open one and push the worst out of view."""
    depth = key.shape[1]
    sign, side = 2 * s - 1, 1 - 2 * s
    i = 0
    while key[s, i] < k:
        i += 1
    if key[s, i] == k:
        qty[s, i] += q
        return _row(ri, rb, n, DEPTH, side, sign * k, qty[s, i], seq)
    gone = key[s, depth - 1]
    for j in range(depth - 1, i, -1):
        key[s, j] = key[s, j - 1]
        qty[s, j] = qty[s, j - 1]
    key[s, i] = k
    qty[s, i] = q
    n = _row(ri, rb, n, DEPTH, side, sign * k, q, seq)
    return _row(ri, rb, n, DEPTH, side, sign * gone, 0, seq)


@cached_njit
def _snapshot(key: I64, qty: I64, ri: I64, rb: I8, n: int, seq: int) -> int:
    """CLEAR both sides, then every level: bids best to worst, then asks."""
    n = _row(ri, rb, n, CLEAR, 0, 0, 0, seq)
    for s in range(2):
        for i in range(key.shape[1]):
            n = _row(ri, rb, n, SNAPSHOT, 1 - 2 * s, (2 * s - 1) * key[s, i], qty[s, i], seq)
    return n


@cached_njit
def _limit(
    key: I64, qty: I64, v: float, rng: U64, cf: F64, place_cdf: F64, st: I64,
    ri: I64, rb: I8, n: int, seq: int,
) -> int:  # fmt: skip
    """d ticks behind the fair quote (decaying profile; at the quote more often when the
    touch lags it, which pulls the touch along). A crossing price posts one tick short."""
    st[S_LIMIT] += 1
    s = 0 if _uniform(rng) < 0.5 else 1
    d = 0
    fair_bid = int(np.floor(v - cf[P_HALF_SPREAD]))
    fair_ask = int(np.ceil(v + cf[P_HALF_SPREAD]))
    lagging = -key[0, 0] < fair_bid if s == 0 else key[1, 0] > fair_ask
    if not (lagging and _uniform(rng) < cf[P_RESILIENCE]):
        u = _uniform(rng)
        while place_cdf[d] < u:
            d += 1
    if s == 0:
        price = min(fair_bid - d, key[1, 0] - 1)
        k = -price
    else:
        price = max(fair_ask + d, 1 - key[0, 0])
        k = price
    if k > key[s, key.shape[1] - 1] or price <= 0:
        st[S_LIMIT_UNSEEN] += 1  # behind the visible depth: the feed shows nothing
        return n
    q = _lognormal_size(rng, cf[P_LIMIT_MU], cf[P_LIMIT_SIG])
    return _add(key, qty, s, k, q, ri, rb, n, seq)


@cached_njit
def _cancel(
    key: I64, qty: I64, v: float, rng: U64, cf: F64, cancel_w: F64, cum: F64, st: I64,
    ri: I64, rb: I8, n: int, seq: int,
) -> int:  # fmt: skip
    """Pull a stale touch; else cancel a geometric size at a lot drawn by size x distance
    weight, the mean scaled by total depth / target (which holds the book at its depth)."""
    st[S_CANCEL] += 1
    depth = key.shape[1]
    stale = cf[P_STALE]
    if -key[0, 0] > v + stale or key[1, 0] < v - stale:
        st[S_CANCEL_STALE] += 1
        s = 0 if -key[0, 0] > v + stale else 1
        i = 0
    else:
        last = cancel_w.shape[0] - 1
        total = 0.0
        size = 0
        for s in range(2):
            for i in range(depth):
                total += qty[s, i] * cancel_w[min(key[s, i] - key[s, 0], last)]
                cum[s * depth + i] = total
                size += qty[s, i]
        u = _uniform(rng) * total
        j = 0
        while j < 2 * depth - 1 and cum[j] < u:
            j += 1
        s, i = j // depth, j % depth
        c = _geometric(rng, cf[P_CANCEL_MEAN] * size / cf[P_DEPTH_TARGET])
        if c < qty[s, i]:
            qty[s, i] -= c
            return _row(ri, rb, n, DEPTH, 1 - 2 * s, (2 * s - 1) * key[s, i], qty[s, i], seq)
    n = _row(ri, rb, n, DEPTH, 1 - 2 * s, (2 * s - 1) * key[s, i], 0, seq)
    return _remove(key, qty, s, i, 1, rng, cf, ri, rb, n, seq, st)


@cached_njit
def _market(
    key: I64, qty: I64, v: float, rng: U64, cf: F64, st: I64,
    ri: I64, rb: I8, n: int, seq: int,
) -> int:  # fmt: skip
    """Takes stale quotes if any (informed), else persists / leans to the latent price.
    Walks levels from the touch: per level a TRADE row, then that level's DEPTH row."""
    st[S_MARKET] += 1
    depth = key.shape[1]
    stale = cf[P_STALE]
    q = _lognormal_size(rng, cf[P_MARKET_MU], cf[P_MARKET_SIG])
    if key[1, 0] < v - stale or -key[0, 0] > v + stale:
        st[S_MARKET_INFORMED] += 1
        hit = 1 if key[1, 0] < v - stale else 0
        edge = (2 * hit - 1) * (v - (2 * hit - 1) * stale)  # key of the latent price
        taken = 0
        i = 0
        while i < depth and key[hit, i] < edge:
            taken += qty[hit, i]
            i += 1
        q = max(q, taken)
    elif _uniform(rng) < cf[P_PERSIST]:
        hit = 1 if st[S_LAST_SIGN] > 0 else 0
    else:
        mid = 0.5 * (key[1, 0] - key[0, 0])
        hit = 1 if _uniform(rng) < 0.5 + 0.5 * np.tanh(cf[P_INFORM] * (v - mid)) else 0
    aggressor = 2 * hit - 1  # taking asks is a buy
    st[S_LAST_SIGN] = aggressor
    rem = q
    r = 0
    for i in range(depth):
        level = qty[hit, i]
        fill = min(rem, level)
        price = aggressor * key[hit, i]
        st[S_TRADE_ID] += 1
        n = _row(ri, rb, n, TRADE, aggressor, price, fill, st[S_TRADE_ID])
        n = _row(ri, rb, n, DEPTH, -aggressor, price, level - fill, seq)
        rem -= fill
        if fill < level:
            qty[hit, i] = level - fill
            break
        r += 1
        if rem == 0:
            break
    if rem > 0:
        st[S_MARKET_CAPPED] += 1  # the rest would sweep beyond the visible book: dropped
    if r > 0:
        n = _remove(key, qty, hit, 0, r, rng, cf, ri, rb, n, seq, st)
    return n


@cached_njit
def _next_gap(rng: U64, cf: F64) -> int:
    return 1 + int(-np.log(_uniform(rng)) * cf[P_MEAN_GAP_NS])


@cached_njit
def start(key: I64, qty: I64, best_bid: int, rng: U64, cf: F64, st: I64) -> None:
    """The opening book (best bid at `best_bid`, best ask one tick above) and the time of
    the first order event; `st` must hold the start time in S_T_LAST and S_NEXT_SNAP."""
    ri = np.empty((5, key.shape[1]), dtype=np.int64)  # the opening rows are the snapshot's
    rb = np.empty((2, key.shape[1]), dtype=np.int8)
    for s, best in ((0, best_bid), (1, best_bid + 1)):
        key[s, 0] = (2 * s - 1) * best
        qty[s, 0] = _lognormal_size(rng, cf[P_LEVEL_MU], cf[P_LEVEL_SIG])
        _fill_from(key, qty, s, 1, key[s, 0], rng, cf, ri, rb, 0, 0, st)
    st[S_T_NEXT] = st[S_T_LAST] + _next_gap(rng, cf)
    st[S_LAST_SIGN] = 1


@cached_njit
def run(
    key: I64, qty: I64, st: I64, ci: I64, cf: F64, fx: F64, place_cdf: F64, cancel_w: F64,
    rng: U64, ri: I64, rb: I8, t_stop: int,
) -> int:  # fmt: skip
    """Simulate until the end (DONE), past `t_stop` (PAUSED), until the row buffers are
    nearly full (FULL: grow them and call again) or a price would reach zero."""
    depth = key.shape[1]
    cum = np.empty(2 * depth)  # scratch: cumulative cancel weights
    reserve = 3 * depth + 4  # most rows one message writes (a market order sweeping all)
    n = st[S_CURSOR]
    code = DONE
    while True:
        if n + reserve > ri.shape[1]:
            code = FULL
            break
        t = st[S_T_NEXT]
        snap = st[S_NEXT_SNAP]
        first = n
        if snap <= t and snap < ci[C_T_END]:
            ts = snap
            n = _snapshot(key, qty, ri, rb, n, st[S_UPDATE_ID])
            st[S_SNAPSHOTS] += 1
            every = ci[C_SNAP_EVERY]
            st[S_NEXT_SNAP] = snap + every if every > 0 else NEVER
            if t == st[S_NEXT_SNAP]:
                st[S_T_NEXT] = t + 1  # one message per timestamp, as below
        else:
            if t > ci[C_T_END]:
                break
            if t > t_stop:
                code = PAUSED
                break
            ts = t
            dt = (t - st[S_T_LAST]) * 1e-9
            sigma = cf[P_SIGMA]
            x = fx[0] + sigma * np.sqrt(dt) * _normal(rng) - 0.5 * sigma * sigma * dt
            if cf[P_JUMP_RATE] > 0.0 and _uniform(rng) < cf[P_JUMP_RATE] * dt:
                x += cf[P_JUMP_SIGMA] * _normal(rng)
                st[S_JUMPS] += 1
            fx[0] = x
            v = np.exp(x)
            st[S_T_LAST] = t
            seq = st[S_UPDATE_ID] + 1
            u = _uniform(rng)
            if u < cf[P_LIMIT_SHARE]:
                n = _limit(key, qty, v, rng, cf, place_cdf, st, ri, rb, n, seq)
            elif u < cf[P_LIMIT_SHARE] + cf[P_CANCEL_SHARE]:
                n = _cancel(key, qty, v, rng, cf, cancel_w, cum, st, ri, rb, n, seq)
            else:
                n = _market(key, qty, v, rng, cf, st, ri, rb, n, seq)
            if n > first:
                st[S_UPDATE_ID] = seq
            nxt = t + _next_gap(rng, cf)
            if nxt == st[S_NEXT_SNAP]:
                nxt += 1  # one message per timestamp: a restatement never shares one
            st[S_T_NEXT] = nxt
        if n > first:
            latency = ci[C_LAT_MIN] + int(-np.log(_uniform(rng)) * cf[P_JITTER_NS])
            local = max(ts + latency, st[S_T_LOCAL])
            st[S_T_LOCAL] = local
            ri[0, first:n] = ts
            ri[1, first:n] = local
            st[S_MESSAGES] += 1
            if st[S_PRICE_FLOOR]:
                code = PRICE_FLOOR
                break
    st[S_CURSOR] = n
    return code
