"""The HTML report of a backtest: one self-contained file (inline CSS and SVG, no scripts,
nothing fetched) with the metrics, equity, inventory and price charts, and the last fills
and orders of each instrument. Every piece of text from the run is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from falconet.backtest.metrics import F64, I64, sum_curves
from falconet.backtest.report_svg import Series, chart
from falconet.backtest.results import (
    DEFAULT_INTERVAL_S,
    InstrumentResults,
    RunResults,
    analyze,
    summary,
)
from falconet.backtest.runner import BacktestRun

DEFAULT_LAST_N = 100

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#666;margin:0 0 12px}
table{border-collapse:collapse;font-size:13px;margin:4px 0 12px}
th,td{border:1px solid #e2e2e2;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f6f6f6}td.l,th.l{text-align:left}tr:nth-child(even) td{background:#fbfbfb}
.scroll{overflow-x:auto}.chart{display:block;margin:6px 0;max-width:100%;height:auto}
.chart text{font:11px system-ui,sans-serif;fill:#444}.neg{color:#b22}.note{color:#666}
"""

# (label, path into one instrument's (or the total's) summary, format)
_METRICS: list[tuple[str, tuple[str, ...], str]] = [
    ("Strategy", ("strategy",), "text"),
    ("Start (UTC)", ("start", "utc"), "time"),
    ("End (UTC)", ("end", "utc"), "time"),
    ("Span", ("span_days",), "span"),
    ("Equity change", ("pnl", "equity_change"), "money"),
    ("Realized PnL (average cost)", ("pnl", "realized"), "money"),
    ("Unrealized PnL", ("pnl", "unrealized"), "money"),
    ("Fees paid", ("pnl", "fees_paid"), "money"),
    ("Rebates", ("pnl", "rebates"), "money"),
    ("Net fees", ("pnl", "fees"), "money"),
    ("Funding (+ received)", ("pnl", "funding"), "money"),
    ("PnL identity residual", ("pnl", "residual"), "num"),
    ("Final position", ("position", "final"), "text"),
    ("Average cost", ("position", "avg_cost"), "num"),
    ("Final mid", ("position", "mid"), "num"),
    ("Inventory min", ("inventory", "min"), "num"),
    ("Inventory max", ("inventory", "max"), "num"),
    ("Mean |position| (time-weighted)", ("inventory", "mean_abs"), "num"),
    ("Max drawdown", ("drawdown", "max"), "money"),
    ("Drawdown peak", ("drawdown", "peak", "utc"), "time"),
    ("Drawdown trough", ("drawdown", "trough", "utc"), "time"),
    ("Recovered", ("drawdown", "recovered", "utc"), "time"),
    ("Sharpe (PnL, annualised)", ("risk", "sharpe"), "num"),
    ("Sortino (PnL, annualised)", ("risk", "sortino"), "num"),
    ("Intervals", ("risk", "intervals"), "int"),
    ("Fills", ("counters", "fills"), "int"),
    ("Fill ratio (fills / submits)", ("activity", "fill_ratio"), "pct"),
    ("Trades per day", ("activity", "trades_per_day"), "num"),
    ("Maker share", ("activity", "maker_share"), "pct"),
    ("Volume (base)", ("activity", "volume"), "text"),
    ("Notional (quote)", ("activity", "notional"), "money"),
    ("Steps", ("counters", "steps"), "int"),
    ("Submits", ("counters", "submits"), "int"),
    ("Cancels", ("counters", "cancels"), "int"),
    ("Amends", ("counters", "amends"), "int"),
    ("Rejects", ("counters", "rejects"), "int"),
    ("Errors", ("counters", "errors"), "int"),
    ("Orders", ("orders", "count"), "int"),
    ("Orders filled", ("orders", "filled"), "int"),
    ("Orders canceled", ("orders", "canceled"), "int"),
    ("Orders expired", ("orders", "expired"), "int"),
    ("Orders rejected", ("orders", "rejected"), "int"),
    ("Orders open at the end", ("orders", "open"), "int"),
]


def write_report(
    run: BacktestRun | RunResults,
    path: Path,
    title: str,
    *,
    last_n: int = DEFAULT_LAST_N,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> Path:
    """Write the report to `path` (UTF-8) and return it."""
    path = Path(path)
    path.write_text(render_report(run, title, last_n=last_n, interval_s=interval_s), "utf-8")
    return path


def render_report(
    run: BacktestRun | RunResults,
    title: str,
    *,
    last_n: int = DEFAULT_LAST_N,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> str:
    res = analyze(run) if isinstance(run, BacktestRun) else run
    summ = summary(res, interval_s=interval_s)
    per = summ["instruments"]
    n = len(res.instruments)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{n} instrument{"s" if n != 1 else ""}, '
        f"{res.rows:,} market-data rows, simulated in {res.wall_s:.2f} s</p>",
        '<section id="summary"><h2>Summary</h2>',
        _metrics_table(per, summ["total"] if n > 1 else None, interval_s),
        '<p class="note">PnL in quote currency. Realized + unrealized − fees + funding = '
        "equity change; the residual is float rounding. Sharpe and Sortino are of PnL "
        f"changes over {interval_s:g} s intervals (no fixed capital), annualised with the "
        "number of intervals in a 365-day year.</p>",
    ]
    if n > 1 and summ["total"].get("currency"):
        body.append(_total_chart(res))
    body.append(f"<h3>Simulation</h3>{_config_table(summ['config'])}</section>")
    for i, ir in enumerate(res.instruments):
        body.append(_instrument_section(i, ir, last_n))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


# --- formatting ------------------------------------------------------------------------------


def _get(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = d
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _fmt(v: Any, kind: str = "num") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool) or kind == "text":
        return str(v)
    if kind == "time":
        return str(v).replace("T", " ")[:23]  # to the millisecond
    if kind == "pct":
        return f"{float(v) * 100:.2f}%"
    if kind == "span":
        return _span(float(v))
    if isinstance(v, int) or kind == "int":
        return f"{int(v):,}"
    x = float(v)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.2f}"
    return f"{x:.4f}" if abs(x) >= 0.01 else f"{x:.4g}"


def _span(days: float) -> str:
    s = days * 86400
    if s < 120:
        return f"{s:.3g} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h" if days < 2 else f"{days:.1f} days"


def _cell(text: str, left: bool = False) -> str:
    neg = text.startswith("-") and len(text) > 1
    cls = " ".join(c for c in ("l" if left else "", "neg" if neg else "") if c)
    return f'<td class="{cls}">{escape(text)}</td>' if cls else f"<td>{escape(text)}</td>"


def _metrics_table(per: list[dict[str, Any]], total: dict[str, Any] | None, iv: float) -> str:
    cols = [*per, total] if total is not None else per
    names = [p["name"] for p in per] + (["Total"] if total is not None else [])
    head = '<tr><th class="l">metric</th>' + "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = [head + "</tr>"]
    for label, path, kind in _METRICS:
        text = label.replace("(PnL, ", f"(PnL, {iv:g} s, ")
        cells = "".join(_cell(_fmt(_get(c, path), kind)) for c in cols)
        rows.append(f'<tr><td class="l">{escape(text)}</td>{cells}</tr>')
    return '<div class="scroll"><table>' + "".join(rows) + "</table></div>"


def _flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in sorted(d.items()):
        key = f"{prefix}{k}"
        out.extend(_flatten(v, key + ".") if isinstance(v, dict) else [(key, v)])
    return out


def _config_table(cfg: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr><td class="l">{escape(k)}</td>{_cell(_fmt(v, "text"), True)}</tr>'
        for k, v in _flatten(cfg)
    )
    return f"<table>{rows}</table>"


def _rows_table(rows: list[dict[str, Any]], caption: str) -> str:
    if not rows:
        return f'<p class="note">No {escape(caption)}.</p>'
    keys = list(rows[0])
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = []
    for r in rows:
        cells = []
        for k in keys:
            v = r[k]
            text = _fmt(v, "num") if isinstance(v, float) else str(v)
            cells.append(_cell(text, left=isinstance(v, str) and k not in ("price", "size")))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>'


# --- charts ----------------------------------------------------------------------------------


def _seconds(ts: I64, origin: int) -> F64:
    return (ts - origin).astype(np.float64) / 1e9


def _held(ts: I64, values: F64, start: int, end: int, first: float = 0.0) -> tuple[I64, F64]:
    """A step series framed by its value before the first point and after the last."""
    last = float(values[-1]) if values.shape[0] else first
    t = np.concatenate(([start], ts, [end])).astype(np.int64)
    return t, np.concatenate(([first], values, [last])).astype(np.float64)


def _instrument_section(i: int, ir: InstrumentResults, last_n: int) -> str:
    curve, f, inst = ir.equity, ir.fills, ir.instrument
    origin, end = int(curve.ts[0]), int(curve.ts[-1])
    t_real, realized = _held(f.ts_local, np.cumsum(f.realized), origin, end)
    t_pos, pos = _held(f.ts_local, f.position, origin, end)
    buys, sells = f.side > 0, f.side < 0
    quote = inst.quote
    equity = chart(
        [
            Series(_seconds(curve.ts, origin), curve.equity, "equity", "#1f77b4"),
            Series(_seconds(t_real, origin), realized, "realized", "#9467bd", "step", True),
        ],
        origin_ns=origin,
        title="Equity",
        unit=quote,
        zero_line=True,
    )
    inventory = chart(
        [Series(_seconds(t_pos, origin), pos, "position", "#ff7f0e", "step")],
        origin_ns=origin,
        title="Inventory",
        unit=inst.base,
        zero_line=True,
    )
    price = chart(
        [
            Series(_seconds(curve.ts, origin), curve.mid, "mid", "#555555"),
            Series(_seconds(f.ts_local[buys], origin), f.price[buys], "buy fill", "#2ca02c", "buy"),
            Series(
                _seconds(f.ts_local[sells], origin), f.price[sells], "sell fill", "#d62728", "sell"
            ),
        ],
        origin_ns=origin,
        title="Price and fills",
        unit=quote,
    )
    name = f"{ir.name} · {ir.strategy}"
    return (
        f'<section id="instrument-{i}"><h2>{escape(name)}</h2>'
        f'<p class="meta">{len(f):,} fills, {len(ir.orders):,} orders, '
        f"{len(curve):,} equity samples; charts keep each pixel's lowest and highest "
        "value.</p>"
        f"{equity}{inventory}{price}"
        f"<h3>Last {min(last_n, len(f)):,} fills</h3>{_rows_table(ir.fill_rows(last_n), 'fills')}"
        f"<h3>Last {min(last_n, len(ir.orders)):,} orders</h3>"
        f"{_rows_table(ir.order_rows(last_n), 'orders')}</section>"
    )


def _total_chart(res: RunResults) -> str:
    ts, equity = sum_curves([(ir.equity.ts, ir.equity.equity) for ir in res.instruments])
    origin = int(ts[0])
    return chart(
        [Series(_seconds(ts, origin), equity, "total equity", "#1f77b4")],
        origin_ns=origin,
        title="Total equity",
        unit=res.instruments[0].instrument.quote,
        zero_line=True,
    )
