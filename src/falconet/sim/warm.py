"""Compile (first run) or load (later runs) the simulator's kernels before they are on a
clock: a paper venue would otherwise stall its first step for as long as compiling takes."""

from __future__ import annotations

from falconet.sim.asset import SimAsset
from falconet.sim.market import MarketParams, generate
from falconet.sim.models import SimConfig


def warm_up() -> None:
    table = generate(MarketParams(duration_s=1.0, start_ns=10**18))
    sim = SimAsset(table, SimConfig(partial_fills=True))
    bid = sim.best_bid() or 0
    sim.submit(1, bid, 1)
    sim.advance(int(table.column("ts_local")[-1]), record=False)
