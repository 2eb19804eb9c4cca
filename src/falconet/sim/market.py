"""Market simulator: a realistic L2 event stream in the canonical format, no data file needed.

    table = generate(MarketParams(duration_s=600, seed=7))   # an EventTable
    write_events("sim.parquet", table)

A latent efficient price follows a geometric random walk (plus optional jumps); a book of
`levels` price levels per side tracks it through Poisson limit, cancel and market order
events. The model and its parameters are described in docs/sim.md ("Market simulator").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from falconet.core.errors import FalconetError
from falconet.core.instrument import Instrument
from falconet.data.format import EventTable, make_instrument, tick_of
from falconet.sim import market_kernel as k

SECONDS_PER_YEAR = 365.25 * 86_400  # continuous trading, the crypto convention
DEFAULT_START_NS = 1_700_000_000_000_000_000  # 2023-11-14 22:13:20 UTC
GENERATOR = "falconet.sim.market"

# Shape of the model (see docs/sim.md); not parameters because the defaults are what
# make the book look like a liquid venue's and the tests check them.
PLACEMENT_DECAY = 1.0  # limit arrivals at distance d from the fair quote ~ (1 + d)^-decay
HALF_SPREAD_TICKS = 0.1  # fair quotes: floor(latent - 0.1 tick), ceil(latent + 0.1 tick)
STALE_TICKS = 0.25  # a quote the latent price has passed by this much gets pulled or taken
GAP_PROB = 0.15  # P(one more empty tick) between levels coming into view
LIMIT_SIZE_SIGMA = 0.9  # lognormal shape of limit order sizes
MARKET_SIZE_SIGMA = 1.1  # market order sizes: heavier tail
LEVEL_SIZE_SIGMA = 0.6  # size of a level coming into view from behind the visible depth
SIGN_PERSISTENCE = 0.5  # P(an uninformed market order repeats the last aggressor side)
SPREAD_RESILIENCE = 0.5  # P(a limit order on a side behind its fair quote goes to it)
INFORM_PER_TICK = 1.0  # tanh slope: how much (latent - mid) tilts the aggressor side
PROGRESS_CHUNK_NS = 60 * 1_000_000_000  # exchange time between progress reports


class SimulationError(FalconetError):
    """The market simulator cannot produce the stream asked for."""


class MarketParamsError(SimulationError, ValueError):
    """An invalid `MarketParams` field; `param` names it."""

    def __init__(self, param: str, value: object, reason: str) -> None:
        super().__init__(f"{param} {value!r}: {reason}")
        self.param = param
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class MarketParams:
    """What to simulate. Prices and increments are decimal strings; sizes are in lots;
    rates are Poisson events per second of exchange time."""

    symbol: str = "SIM-PERP"
    venue: str = "sim"
    base: str = ""  # default: the symbol up to its first "-" or "/"
    quote: str = "USD"
    kind: str = "perp"  # spot, perp or equity
    tick: str = "0.01"
    lot: str = "1"
    start_price: str = "100.00"  # the opening best bid; the best ask is one tick above
    volatility: float = 0.8  # annualised st. dev. of log returns (365.25-day year)
    jump_rate_per_hour: float = 0.0  # Poisson jumps of the latent price
    jump_size: float = 0.002  # st. dev. of one jump's log return
    duration_s: float = 3600.0
    start_ns: int = DEFAULT_START_NS
    levels: int = 20  # visible price levels per side, always exactly this many
    mean_level_size: float = 40.0  # lots: the depth the book is held around
    limit_rate: float = 250.0
    cancel_rate: float = 220.0
    market_rate: float = 28.0
    limit_size_mean: float = 5.0
    market_size_mean: float = 8.0
    feed_latency_ms: float = 1.0  # mean feed latency (local minus exchange time)
    feed_jitter_ms: float = 0.2  # mean of its exponential part; <= feed_latency_ms
    snapshot_every_s: float = 300.0  # CLEAR + SNAPSHOT restatements; 0: the opening one only
    seed: int = 1

    def __post_init__(self) -> None:
        _validate(self)
        if not self.base:
            base = self.symbol.replace("/", "-").split("-")[0] or self.symbol
            object.__setattr__(self, "base", base)

    def instrument(self) -> Instrument:
        return make_instrument(
            self.venue, self.symbol, self.base, self.quote, self.kind, tick=self.tick, lot=self.lot
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- validation --------------------------------------------------------------------------


def _decimal(name: str, value: object) -> Decimal:
    try:
        number = Decimal(str(value)) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise MarketParamsError(name, value, "expected a positive decimal string such as 0.01")
    return number


def _number(name: str, value: object, low: float, high: float = math.inf) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f"of at least {low:g}"
        raise MarketParamsError(name, value, f"expected a number {bound}")
    return number


def _integer(name: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise MarketParamsError(name, value, f"expected an integer from {low:,} to {high:,}")
    return value


def _validate(p: MarketParams) -> None:
    for name in ("symbol", "venue", "quote"):
        if not isinstance(getattr(p, name), str) or not getattr(p, name).strip():
            raise MarketParamsError(name, getattr(p, name), "expected a non-empty name")
    if p.kind not in ("spot", "perp", "equity"):
        raise MarketParamsError("kind", p.kind, "expected spot, perp or equity")
    tick = _decimal("tick", p.tick)
    _decimal("lot", p.lot)
    start = _decimal("start_price", p.start_price)
    levels = _integer("levels", p.levels, 1, 1000)
    if start % tick != 0:
        raise MarketParamsError("start_price", p.start_price, f"not a multiple of tick {p.tick}")
    if start / tick < min_start_ticks(levels):
        raise MarketParamsError(
            "start_price",
            p.start_price,
            f"only {int(start / tick):,} ticks above zero; {levels} levels need at least "
            f"{min_start_ticks(levels):,} (raise it or use a finer tick)",
        )
    _number("volatility", p.volatility, 0.0, 100.0)
    _number("jump_rate_per_hour", p.jump_rate_per_hour, 0.0, 3600.0)
    _number("jump_size", p.jump_size, 0.0, 1.0)
    _number("duration_s", p.duration_s, 1e-3, 31 * 86_400.0)
    _integer("start_ns", p.start_ns, 0, 2**62)
    _integer("seed", p.seed, 0, 2**63 - 1)
    _number("mean_level_size", p.mean_level_size, 1.0, 1e12)
    for name in ("limit_size_mean", "market_size_mean"):
        _number(name, getattr(p, name), 1.0, 1e12)
    for name in ("limit_rate", "cancel_rate", "market_rate"):
        _number(name, getattr(p, name), 0.0, 1e6)
    if p.limit_rate <= 0:
        raise MarketParamsError(
            "limit_rate",
            p.limit_rate,
            "must be positive: limit orders make the book follow the price",
        )
    inflow = p.limit_rate * p.limit_size_mean
    if p.market_rate * p.market_size_mean >= inflow:
        # Market orders would eat the book faster than limit orders rebuild it.
        raise MarketParamsError(
            "market_rate",
            p.market_rate,
            f"market orders take {p.market_rate * p.market_size_mean:g} lots/s, not less than "
            f"the {inflow:g} lots/s limit orders bring (limit_rate × limit_size_mean)",
        )
    latency = _number("feed_latency_ms", p.feed_latency_ms, 0.0, 60_000.0)
    _number("feed_jitter_ms", p.feed_jitter_ms, 0.0, latency)
    every = _number("snapshot_every_s", p.snapshot_every_s, 0.0)
    if 0 < every < 1:  # a restatement per second is plenty; finer floods the file
        raise MarketParamsError("snapshot_every_s", every, "expected 0 (none) or at least 1")


def min_start_ticks(levels: int) -> int:
    """Room below the opening price for the bid side to move without reaching zero."""
    return 4 * levels + 100


# --- the run -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def lognormal_mu(mean: float, sigma: float) -> float:
    """mu such that 1 + floor(exp(mu + sigma Z)) has the given mean (>= 1), by bisection
    on E[floor(X)] = sum_j P(X >= j)."""
    if mean <= 1.0:
        return -50.0
    target = mean - 1.0

    def excess(mu: float) -> float:
        total, j = 0.0, 1
        while True:
            step = 1 if j < 1000 else j // 100  # the far tail is smooth: coarser steps
            tail = 0.5 * math.erfc((math.log(j) - mu) / (sigma * math.sqrt(2.0)))
            total += tail * step
            if tail < 1e-12 or j > 10_000_000:
                break
            j += step
        return total

    if target > 50:  # floor() no longer matters: E[X] - 1/2
        return math.log(target + 0.5) - 0.5 * sigma * sigma
    lo, hi = -20.0, math.log(target + 1.0) + 1.0
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)


def _kernel_floats(p: MarketParams) -> np.ndarray[Any, np.dtype[np.float64]]:
    cf = np.zeros(k.N_CF, dtype=np.float64)
    total = p.limit_rate + p.cancel_rate + p.market_rate
    cf[k.P_MEAN_GAP_NS] = 1e9 / total
    cf[k.P_LIMIT_SHARE] = p.limit_rate / total
    cf[k.P_CANCEL_SHARE] = p.cancel_rate / total
    cf[k.P_SIGMA] = p.volatility / math.sqrt(SECONDS_PER_YEAR)
    cf[k.P_JUMP_RATE] = p.jump_rate_per_hour / 3600.0
    cf[k.P_JUMP_SIGMA] = p.jump_size
    cf[k.P_HALF_SPREAD] = HALF_SPREAD_TICKS
    cf[k.P_STALE] = STALE_TICKS
    cf[k.P_LIMIT_MU] = lognormal_mu(p.limit_size_mean, LIMIT_SIZE_SIGMA)
    cf[k.P_LIMIT_SIG] = LIMIT_SIZE_SIGMA
    cf[k.P_MARKET_MU] = lognormal_mu(p.market_size_mean, MARKET_SIZE_SIGMA)
    cf[k.P_MARKET_SIG] = MARKET_SIZE_SIGMA
    cf[k.P_LEVEL_MU] = lognormal_mu(p.mean_level_size, LEVEL_SIZE_SIGMA)
    cf[k.P_LEVEL_SIG] = LEVEL_SIZE_SIGMA
    cf[k.P_GAP] = GAP_PROB
    # Cancels take out what limit orders bring in and market orders do not.
    inflow = p.limit_rate * p.limit_size_mean - p.market_rate * p.market_size_mean
    cf[k.P_CANCEL_MEAN] = max(1.0, inflow / p.cancel_rate) if p.cancel_rate > 0 else 1.0
    cf[k.P_DEPTH_TARGET] = 2.0 * p.levels * p.mean_level_size
    cf[k.P_PERSIST] = SIGN_PERSISTENCE
    cf[k.P_INFORM] = INFORM_PER_TICK
    cf[k.P_RESILIENCE] = SPREAD_RESILIENCE
    cf[k.P_JITTER_NS] = p.feed_jitter_ms * 1e6
    return cf


def _profile(n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    return (1.0 + np.arange(n, dtype=np.float64)) ** -PLACEMENT_DECAY


def _estimate_rows(p: MarketParams) -> int:
    """Rows the run will most likely write (a little more, so the buffers rarely grow)."""
    per_s = 1.06 * (p.limit_rate + p.cancel_rate) + 2.9 * p.market_rate  # measured, defaults
    snaps = 1 + (int(p.duration_s / p.snapshot_every_s) if p.snapshot_every_s > 0 else 0)
    return int(p.duration_s * per_s * 1.03) + snaps * (2 * p.levels + 1) + 16 * p.levels + 1024


Progress = Callable[[float], None]


def generate(params: MarketParams | None = None, *, progress: Progress | None = None) -> EventTable:
    """Simulate `params.duration_s` seconds of the market. `progress`, if given, is called
    with the fraction of exchange time done (0..1) about every simulated minute."""
    p = params if params is not None else MarketParams()
    inst = p.instrument()
    tick_units = tick_of(inst)
    best_bid = inst.price(p.start_price) // tick_units
    duration_ns = round(p.duration_s * 1e9)
    cf = _kernel_floats(p)
    ci = np.zeros(k.N_CI, dtype=np.int64)
    ci[k.C_T_END] = p.start_ns + duration_ns
    ci[k.C_SNAP_EVERY] = round(p.snapshot_every_s * 1e9)
    ci[k.C_LAT_MIN] = round((p.feed_latency_ms - p.feed_jitter_ms) * 1e6)
    st = np.zeros(k.N_STATE, dtype=np.int64)
    st[k.S_T_LAST] = st[k.S_NEXT_SNAP] = st[k.S_T_LOCAL] = p.start_ns
    fx = np.array([math.log(best_bid + 0.5)])  # the latent price starts mid-spread
    place_cdf = np.cumsum(_profile(p.levels))
    place_cdf /= place_cdf[-1]
    place_cdf[-1] = 1.0  # the scan in the kernel must end here
    cancel_w = _profile(8 * p.levels + 64)
    key = np.zeros((2, p.levels), dtype=np.int64)
    qty = np.zeros((2, p.levels), dtype=np.int64)
    rng = k.seed_rng(p.seed)
    k.start(key, qty, best_bid, rng, cf, st)

    cap = _estimate_rows(p)
    ri = np.empty((5, cap), dtype=np.int64)
    rb = np.empty((2, cap), dtype=np.int8)
    step = PROGRESS_CHUNK_NS if progress is not None else duration_ns
    t_stop = p.start_ns + step
    while True:
        code = k.run(key, qty, st, ci, cf, fx, place_cdf, cancel_w, rng, ri, rb, t_stop)
        if code == k.FULL:
            ri, rb = _grow(ri, int(st[k.S_CURSOR])), _grow(rb, int(st[k.S_CURSOR]))
        elif code == k.PAUSED:
            if progress is not None:
                progress(min(1.0, (t_stop - p.start_ns) / duration_ns))
            t_stop += step
        elif code == k.PRICE_FLOOR:
            low = inst.price_str(int(-key[0, 0]) * tick_units)
            raise SimulationError(
                f"the simulated price fell to {low}, too close to zero for {p.levels} levels "
                "per side: raise start_price, or lower volatility or duration_s"
            )
        else:
            break
    if progress is not None:
        progress(1.0)
    return _table(p, inst, tick_units, st, ri, rb)


def _grow(buf: np.ndarray[Any, Any], used: int) -> np.ndarray[Any, Any]:
    bigger = np.empty((buf.shape[0], buf.shape[1] + buf.shape[1] // 2 + 4096), dtype=buf.dtype)
    bigger[:, :used] = buf[:, :used]
    return bigger


def _table(
    p: MarketParams,
    inst: Instrument,
    tick_units: int,
    st: np.ndarray[Any, np.dtype[np.int64]],
    ri: np.ndarray[Any, np.dtype[np.int64]],
    rb: np.ndarray[Any, np.dtype[np.int8]],
) -> EventTable:
    n = int(st[k.S_CURSOR])
    # Row views of the buffers are contiguous; copy only when trimming saves real memory.
    copy = ri.shape[1] > n + n // 10
    cols = [ri[i, :n].copy() if copy else ri[i, :n] for i in range(5)]
    kind, side = (rb[i, :n].copy() if copy else rb[i, :n] for i in range(2))
    price, qty = cols[2], cols[3]
    price *= tick_units  # ticks and lots to the instrument's integer units
    qty *= inst.lot
    events = {
        "limit": st[k.S_LIMIT],
        "limit_behind_view": st[k.S_LIMIT_UNSEEN],
        "cancel": st[k.S_CANCEL],
        "cancel_stale": st[k.S_CANCEL_STALE],
        "market": st[k.S_MARKET],
        "market_informed": st[k.S_MARKET_INFORMED],
        "market_capped": st[k.S_MARKET_CAPPED],
        "jumps": st[k.S_JUMPS],
        "snapshots": st[k.S_SNAPSHOTS],
    }
    stats: dict[str, Any] = {
        "generator": GENERATOR,
        "seed": p.seed,
        "params": p.as_dict(),
        "events": {name: int(v) for name, v in events.items()},
        "messages": int(st[k.S_MESSAGES]),
        "gaps": [],
        "dropped": {},
        "local_time_correction_ns": 0,
    }
    return EventTable(
        ts_exchange=cols[0],
        ts_local=cols[1],
        kind=kind,
        side=side,
        price=price,
        qty=qty,
        order_id=np.zeros(n, dtype=np.int64),
        seq=cols[4],
        instrument=inst,
        meta={"source": [GENERATOR], "stats": stats},
    )


__all__ = [
    "MarketParams",
    "MarketParamsError",
    "SimulationError",
    "generate",
]
