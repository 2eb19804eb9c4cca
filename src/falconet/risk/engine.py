"""The risk engine: every order a strategy sends passes here before the OMS, in backtest,
paper and live alike.

It holds the trading states (global, per venue account, per entry), runs the pre-trade
rules (`rules.py`), spends the order-rate budget of each venue account (one token bucket
per account, shared by every entry on it), and watches the engine-wide PnL marked to
market: a daily loss or a drawdown past its limit moves the global state by rule (reduce,
halt, or the kill switch). The kill switch and the tick-to-trade latency breaker cancel
everything through the handler the engine installs and latch HALTED until reset.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.config.risk import RiskLimits, RiskSettings
from falconet.core.events import Fill
from falconet.observe.log import get_logger
from falconet.risk.pnl import ZERO, EntryPnL, Watermarks
from falconet.risk.rules import (
    Exposure,
    Proposal,
    Refusal,
    check_limits,
    leaves,
    mid_of,
    reduces,
)
from falconet.risk.states import GLOBAL, StateBoard, TradingState

log = get_logger("risk")

EVALUATE_EVERY_NS = 250_000_000  # the loss rules look at the PnL this often (and on fills)
KillHandler = Callable[[str, bool], None]  # (reason, flatten)


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` kept; time is the caller's (sim or live)."""

    rate: Decimal
    burst: int
    tokens: Decimal = ZERO
    at_ns: int | None = None

    def take(self, now_ns: int) -> bool:
        if self.at_ns is None:
            self.tokens, self.at_ns = Decimal(self.burst), now_ns
        elapsed = max(now_ns - self.at_ns, 0)
        self.tokens = min(Decimal(self.burst), self.tokens + self.rate * elapsed / 10**9)
        self.at_ns = now_ns
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class EntryRisk:
    """One trading entry as the risk engine sees it."""

    key: str
    account: str  # "hyperliquid" or "hyperliquid:LABEL"
    view: Exposure
    limits: RiskLimits
    pnl: EntryPnL
    last_mid: int | None = None

    @property
    def scope(self) -> str:
        return f"entry:{self.key}"

    @property
    def account_scope(self) -> str:
        return f"account:{self.account}"

    def mid(self) -> int | None:
        mid = mid_of(self.view)
        if mid is not None:
            self.last_mid = mid
        return self.last_mid


@dataclass
class RiskFigures:
    pnl: Decimal = ZERO
    drawdown: Decimal = ZERO
    daily_loss: Decimal = ZERO
    net_notional: Decimal = ZERO
    unpriced: list[str] = field(default_factory=list)  # entries left out of the PnL


class RiskEngine:
    def __init__(
        self, settings: RiskSettings | None = None, *, clock: Callable[[], int] | None = None
    ) -> None:
        """`clock`: the time the loss rules run on (the day boundary, the evaluation
        cadence); by default the time each caller passes (a backtest's simulated time).
        The live engine gives wall time, since its venues' clocks may differ (paper)."""
        self.settings = settings or RiskSettings()
        self.clock = clock
        self.board = StateBoard()
        self.entries: dict[str, EntryRisk] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.marks = Watermarks()
        self.figures = RiskFigures()
        self.rejections: Counter[str] = Counter()
        self.kill_handler: KillHandler | None = None
        self.on_change: Callable[[], None] | None = None  # states changed (persist them)
        self._evaluated_ns = -EVALUATE_EVERY_NS

    # --- entries --------------------------------------------------------------------------

    def add_entry(
        self, key: str, account: str, view: Exposure, limits: RiskLimits | None = None
    ) -> EntryRisk:
        entry = EntryRisk(
            key, account, view, limits or self.settings.limits, EntryPnL(view.instrument)
        )
        self.entries[key] = entry
        rate = self.settings.order_rate_per_s
        if rate is not None and account not in self.buckets:
            burst = self.settings.order_burst or max(int(rate), 1)
            self.buckets[account] = TokenBucket(rate, burst)
        return entry

    # --- pre-trade --------------------------------------------------------------------------

    def check(
        self, entry: EntryRisk, order: Proposal, now_ns: int, *, latency_ns: int | None = None
    ) -> Refusal | None:
        """None when `order` may go to the OMS; otherwise the rule that refuses it.
        `latency_ns`: wall time from the book update the order answers to now."""
        refusal = self._judge(entry, order, now_ns, latency_ns)
        if refusal is not None:
            self.rejections[refusal.rule] += 1
        return refusal

    def _judge(
        self, entry: EntryRisk, order: Proposal, now_ns: int, latency_ns: int | None
    ) -> Refusal | None:
        now = self.clock() if self.clock is not None else now_ns
        if now - self._evaluated_ns >= EVALUATE_EVERY_NS:
            self.evaluate(now)
        scope, state = self.board.effective(entry.scope, entry.account_scope)
        if state.state is TradingState.HALTED:
            return Refusal("halted", f"{scope} is halted: {state.reason}")
        if state.state is TradingState.REDUCING and not reduces(entry.view, order):
            return Refusal("reducing", f"{scope} only takes reducing orders: {state.reason}")
        latency = self._latency(now, latency_ns)
        if latency is not None:
            return latency
        refusal = check_limits(entry.view, order, entry.limits, now_ns)
        if refusal is None:
            refusal = self._net_notional(entry, order)
        if refusal is None:
            refusal = self._rate(entry, now_ns)
        return refusal

    def _latency(self, now_ns: int, latency_ns: int | None) -> Refusal | None:
        limit = self.settings.max_tick_to_trade_ms
        if limit is None or latency_ns is None:
            return None
        took_ms = latency_ns / 1e6
        if took_ms <= limit:
            return None
        reason = f"tick to trade took {took_ms:.1f} ms (limit {limit} ms)"
        self.trip(GLOBAL, TradingState.HALTED, reason=reason, rule="latency", now_ns=now_ns)
        self._kill(reason, flatten=False)
        return Refusal("latency", reason)

    def _net_notional(self, entry: EntryRisk, order: Proposal) -> Refusal | None:
        """Positions plus every working order on the new order's side (as if they all
        filled), valued at fresh mids: an unknown mid refuses (fail closed)."""
        limit = self.settings.max_net_notional
        if limit is None:
            return None
        net = working = ZERO
        seen: set[tuple[str, str]] = set()
        for e in self.entries.values():
            where = (e.account, e.view.instrument.id)
            if where in seen:
                continue  # two entries on one instrument share its position and orders
            seen.add(where)
            pos = e.view.position()
            pending = leaves(e.view.open_orders(), order.side, skip=order.replaces)
            if pos == 0 and pending == 0:
                continue
            mid = mid_of(e.view)
            if mid is None:
                return Refusal("mid_unknown", f"no mid for {e.key} to value the net exposure")
            inst = e.view.instrument
            net += inst.notional(mid, abs(pos)) * (1 if pos > 0 else -1)
            working += inst.notional(mid, pending) * order.side.sign
        mid = mid_of(entry.view)
        if mid is None:
            return Refusal("mid_unknown", "no mid price to value the order")
        delta = entry.view.instrument.notional(order.price or mid, order.size) * order.side.sign
        before = net + working
        after = before + delta
        if abs(after) > limit and abs(after) > abs(before):
            return Refusal(
                "net_notional", f"engine net exposure could reach {after:.2f} (limit {limit})"
            )
        return None

    def _rate(self, entry: EntryRisk, now_ns: int) -> Refusal | None:
        bucket = self.buckets.get(entry.account)
        if bucket is None or bucket.take(now_ns):
            return None
        return Refusal(
            "order_rate", f"{entry.account}: over {self.settings.order_rate_per_s} orders/s"
        )

    # --- fills and the loss rules ------------------------------------------------------------

    def on_fill(self, entry: EntryRisk, fill: Fill, now_ns: int) -> None:
        entry.pnl.on_fill(fill)
        self.evaluate(self.clock() if self.clock is not None else now_ns)

    def evaluate(self, now_ns: int) -> RiskFigures:
        """The engine-wide PnL, drawdown and day's loss now; a breached limit moves the
        global state as `loss_action` says."""
        self._evaluated_ns = now_ns
        figures = RiskFigures()
        for e in self.entries.values():
            value = e.pnl.marked(e.mid()) if e.pnl.usd_like else None
            if value is None:
                if e.pnl.position or not e.pnl.usd_like:
                    figures.unpriced.append(e.key)
                continue
            figures.pnl += value
        figures.drawdown, figures.daily_loss = self.marks.update(figures.pnl, now_ns)
        self.figures = figures
        s = self.settings
        if s.max_drawdown is not None and figures.drawdown > s.max_drawdown:
            self._breach("drawdown", f"drawdown {figures.drawdown:.2f} > {s.max_drawdown}", now_ns)
        elif s.max_daily_loss is not None and figures.daily_loss > s.max_daily_loss:
            loss = f"day's loss {figures.daily_loss:.2f} > {s.max_daily_loss}"
            self._breach("daily_loss", loss, now_ns)
        return figures

    def _breach(self, rule: str, reason: str, now_ns: int) -> None:
        action = self.settings.loss_action
        state = TradingState.REDUCING if action == "reduce" else TradingState.HALTED
        if self.trip(GLOBAL, state, reason=reason, rule=rule, now_ns=now_ns) and action == "kill":
            self._kill(reason, flatten=self.settings.flatten_on_kill)

    # --- states and the kill switch --------------------------------------------------------

    def trip(self, scope: str, state: TradingState, *, reason: str, rule: str, now_ns: int) -> bool:
        """Move a scope to a more severe state; True if it moved."""
        if not self.board.set(scope, state, reason=reason, rule=rule, now_ns=now_ns):
            return False
        log.error("trading state changed", scope=scope, state=state.label, rule=rule, why=reason)
        if self.on_change is not None:
            self.on_change()
        return True

    def reset(self, scope: str, now_ns: int) -> None:
        """Back to ACTIVE (by command): a latched halt or a loss rule's state ends here."""
        self.board.reset(scope, now_ns)
        if scope == GLOBAL:
            # the drawdown and the day's loss are measured afresh from here
            self.marks.peak = self.marks.day_start = self.figures.pnl
        log.warning("trading state reset", scope=scope)
        if self.on_change is not None:
            self.on_change()

    def kill(self, reason: str, now_ns: int, *, flatten: bool | None = None) -> None:
        """The kill switch: HALTED everywhere, every order canceled, and positions closed
        with reduce-only orders if `flatten` (default: the config's flatten_on_kill)."""
        self.trip(GLOBAL, TradingState.HALTED, reason=reason, rule="kill_switch", now_ns=now_ns)
        self._kill(reason, self.settings.flatten_on_kill if flatten is None else flatten)

    def _kill(self, reason: str, flatten: bool) -> None:
        if self.kill_handler is None:
            log.error("kill switch: no handler installed; orders stay", reason=reason)
            return
        self.kill_handler(reason, flatten)

    # --- views --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        f = self.figures
        return {
            "states": self.board.snapshot(),
            "pnl": str(f.pnl),
            "drawdown": str(f.drawdown),
            "daily_loss": str(f.daily_loss),
            "unpriced": list(f.unpriced),
            "rejections": dict(self.rejections),
        }
