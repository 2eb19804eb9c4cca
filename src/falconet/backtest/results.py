"""A finished backtest as plain tables and a JSON-able summary.

`analyze(run)` turns each instrument's kernel logs into fills, orders and an equity curve
(see `tables.py`) with average-cost PnL; `summary(run)` condenses them into metrics, per
instrument and in total. The summary is deterministic: the same run gives the same JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from falconet.backtest import metrics as m
from falconet.backtest.runner import AssetResult, BacktestRun
from falconet.backtest.tables import (
    STATUS_NAMES,
    Account,
    EquityCurve,
    Fills,
    Orders,
    PnL,
    account_pnl,
    equity_curve,
    fills_table,
    intent_name,
    iso_ns,
    orders_table,
)
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.instrument import Instrument
from falconet.sim.layout import (
    E_EXPIRED,
    E_REJECTED,
    EV_KIND,
    EV_REASON,
    EV_TS,
    F_CONTRACT,
    F_TICK,
    F_UNIT,
)
from falconet.sim.models import Latency, SimConfig, VenueProfile

SUMMARY_FORMAT = "falconet.backtest.summary/1"
DEFAULT_INTERVAL_S = 60.0


@dataclass(frozen=True, slots=True)
class InstrumentResults:
    name: str  # unique within the run: the instrument id, suffixed if it repeats
    instrument: Instrument
    strategy: str
    strategy_code: int
    tick_units: int  # price units per tick
    contract: float
    fills: Fills
    orders: Orders
    equity: EquityCurve
    pnl: PnL
    counters: dict[str, int]
    position_units: int  # final position, exact
    rejections: dict[tuple[str, str], int]  # (kind, rule) -> refused orders

    def price_str(self, tick: int) -> str:
        return self.instrument.price_str(int(tick) * self.tick_units)

    def client_id(self, order_id: int, intent: int, level: int) -> str:
        """The order's client id, as the strategy saw it."""
        try:
            tag = OrderTag(StrategyCode(self.strategy_code), Intent(intent), order_id, level)
            return str(tag.encode(IdFormat.TEXT))
        except ValueError:
            return str(order_id)

    def fill_rows(self, last: int | None = None) -> list[dict[str, Any]]:
        """Fills as rows of text and numbers (prices and sizes exact); the `last` ones only."""
        f, inst = self.fills, self.instrument
        rows = []
        for i in range(0 if last is None else max(len(f) - last, 0), len(f)):
            in_base = bool(f.fee_base[i])
            oid, intent, level = int(f.order_id[i]), int(f.intent[i]), int(f.level[i])
            rows.append(
                {
                    "ts_local": iso_ns(int(f.ts_local[i])),
                    "ts_exchange": iso_ns(int(f.ts_exchange[i])),
                    "order_id": oid,
                    "client_id": self.client_id(oid, intent, level),
                    "side": "buy" if f.side[i] > 0 else "sell",
                    "price": self.price_str(int(f.tick[i])),
                    "size": inst.size_str(int(f.qty[i])),
                    "fee": float(f.fee_base[i] if in_base else f.fee[i]),
                    "fee_currency": inst.base if in_base else inst.quote,
                    "liquidity": "maker" if f.maker[i] else "taker",
                    "intent": intent_name(intent),
                    "level": level,
                    "realized_pnl": float(f.realized[i]),
                    "position": float(f.position[i]),
                }
            )
        return rows

    def order_rows(self, last: int | None = None) -> list[dict[str, Any]]:
        """Orders as rows (prices and sizes exact); the `last` highest ids only."""
        o, inst = self.orders, self.instrument
        rows = []
        for i in range(0 if last is None else max(len(o) - last, 0), len(o)):
            oid, intent, level = int(o.order_id[i]), int(o.intent[i]), int(o.level[i])
            rows.append(
                {
                    "order_id": oid,
                    "client_id": self.client_id(oid, intent, level),
                    "intent": intent_name(intent),
                    "level": level,
                    "side": "buy" if o.side[i] > 0 else "sell",
                    "price": self.price_str(int(o.tick[i])) if o.tick[i] else "market",
                    "size": inst.size_str(int(o.qty[i])),
                    "filled": inst.size_str(int(o.filled[i])),
                    "status": STATUS_NAMES[int(o.status[i])],
                    "first_event": iso_ns(int(o.first_ts[i])),
                    "last_event": iso_ns(int(o.last_ts[i])),
                    "events": int(o.events[i]),
                }
            )
        return rows


@dataclass(frozen=True, slots=True)
class RunResults:
    instruments: list[InstrumentResults]
    rows: int  # market-data rows replayed
    wall_s: float
    config: SimConfig


def analyze(run: BacktestRun) -> RunResults:
    """Tables and PnL of every instrument of a finished run."""
    seen: dict[str, int] = {}
    out = []
    for res in run.results:
        base = str(res.asset.instrument.id)
        seen[base] = seen.get(base, 0) + 1
        out.append(instrument_results(res, base if seen[base] == 1 else f"{base}#{seen[base]}"))
    return RunResults(out, run.rows, run.wall_s, run.config)


def instrument_results(res: AssetResult, name: str | None = None) -> InstrumentResults:
    asset = res.asset
    tick, unit = float(asset.F[F_TICK]), float(asset.F[F_UNIT])
    contract = float(asset.F[F_CONTRACT])
    fills = fills_table(res.events, res.event_fees, tick, unit, contract)
    final = res.final_state()
    last_event = int(res.events[-1, EV_TS]) if res.events.shape[0] else int(asset.start_ts)
    start = Account(int(asset.start_ts), math.nan, 0.0, 0.0, 0.0, 0.0)
    end = Account(
        last_event,
        float(final["mid"]),
        float(final["position"]),
        float(final["balance"]),
        float(final["fees"]),
        float(final["funding"]),
    )
    curve = equity_curve(res.records, res.record_values, tick, contract, start, end)
    pnl = account_pnl(fills, curve, end, contract)
    strategy = res.strategy
    return InstrumentResults(
        name=name or str(asset.instrument.id),
        instrument=asset.instrument,
        strategy=strategy.name,
        strategy_code=int(strategy.code),
        tick_units=int(asset.tick_units),
        contract=contract,
        fills=fills,
        orders=orders_table(res.events),
        equity=curve,
        pnl=pnl,
        counters=_counters(res),
        position_units=int(final["position_units"]),
        rejections=rejections(res),
    )


def _counters(res: AssetResult) -> dict[str, int]:
    counters = {"steps": int(res.steps), **res.asset.counters()}
    # orders refused before the simulator are rejections too, as they are live
    counters["rejects"] += sum(res.refused.values())
    return counters


def rejections(res: AssetResult) -> dict[tuple[str, str], int]:
    """Refused orders by (kind, rule): the simulator's rejections and expiries (from its
    event log, by reason) and the ones refused before it (precision, risk rules)."""
    out: dict[tuple[str, str], int] = dict(res.refused)
    ev = res.events
    ended = ev[(ev[:, EV_KIND] == E_REJECTED) | (ev[:, EV_KIND] == E_EXPIRED)]
    codes, counts = np.unique(ended[:, EV_REASON], return_counts=True)
    for code, n in zip(codes.tolist(), counts.tolist(), strict=True):
        key = (VenueProfile.kind(int(code)).value, "")
        out[key] = out.get(key, 0) + int(n)
    return out


def rejections_summary(counts: dict[tuple[str, str], int]) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for (kind, rule), n in sorted(counts.items()):
        by_kind[kind] = by_kind.get(kind, 0) + n
        if rule:
            by_rule[rule] = by_rule.get(rule, 0) + n
    return {"total": sum(counts.values()), "by_kind": by_kind, "by_rule": by_rule}


# --- summary ---------------------------------------------------------------------------------


def summary(
    run: BacktestRun | RunResults, *, interval_s: float = DEFAULT_INTERVAL_S
) -> dict[str, Any]:
    """Metrics per instrument and in total, as JSON-able values (floats to 10 significant
    digits, ratios to 6, exact sizes as decimal text, times as ns and ISO text)."""
    res = analyze(run) if isinstance(run, BacktestRun) else run
    interval_ns = round(interval_s * m.NS_PER_S)
    per = [instrument_summary(ir, interval_ns) for ir in res.instruments]
    return {
        "format": SUMMARY_FORMAT,
        "rows": res.rows,
        "config": config_summary(res.config),
        "instruments": per,
        "total": total_summary(res.instruments, interval_ns),
    }


def _num(x: float | None, digits: int = 10) -> float | None:
    """Rounded to `digits` significant digits; None for NaN/inf (JSON has neither)."""
    if x is None or not math.isfinite(x):
        return None
    v = float(f"{x:.{digits}g}")
    return v if v != 0.0 else 0.0  # no "-0.0"


def _ratio(num: float, den: float) -> float | None:
    return _num(num / den, 6) if den else None


def _when(ts: int | None) -> dict[str, Any]:
    return {"ns": ts, "utc": None if ts is None else iso_ns(ts)}


def pnl_summary(p: PnL) -> dict[str, float | None]:
    return {
        "equity_start": _num(p.equity_start),
        "equity_end": _num(p.equity_end),
        "equity_change": _num(p.equity_change),
        "realized": _num(p.realized),
        "unrealized": _num(p.unrealized),
        "fees": _num(p.fees),
        "fees_paid": _num(p.fees_paid),
        "rebates": _num(p.rebates),
        "funding": _num(p.funding),
        "residual": _num(p.residual, 3),
    }


def curve_summary(ts: m.I64, equity: m.F64, interval_ns: int) -> dict[str, Any]:
    """Span, drawdown, Sharpe and Sortino of one equity curve."""
    dd = m.max_drawdown(ts, equity)
    changes = m.resampled_changes(ts, equity, interval_ns)
    periods = m.periods_per_year(interval_ns)
    start, end = (int(ts[0]), int(ts[-1])) if ts.shape[0] else (0, 0)
    return {
        "start": _when(start),
        "end": _when(end),
        "span_days": _num((end - start) / m.NS_PER_DAY, 6),
        "drawdown": {
            "max": _num(dd.amount),
            "peak": _when(dd.peak_ts),
            "trough": _when(dd.trough_ts),
            "recovered": _when(dd.recovered_ts),
        },
        "risk": {
            "interval_s": interval_ns / m.NS_PER_S,
            "periods_per_year": _num(periods),
            "intervals": int(changes.shape[0]),
            "mean_change": _num(float(np.mean(changes)) if changes.shape[0] else None),
            "sharpe": _num(m.sharpe(changes, periods), 6),
            "sortino": _num(m.sortino(changes, periods), 6),
        },
    }


def instrument_summary(ir: InstrumentResults, interval_ns: int) -> dict[str, Any]:
    f, inst, curve = ir.fills, ir.instrument, ir.equity
    out = curve_summary(curve.ts, curve.equity, interval_ns)
    start, end = int(curve.ts[0]), int(curve.ts[-1])
    days = (end - start) / m.NS_PER_DAY
    pos = np.concatenate(([0.0], f.position))  # flat before the first fill
    statuses = np.bincount(ir.orders.status, minlength=len(STATUS_NAMES))
    n = len(f)
    out.update(
        {
            "instrument": str(inst.id),
            "name": ir.name,
            "symbol": inst.symbol,
            "venue": str(inst.venue),
            "kind": str(inst.kind),
            "base": inst.base,
            "quote": inst.quote,
            "strategy": ir.strategy,
            "counters": dict(ir.counters),
            "rejections": rejections_summary(ir.rejections),
            "orders": {"count": len(ir.orders)}
            | {name: int(statuses[i]) for i, name in enumerate(STATUS_NAMES)},
            "pnl": pnl_summary(ir.pnl),
            "position": {
                "final": inst.size_str(ir.position_units),
                "final_base": _num(ir.pnl.position),
                "avg_cost": _num(ir.pnl.avg_cost),
                "mid": _num(ir.pnl.mid),
            },
            "inventory": {
                "min": _num(float(pos.min())),
                "max": _num(float(pos.max())),
                "mean_abs": _num(m.time_weighted_mean(f.ts_local, np.abs(f.position), start, end)),
            },
            "activity": {
                "volume": inst.size_str(int(np.sum(f.qty))),
                "notional": _num(float(np.sum(f.price * f.size)) * ir.contract),
                "fill_ratio": _ratio(n, ir.counters["submits"]),
                "trades_per_day": _num(n / days, 6) if days > 0 else None,
                "maker_share": _ratio(int(np.sum(f.maker)), n),
                "maker_volume_share": _ratio(float(np.sum(f.size[f.maker])), float(np.sum(f.size))),
            },
        }
    )
    return out


def total_summary(irs: list[InstrumentResults], interval_ns: int) -> dict[str, Any]:
    """Sums across instruments; money only when they all share one quote currency."""
    counters: dict[str, int] = {}
    for ir in irs:
        for k, v in ir.counters.items():
            counters[k] = counters.get(k, 0) + v
    quotes = sorted({ir.instrument.quote for ir in irs})
    refused: dict[tuple[str, str], int] = {}
    for ir in irs:
        for key, n in ir.rejections.items():
            refused[key] = refused.get(key, 0) + n
    out: dict[str, Any] = {
        "instruments": len(irs),
        "currency": quotes[0] if len(quotes) == 1 else None,
        "counters": counters,
        "rejections": rejections_summary(refused),
    }
    fills = counters.get("fills", 0)
    out["activity"] = {
        "fill_ratio": _ratio(fills, counters.get("submits", 0)),
        "maker_share": _ratio(sum(int(np.sum(ir.fills.maker)) for ir in irs), fills),
    }
    if len(quotes) != 1:
        return out
    ts, equity = m.sum_curves([(ir.equity.ts, ir.equity.equity) for ir in irs])
    out.update(curve_summary(ts, equity, interval_ns))
    days = (int(ts[-1]) - int(ts[0])) / m.NS_PER_DAY
    out["activity"]["trades_per_day"] = _num(fills / days, 6) if days > 0 else None
    out["activity"]["notional"] = _num(
        sum(float(np.sum(ir.fills.price * ir.fills.size)) * ir.contract for ir in irs)
    )
    p = [ir.pnl for ir in irs]
    out["pnl"] = pnl_summary(
        PnL(
            equity_start=sum(x.equity_start for x in p),
            equity_end=sum(x.equity_end for x in p),
            realized=sum(x.realized for x in p),
            unrealized=sum(x.unrealized for x in p),
            fees=sum(x.fees for x in p),
            fees_paid=sum(x.fees_paid for x in p),
            rebates=sum(x.rebates for x in p),
            funding=sum(x.funding for x in p),
            position=math.nan,
            avg_cost=math.nan,
            mid=math.nan,
        )
    )
    return out


def _latency(lat: Latency) -> dict[str, Any] | str:
    if lat.table is not None:
        return f"recorded ({lat.table.shape[0]} rows)"
    return {"entry_ms": lat.entry_ns / 1e6, "response_ms": lat.response_ns / 1e6}


def config_summary(cfg: SimConfig) -> dict[str, Any]:
    return {
        "queue": str(cfg.queue),
        "latency": {
            "place": _latency(cfg.latency.place),
            "amend": _latency(cfg.latency.amend),
            "cancel": _latency(cfg.latency.cancel),
        },
        "fees": {
            "maker": cfg.fees.maker,
            "taker": cfg.fees.taker,
            "kind": cfg.fees.kind,
            "base_on_buy": cfg.fees.base_on_buy,
        },
        "venue": cfg.venue.name,
        "partial_fills": cfg.partial_fills,
        "initial_balance": cfg.initial_balance,
        "leverage": cfg.leverage,
        "contract_size": cfg.contract_size,
        "funding_rows": 0 if cfg.funding is None else int(cfg.funding.shape[0]),
    }
