"""`falconet demo`: the engine trading two spot grids (one hedged with a perp short) and
market makers on two perps through the real Hyperliquid adapter against the local Hyperliquid
emulator, on a simulated market, with a live terminal view (or, headless, a log line per
fill and a JSON summary). `--venue paper` trades the paper venue instead. No credentials,
no network."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.live import Live

from falconet.config.schema import Config
from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
from falconet.core.enums import Venue
from falconet.core.events import Fill
from falconet.core.instrument import Instrument
from falconet.demo.config import (
    DEFAULT_SEED,
    DEFAULT_SPEED,
    DEFAULT_VOLATILITY,
    demo_config,
    demo_config_text,
)
from falconet.demo.tracker import DemoTracker
from falconet.demo.view import render
from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
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
    p.add_argument(
        "--venue",
        choices=("hyperliquid", "paper"),
        default="hyperliquid",
        help="hyperliquid (default): the real adapter against the local emulator; "
        "paper: the paper venue",
    )
    p.add_argument("--print-config", action="store_true", help="print the demo's config and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.print_config:
        print(demo_config_text(args.speed, args.seed, args.venue))
        return 0
    if args.seconds is not None and args.seconds <= 0:
        raise SystemExit("falconet: error: --seconds must be > 0")
    config = demo_config(args.speed, args.seed, args.venue)
    console = Console(stderr=True)
    if not args.headless:
        console.print("[dim]preparing the simulator (the first run compiles it: ~1 min)…[/]")
    warm_up()
    temp = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="falconet-demo-")) if temp else args.data_dir
    # The live view owns the terminal: logs go to a file then.
    configure("info", console=args.headless, json_path=data_dir / "demo.log.jsonl")
    session = DemoSession(args, config, data_dir, console)
    try:
        summary = run_loop(session.run())
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


class DemoSession:
    """One demo run: the market (the Hyperliquid emulator, or the paper venue's own), the
    engine trading it, and the view."""

    def __init__(
        self, args: argparse.Namespace, config: Config, data_dir: Path, console: Console
    ) -> None:
        self.args = args
        self.config = config
        self.data_dir = data_dir
        self.console = console
        self.speed = args.speed or DEFAULT_SPEED
        self.emulator: HyperliquidEmulator | None = None

    async def run(self) -> dict[str, Any]:
        env = None
        if self.args.venue == "hyperliquid":
            self.emulator = HyperliquidEmulator(
                EmulatorSettings(
                    seed=self.args.seed if self.args.seed is not None else DEFAULT_SEED,
                    speed=self.speed,
                    volatility=DEFAULT_VOLATILITY,
                )
            )
            await self.emulator.start()
            # a throwaway key, made for this run, and its account funded at the emulator
            wallet = Account.create()
            self.emulator.fund(wallet.address)
            key = Secret(wallet.key.hex())
            env = EnvSettings(
                hyperliquid=HyperliquidEnv(private_key=key, base_url=self.emulator.base_url)
            )
        try:
            engine = Engine(self.config, data_dir=self.data_dir, env=env)
            tracker = DemoTracker(engine)
            started = time.monotonic()
            sim_start = self._sim_now(engine)
            if self.args.headless:
                engine.fill_listeners.append(_log_fill)
                reason = await serve(
                    engine, seconds=self.args.seconds, before_stop=tracker.freeze_resting
                )
            else:
                reason = await self._live(engine, tracker, started)
            return tracker.summary(
                wall_s=time.monotonic() - started,
                sim_s=(self._sim_now(engine) - sim_start) / 1e9,
                stopped=reason,
            )
        finally:
            if self.emulator is not None:
                await self.emulator.stop()

    def _sim_now(self, engine: Engine) -> int:
        if self.emulator is not None:
            return self.emulator.venue.sim_now_ns()
        clock = engine.clock(Venue.PAPER)
        return clock.now_ns()

    async def _live(self, engine: Engine, tracker: DemoTracker, started: float) -> str:
        label = "Hyperliquid emulator" if self.emulator is not None else "paper venue"
        with Live(console=self.console, refresh_per_second=4, screen=False) as live:

            def tick() -> None:
                live.update(
                    render(
                        tracker,
                        sim_now_ns=self._sim_now(engine),
                        wall_s=time.monotonic() - started,
                        speed=self.speed,
                        venue=label,
                    )
                )

            return await serve(
                engine,
                seconds=self.args.seconds,
                on_tick=tick,
                before_stop=tracker.freeze_resting,
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
