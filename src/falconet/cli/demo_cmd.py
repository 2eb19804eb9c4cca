"""`falconet demo`: the engine paper-trading two grids and two market makers on a built-in
simulated market, with a live terminal view (or, headless, a log line per fill and a
JSON summary). No credentials, no network."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live

from falconet.core.enums import Venue
from falconet.core.events import Fill
from falconet.core.instrument import Instrument
from falconet.demo.config import demo_config, demo_config_text
from falconet.demo.tracker import DemoTracker
from falconet.demo.view import render
from falconet.engine.app import run_loop, serve
from falconet.engine.build import EntryPlan
from falconet.engine.engine import Engine
from falconet.observe.log import configure, get_logger
from falconet.sim.warm import warm_up

log = get_logger("demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="paper-trade Grid and MM on a built-in simulated market, live in the terminal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seconds", type=float, default=None, help="stop after N wall seconds")
    p.add_argument("--headless", action="store_true", help="log fills, then print JSON")
    p.add_argument("--speed", type=float, default=None, help="simulated seconds per second")
    p.add_argument("--seed", type=int, default=None, help="seed of the simulated market")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep state, journal and paper account here (default: a temporary folder, "
        "removed at the end); run again with the same folder to continue",
    )
    p.add_argument("--print-config", action="store_true", help="print the demo's config and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.print_config:
        print(demo_config_text(args.speed, args.seed))
        return 0
    if args.seconds is not None and args.seconds <= 0:
        raise SystemExit("falconet: error: --seconds must be > 0")
    config = demo_config(args.speed, args.seed)
    console = Console(stderr=True)
    if not args.headless:
        console.print("[dim]preparing the simulator (the first run compiles it: ~1 min)…[/]")
    warm_up()
    temp = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="falconet-demo-")) if temp else args.data_dir
    # The live view owns the terminal: logs go to a file then.
    configure("info", console=args.headless, json_path=data_dir / "demo.log.jsonl")
    try:
        engine = Engine(config, data_dir=data_dir)
        tracker = DemoTracker(engine)
        speed = float(config.paper.speed)
        started = time.monotonic()
        if args.headless:
            engine.fill_listeners.append(_log_fill)
            reason = run_loop(
                serve(engine, seconds=args.seconds, before_stop=tracker.freeze_resting)
            )
        else:
            reason = _live(engine, tracker, args.seconds, speed, started, console)
        clock = engine.clock(Venue.PAPER)
        summary = tracker.summary(
            wall_s=time.monotonic() - started,
            sim_s=(clock.now_ns() - getattr(clock, "sim_anchor_ns", 0)) / 1e9,
            stopped=reason,
        )
    finally:
        if temp:
            shutil.rmtree(data_dir, ignore_errors=True)
    if temp:
        summary["data_dir"] = None
    if args.headless:
        print(json.dumps(summary, indent=None))
    else:
        console.print_json(json.dumps(summary))
    return 0


def _live(
    engine: Engine,
    tracker: DemoTracker,
    seconds: float | None,
    speed: float,
    started: float,
    console: Console,
) -> str:
    clock = engine.clock(Venue.PAPER)
    with Live(console=console, refresh_per_second=4, screen=False, transient=False) as live:

        def tick() -> None:
            live.update(
                render(
                    tracker,
                    sim_now_ns=clock.now_ns(),
                    wall_s=time.monotonic() - started,
                    speed=speed,
                )
            )

        return run_loop(
            serve(engine, seconds=seconds, on_tick=tick, before_stop=tracker.freeze_resting)
        )


def _log_fill(plan: EntryPlan, inst: Instrument, fill: Fill) -> None:
    log.info(
        "fill",
        entry=plan.key,
        side=fill.side.value,
        price=inst.price_str(fill.price),
        size=inst.size_str(fill.size),
        fee=f"{fill.fee.normalize():f}",
        liquidity=fill.liquidity.value,
    )
