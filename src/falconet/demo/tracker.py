"""What the demo shows and summarises, read from a running engine: each entry's market,
resting orders, fills, realized PnL and accumulation figures."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.core.enums import Side
from falconet.core.events import Fill
from falconet.core.instrument import Instrument
from falconet.engine.build import EntryPlan
from falconet.engine.engine import Engine, Slot
from falconet.state.pnl import AssetPnl, PnlFill, realized_pnl
from falconet.strategies.hedge import HedgeStrategy

RECENT = 12


@dataclass(frozen=True)
class FillLine:
    key: str
    symbol: str
    strategy: str
    side: str
    price: str
    size: str
    fee: str
    liquidity: str
    ts_ns: int


@dataclass
class EntryFigures:
    key: str
    symbol: str
    strategy: str
    bid: str | None
    ask: str | None
    buys: list[str]  # resting buy prices
    sells: list[str]
    fills: int
    realized_pnl: Decimal
    position: Decimal
    accumulated_profit: str | None
    reserved_base: str | None
    restarts: int


@dataclass
class DemoTracker:
    engine: Engine
    fills: dict[str, list[PnlFill]] = field(default_factory=dict)
    recent: deque[FillLine] = field(default_factory=lambda: deque(maxlen=RECENT))
    total_fills: int = 0
    # resting orders when the stop began (a clean stop cancels them)
    resting: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    _pnl: dict[str, AssetPnl | None] = field(default_factory=dict)  # until the next fill

    def __post_init__(self) -> None:
        self.engine.fill_listeners.append(self.on_fill)

    def on_fill(self, plan: EntryPlan, inst: Instrument, fill: Fill) -> None:
        self.total_fills += 1
        self._pnl.pop(plan.key, None)
        price, size = inst.price_decimal(fill.price), inst.size_decimal(fill.size)
        self.fills.setdefault(plan.key, []).append(
            PnlFill(
                venue=plan.venue.value,
                symbol=plan.entry.symbol,
                side=fill.side,
                price=price,
                size=size,
                fee=fill.fee,
                fee_currency=fill.fee_currency,
                ts_ns=fill.ts_exchange,
            )
        )
        self.recent.append(
            FillLine(
                plan.key,
                plan.entry.symbol,
                plan.entry.strategy.value,
                fill.side.value,
                f"{price:f}",
                f"{size:f}",
                f"{fill.fee.normalize():f}",
                fill.liquidity.value,
                fill.ts_exchange,
            )
        )

    def entries(self) -> list[EntryFigures]:
        restarts = {str(r["key"]): r["restarts"] for r in self.engine.supervisor.snapshot()}
        return [self._figures(slot, restarts) for slot in self.engine.slots]

    def _figures(self, slot: Slot, restarts: dict[str, object]) -> EntryFigures:
        inst = slot.instrument
        book = slot.market.book
        orders = slot.runner.ctx.open_orders()
        key = slot.plan.key
        if key not in self._pnl:  # the view redraws 4× a second; fills are rarer
            rows = realized_pnl(self.fills.get(key, []))
            self._pnl[key] = rows[0] if rows else None
        pnl = self._pnl[key]
        state: dict[str, Any] = {}
        strategy = slot.runner.strategy
        if strategy is not None:
            state = strategy.snapshot_state() or {}
        r = restarts.get(slot.plan.key, 0)
        return EntryFigures(
            key=slot.plan.key,
            symbol=slot.plan.entry.symbol,
            strategy=slot.plan.entry.strategy.value,
            bid=None if book.best_bid is None else inst.price_str(book.best_bid),
            ask=None if book.best_ask is None else inst.price_str(book.best_ask),
            buys=_prices(inst, [o.price for o in orders if o.side is Side.BUY], reverse=True),
            sells=_prices(inst, [o.price for o in orders if o.side is Side.SELL]),
            fills=len(self.fills.get(slot.plan.key, [])),
            realized_pnl=pnl.realized if pnl else Decimal(0),
            position=pnl.position if pnl else Decimal(0),
            accumulated_profit=_text(state.get("accumulated_profit")),
            reserved_base=_text(state.get("reserved_base")),
            restarts=r if isinstance(r, int) else 0,
        )

    def freeze_resting(self) -> None:
        self.resting = {e.key: (e.buys, e.sells) for e in self.entries()}

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        """By asset; with several venue accounts, by "account:asset" (one account's USDC
        must not hide another's)."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        several = len(self.engine.venues) > 1
        for account, rt in self.engine.venues.items():
            for asset, b in sorted(rt.account.balances.items()):
                out[f"{account}:{asset}" if several else asset] = (b.total, b.free)
        return out

    def summary(self, *, wall_s: float, sim_s: float, stopped: str) -> dict[str, Any]:
        assets = {}
        for e in self.entries():
            assets[e.key] = {
                "symbol": e.symbol,
                "strategy": e.strategy,
                "fills": e.fills,
                "realized_pnl": _money(e.realized_pnl),
                "position": f"{e.position:f}",
                "reserved_base": e.reserved_base,
                "accumulated_profit": e.accumulated_profit,
                "resting_at_stop": {
                    "buys": self.resting.get(e.key, (e.buys, e.sells))[0],
                    "sells": self.resting.get(e.key, (e.buys, e.sells))[1],
                },
                "restarts": e.restarts,
            }
        return {
            "stopped": stopped,
            "wall_seconds": round(wall_s, 2),
            "simulated_seconds": round(sim_s, 1),
            "fills": self.total_fills,
            "realized_pnl_total": _money(sum((e.realized_pnl for e in self.entries()), Decimal(0))),
            "entries": assets,
            "hedges": {
                key: strategy.snapshot()
                for key, slot in self.engine.hedges.items()
                if isinstance(strategy := slot.runner.strategy, HedgeStrategy)
            },
            "balances": {k: f"{t:f}" for k, (t, _) in self.balances().items()},
            "data_dir": str(self.engine.data_dir),
        }


def _prices(inst: Instrument, prices: list[int], *, reverse: bool = False) -> list[str]:
    return [inst.price_str(p) for p in sorted(prices, reverse=reverse)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.00000001')).normalize():f}"
