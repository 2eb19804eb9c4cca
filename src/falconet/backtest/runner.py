"""Runs strategies through the simulator: one instrument per strategy, the same callbacks
as live trading, deterministic from the inputs alone.

Between wake-ups the compiled kernel replays the market and the order traffic; Python
runs only when the strategy asked to wake (every N ms, on a book change, on a trade), and
delivers order events and fills only to strategies that implement those callbacks.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from falconet.backtest.context import SimContext
from falconet.backtest.events import EventDecoder
from falconet.config.risk import RiskSettings
from falconet.core.bars import BarBuilder, BarSource, mid_of
from falconet.core.enums import Side
from falconet.core.events import Fill, Trade
from falconet.data.format import EventTable
from falconet.risk import RiskEngine
from falconet.sim import layout as L
from falconet.sim.asset import SimAsset
from falconet.sim.data import SimData
from falconet.sim.kernel.loop import WAKE_BOOK, WAKE_TRADE
from falconet.sim.models import SimConfig
from falconet.strategies.api import Strategy

NS_PER_MS = 1_000_000
MAX_TS = 2**63 - 1
MAX_REFUSAL_ROUNDS = 100  # a strategy answering every refusal with a new order stops here

Progress = Callable[[int, int], None]  # (rows done, rows total)


@dataclass
class AssetResult:
    """Everything one instrument's run produced; arrays are the kernel's logs."""

    asset: SimAsset
    strategy: Strategy
    steps: int
    events: np.ndarray  # EV rows, see sim/layout.py
    event_fees: np.ndarray
    records: np.ndarray  # REC rows
    record_values: np.ndarray  # RECF rows
    # orders refused before the simulator, by (kind, rule): precision, risk
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def instrument(self) -> Any:
        return self.asset.instrument

    def final_state(self) -> dict[str, float]:
        """Local (strategy-view) account after the last event, with equity at the mid."""
        s, f = self.asset.S, self.asset.F
        bid, ask = int(s[L.S_LBB]), int(s[L.S_LBA])
        mid = float("nan")
        if bid != L.NO_BID and ask != L.NO_ASK:
            mid = float((bid + ask) * 0.5 * float(f[L.F_TICK]))
        equity = f[L.F_LBAL] + f[L.F_LPOSF] * f[L.F_CONTRACT] * mid - f[L.F_LFEE]
        return {
            "position": float(f[L.F_LPOSF]),
            "position_units": int(s[L.S_LPOS]),
            "balance": float(f[L.F_LBAL]),
            "fees": float(f[L.F_LFEE]),
            "fees_base_value": float(f[L.F_LFEE_BASE]),
            "funding": float(f[L.F_FUNDING]),
            "mid": mid,
            "equity": float(equity),
            "volume": float(f[L.F_LVOL]),
            "value": float(f[L.F_LVAL]),
        }


@dataclass
class BacktestRun:
    results: list[AssetResult]
    wall_s: float
    rows: int
    config: SimConfig
    meta: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] | None = None  # the risk engine's last snapshot


def run_backtest(
    markets: Sequence[EventTable | SimData],
    strategies: list[Strategy],
    config: SimConfig,
    *,
    progress: Progress | None = None,
    risk: RiskSettings | None = None,
) -> BacktestRun:
    """Run `strategies[i]` on `markets[i]`, all in one timeline. Pass `SimData` to reuse
    prepared market arrays across runs. Every order goes through the risk engine's
    pre-trade checks (`risk`: the limits; none set by default), as in live trading."""
    if len(markets) != len(strategies) or not markets:
        raise ValueError("one strategy per instrument, at least one")
    started = time.perf_counter()
    # no limits set: no risk engine at all (a plain backtest pays nothing for it)
    engine = RiskEngine(risk) if risk is not None and risk.any_set else None
    runners = [
        _Runner(m, s, config, engine, f"{s.name}:{i}")
        for i, (m, s) in enumerate(zip(markets, strategies, strict=True))
    ]
    if engine is not None:
        engine.kill_handler = lambda reason, flatten: _kill(runners, flatten)
    total = sum(r.asset.data.rows for r in runners)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the run allocates little; collections would only cost time
    try:
        for r in runners:
            r.start()
        _drive(runners, progress, total)
        for r in runners:
            r.stop()
    finally:
        if gc_was_enabled:
            gc.enable()
    wall = time.perf_counter() - started
    return BacktestRun(
        results=[r.result() for r in runners],
        wall_s=wall,
        rows=total,
        config=config,
        risk=engine.snapshot() if engine is not None else None,
    )


def _kill(runners: list[_Runner], flatten: bool) -> None:
    """The kill switch in a backtest: cancel every order, close positions at market."""
    for r in runners:
        r.ctx.cancel_all()
        pos = r.ctx.position()
        if flatten and pos:
            side = Side.SELL if pos > 0 else Side.BUY
            r.asset.submit(
                side.sign, 0, abs(pos), tif=L.TIF_IOC, order_type=L.TYPE_MARKET, reduce_only=True
            )


def _drive(runners: list[_Runner], progress: Progress | None, total: int) -> None:
    if len(runners) == 1:
        r = runners[0]
        chunk = max(total // 200, 1)
        next_report = chunk
        while not r.done:
            r.step()
            if progress is not None and r.rows_done >= next_report:
                progress(r.rows_done, total)
                next_report = r.rows_done + chunk
    else:
        while True:
            live = [r for r in runners if not r.done]
            if not live:
                break
            # the runner whose next wake-up comes first goes next: one shared timeline
            min(live, key=lambda r: r.next_wake()).step()
            if progress is not None:
                progress(sum(r.rows_done for r in runners), total)
    if progress is not None:
        progress(total, total)


class _Runner:
    """One strategy on one simulated instrument."""

    def __init__(
        self,
        market: EventTable | SimData,
        strategy: Strategy,
        config: SimConfig,
        risk: RiskEngine | None,
        key: str,
    ) -> None:
        self.strategy = strategy
        self.asset = SimAsset(market, config, strategy_code=int(strategy.code))
        self.ctx = SimContext(self.asset, strategy.code, risk=risk, key=key)
        self.risk = risk
        wk = strategy.wakeup
        self.step_ns = wk.every_ms * NS_PER_MS if wk.every_ms else 0
        self.asset.S[L.S_WAKE_DEPTH] = wk.book_depth
        self.bars = BarBuilder(self.asset.instrument.id, wk.bar_s) if wk.bars else None
        self.bars_from = wk.bars
        wake_book = wk.on_book or wk.bars is BarSource.MID
        wake_trade = wk.on_trade or wk.bars is BarSource.TRADES
        self.wake = (WAKE_BOOK if wake_book else 0) | (WAKE_TRADE if wake_trade else 0)
        self.deliver_orders = strategy.wants("on_order") or strategy.wants("on_fill")
        # the loss rules need every fill, whether or not the strategy reads them
        s = risk.settings if risk is not None else None
        needs_fills = s is not None and (s.max_daily_loss is not None or s.max_drawdown is not None)
        self.decoder = (
            EventDecoder(self.asset, self.ctx, on_fill=self._risk_fill)
            if self.deliver_orders or needs_fills
            else None
        )
        self.wants_trades = strategy.wants("on_trade") or wk.bars is BarSource.TRADES
        # The timer grid starts at the first exchange timestamp, like the reference engine.
        first = self.asset.data.start_ts
        self.asset.S[L.S_NOW] = first
        self.next_timer = first + self.step_ns if self.step_ns else MAX_TS
        self.steps = 0
        self.done = self.asset.data.rows == 0
        self._trades_seen = 0

    @property
    def rows_done(self) -> int:
        return int(self.asset.S[L.S_XROW])

    def next_wake(self) -> int:
        if self.wake:
            data = self.asset.data
            row = int(self.asset.S[L.S_LROW])
            nxt = data.local_ts(row) if row < data.rows else MAX_TS
            return min(self.next_timer, nxt)
        return self.next_timer

    def _risk_fill(self, fill: Fill) -> None:
        if self.risk is not None and self.ctx.entry is not None:
            self.risk.on_fill(self.ctx.entry, fill, self.ctx.now_ns)

    def _answer(self) -> None:
        """Refusals made during a callback, delivered after it (and theirs after them)."""
        if not self.ctx.refusals:  # the common case, on every step
            return
        for _ in range(MAX_REFUSAL_ROUNDS):
            refused = self.ctx.take_refusals()
            if not refused:
                return
            for event in refused:
                self.strategy.on_order(self.ctx, event)

    def start(self) -> None:
        self.strategy.on_start(self.ctx)
        self._answer()

    def step(self) -> None:
        code = self.asset.advance(self.next_timer, self.wake, True)
        if self.ctx.queued:
            self.ctx.queued.clear()  # the kernel has taken what the last callbacks sent
        if self.decoder is not None:
            self.decoder.deliver(self.strategy)
        self._answer()
        self._wake(code)
        self._answer()

    def _wake(self, code: int) -> None:
        if code == L.W_END:
            self.done = True
            return
        if code == L.W_TIME:
            self.next_timer += self.step_ns
            self.steps += 1
            self.strategy.on_timer(self.ctx)
        elif code == L.W_BOOK:
            self._book()
        elif code == L.W_TRADE:
            if self.wants_trades:
                for trade in self._new_trades():
                    self._trade(trade)
            if self.asset.S[L.S_BOOK_CHANGED] and self.wake & WAKE_BOOK:
                self._book()

    def _book(self) -> None:
        if self.bars is not None and self.bars_from is BarSource.MID:
            mid = mid_of(self.ctx.best_bid(), self.ctx.best_ask())
            bar = None if mid is None else self.bars.update(self.ctx.now_ns, mid)
            if bar is not None:
                self.strategy.on_bar(self.ctx, bar)
        if self.strategy.wakeup.on_book:
            self.strategy.on_book(self.ctx)

    def _trade(self, trade: Trade) -> None:
        if self.bars is not None and self.bars_from is BarSource.TRADES:
            bar = self.bars.update(trade.ts_local, trade.price, trade.size)
            if bar is not None:
                self.strategy.on_bar(self.ctx, bar)
        if self.strategy.wakeup.on_trade:
            self.strategy.on_trade(self.ctx, trade)

    def _new_trades(self) -> list[Trade]:
        ring = self.asset.TR
        end = int(self.asset.S[L.S_NTR])
        start = max(self._trades_seen, end - ring.shape[0])
        self._trades_seen = end
        iid = self.asset.instrument.id
        tu = self.asset.tick_units
        out = []
        for k in range(start, end):
            ts, side, tick, qty = ring[k % ring.shape[0]].tolist()
            out.append(
                Trade(
                    ts_exchange=ts,
                    ts_local=ts,
                    instrument_id=iid,
                    price=tick * tu,
                    size=qty,
                    aggressor=None if side == 0 else (Side.BUY if side > 0 else Side.SELL),
                )
            )
        return out

    def stop(self) -> None:
        self.strategy.on_stop(self.ctx)
        self._answer()
        if not self.asset.ended:
            # requests made in on_stop, and responses still in flight, play out
            self.asset.advance(MAX_TS - 1, 0, False)
        if self.decoder is not None:
            self.decoder.deliver(self.strategy)

    def result(self) -> AssetResult:
        ev, evf = self.asset.events()
        rec, recf = self.asset.records()
        return AssetResult(
            asset=self.asset,
            strategy=self.strategy,
            steps=self.steps,
            events=ev.copy(),
            event_fees=evf.copy(),
            records=rec.copy(),
            record_values=recf.copy(),
            refused=Counter(self.ctx.rejections),
        )
