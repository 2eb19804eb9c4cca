"""`falconet backtest`: run a strategy over recorded or simulated market data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from falconet.backtest.results import summary as results_summary
from falconet.backtest.runner import BacktestRun, run_backtest
from falconet.backtest.settings import funding_table, latency_model, sim_config
from falconet.config.problems import InvalidValueError, Location, Problems
from falconet.config.risk import RiskSettings, parse_risk
from falconet.data.format import EventTable, read_events
from falconet.strategies import STRATEGIES, make_strategy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backtest",
        help="run a strategy over recorded or simulated L2 data",
        description=(
            "Replay L2 market data through the simulated venue (queue position, latency, "
            "fees) and run a strategy on it with the same callbacks as live trading. "
            "Example: falconet backtest --data synth_l2.parquet --strategy hbt-grid "
            "--tick 0.01 --lot 1 --latency-ms 10 --queue risk-averse --maker-fee -0.00005 "
            "--taker-fee 0.0005 --json"
        ),
    )
    src = p.add_argument_group("market")
    src.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="FILE",
        help="event file (repeat: one strategy per file)",
    )
    src.add_argument("--sim", action="store_true", help="generate the market (no data file)")
    src.add_argument(
        "--sim-seconds", type=float, default=600.0, help="simulated span (default 600)"
    )
    src.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    src.add_argument("--tick", help="price increment of a file without metadata (synthetic stream)")
    src.add_argument("--lot", help="size increment of a file without metadata")
    src.add_argument("--symbol", help="instrument symbol override")
    st = p.add_argument_group("strategy")
    st.add_argument("--strategy", required=True, choices=sorted(STRATEGIES))
    st.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    st.add_argument(
        "--risk",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a risk limit, as in the config's risk block (docs/risk.md), e.g. "
        "max_order_notional=500; every order goes through the same checks as live",
    )
    sim = p.add_argument_group("simulated venue")
    sim.add_argument(
        "--queue",
        default="risk-averse",
        help="risk-averse | power:N | power2:N | power3:N | log | log2",
    )
    sim.add_argument(
        "--latency-ms", help="order latency MS or ENTRY,RESPONSE for every request (default 10)"
    )
    sim.add_argument("--place-latency-ms", help="latency of new orders: MS or ENTRY,RESPONSE")
    sim.add_argument("--amend-latency-ms", help="latency of amends: MS or ENTRY,RESPONSE")
    sim.add_argument("--cancel-latency-ms", help="latency of cancels: MS or ENTRY,RESPONSE")
    sim.add_argument(
        "--latency-file", type=Path, help="recorded (request, exchange, response) ns rows"
    )
    sim.add_argument(
        "--maker-fee", type=float, default=0.0, help="fraction; negative is a rebate (default 0)"
    )
    sim.add_argument("--taker-fee", type=float, default=0.0, help="fraction (default 0)")
    sim.add_argument("--fee-model", default="value", choices=["value", "qty", "flat", "ibkr"])
    sim.add_argument("--fee-in-base", action="store_true", help="buy fees in the base asset")
    sim.add_argument("--venue", default="generic", choices=["generic", "hyperliquid", "kraken"])
    sim.add_argument(
        "--partial-fills", action="store_true", help="queue fills limited by trade size"
    )
    sim.add_argument("--balance", type=float, help="starting quote balance: enables margin checks")
    sim.add_argument(
        "--base", type=float, default=0.0, help="starting base asset (spot strategies that sell)"
    )
    sim.add_argument("--leverage", type=float, default=1.0, help="with --balance (default 1)")
    sim.add_argument("--funding", type=Path, help="CSV ts_ns,rate of perp funding payments")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    out.add_argument("--report", type=Path, metavar="FILE.html", help="write an HTML report")
    out.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def _markets(args: argparse.Namespace) -> list[EventTable]:
    if args.sim:
        if args.data:
            raise _usage("--sim and --data are exclusive")
        from falconet.sim.market import MarketParams, generate  # noqa: PLC0415 - optional path

        return [generate(MarketParams(duration_s=args.sim_seconds, seed=args.seed))]
    if not args.data:
        raise _usage("pass --data FILE (or --sim)")
    markets = [read_events(p, tick=args.tick, lot=args.lot, symbol=args.symbol) for p in args.data]
    for path, market in zip(args.data, markets, strict=True):
        if len(market.ts_exchange) == 0:  # a run over nothing has no result to give
            raise _usage(f"{path}: no events: nothing to backtest")
    return markets


def _usage(message: str) -> Exception:
    from falconet.core.errors import FalconetError  # noqa: PLC0415

    return FalconetError(message)


def run(args: argparse.Namespace) -> int:
    config = sim_config(
        queue=args.queue,
        latency=latency_model(
            latency_ms=args.latency_ms,
            place=args.place_latency_ms,
            amend=args.amend_latency_ms,
            cancel=args.cancel_latency_ms,
            recording=args.latency_file,
        ),
        maker_fee=args.maker_fee,
        taker_fee=args.taker_fee,
        fee_model=args.fee_model,
        fee_in_base=args.fee_in_base,
        venue=args.venue,
        partial_fills=args.partial_fills,
        balance=args.balance,
        leverage=args.leverage,
        funding=funding_table(args.funding),
        base=args.base,
    )
    markets = _markets(args)
    strategies = [make_strategy(args.strategy, args.param, m.instrument) for m in markets]
    risk = risk_settings(args.risk)
    show = not args.no_progress and sys.stderr.isatty()
    if show:
        with Progress(
            TextColumn("backtest"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("run", total=sum(len(m) for m in markets))
            result = run_backtest(
                markets,
                strategies,
                config,
                progress=lambda done, _t: bar.update(task, completed=done),
                risk=risk,
            )
    else:
        result = run_backtest(markets, strategies, config, risk=risk)
    summary = contract_summary(result, args)
    summary["summary"] = results_summary(result)
    summary["rejections"] = summary["summary"]["total"]["rejections"]
    if result.risk is not None:
        summary["risk"] = result.risk
    if args.report:
        from falconet.backtest.report import write_report  # noqa: PLC0415

        write_report(result, args.report, title=f"{args.strategy} backtest")
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        _print_text(summary)
    return 0


def contract_summary(run: BacktestRun, args: argparse.Namespace) -> dict[str, Any]:
    per: list[dict[str, Any]] = []
    for r in run.results:
        c = r.asset.counters()
        c["rejects"] += sum(r.refused.values())  # refused before the simulator, as live
        f = r.final_state()
        per.append(
            {
                "instrument": r.instrument.id,
                "steps": r.steps,
                "submits": c["submits"],
                "cancels": c["cancels"],
                "amends": c["amends"],
                "fills": c["fills"],
                "rejects": c["rejects"],
                "position": round(f["position"], 12),
                "equity": round(f["equity"], 6),
                "fees": round(f["fees"] + f["fees_base_value"], 6),
                "balance": round(f["balance"], 6),
                "traded_value": round(f["value"], 6),
                "mid": round(f["mid"], 12),
                "events": r.asset.data.rows,
            }
        )
    totals = {
        key: sum(p[key] for p in per)
        for key in ("steps", "submits", "cancels", "amends", "fills", "rejects", "events")
    }
    out: dict[str, Any] = {
        **totals,
        "position": per[0]["position"] if len(per) == 1 else None,
        "equity": round(sum(p["equity"] for p in per), 6),
        "fees": round(sum(p["fees"] for p in per), 6),
        "wall_s": round(run.wall_s, 3),
        "events_per_s": round(run.rows / run.wall_s) if run.wall_s > 0 else None,
        "strategy": args.strategy,
        "params": args.param,
        "queue": str(run.config.queue),
        "instruments": per,
    }
    return out


def risk_settings(pairs: list[str]) -> RiskSettings:
    """`--risk NAME=VALUE` pairs read as the config's risk block (same checks, same
    one-line errors naming the key)."""
    raw: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise _usage(f"--risk {pair!r}: expected NAME=VALUE")
        raw[name.strip()] = _json_value(value.strip())
    problems = Problems()
    try:
        settings = parse_risk(raw, Location("--risk", (), problems))
    except InvalidValueError:
        problems.raise_if_any()
        raise
    return settings


def _json_value(text: str) -> object:
    """`4` is the number 4 and `true` a boolean, as in the config file; anything else is
    the text itself (decimal text is what the config's amounts take anyway)."""
    if len(text) > 64:
        return text  # no number is that long: the parser reports the text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, bool | int) else text


def _print_text(summary: dict[str, Any]) -> None:
    for inst in summary["instruments"]:
        print(
            f"{inst['instrument']}: {inst['steps']:,} steps, {inst['submits']:,} submits, "
            f"{inst['cancels']:,} cancels, {inst['fills']:,} fills, position {inst['position']}, "
            f"equity {inst['equity']:+.6f} (fees {inst['fees']:+.6f})"
        )
    print(
        f"{summary['events']:,} events in {summary['wall_s']:.3f} s "
        f"({summary['events_per_s'] or 0:,} events/s)"
    )
