"""`falconet run --config FILE [--paper]`: trade the config's entries until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from falconet.config.environment import load_env_settings
from falconet.config.loader import load_config
from falconet.engine.app import run_loop, serve
from falconet.engine.engine import Engine
from falconet.engine.services import Services
from falconet.observe.log import configure
from falconet.state.paths import data_dir_from_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="trade a config's entries (paper venue, or any venue with --paper)",
        description=(
            'Start the engine on FILE\'s trading entries. Entries with "exchange": "paper" '
            "trade the paper venue; --paper routes every entry there. State, journal and "
            "the paper account live in --data-dir (default: $FALCONET_DATA_DIR, else "
            "var/falconet). DISCORD_WEBHOOK_URL turns on fill notices, CMC_API_KEY the "
            "Fear & Greed feed of the grids. The first Ctrl-C stops gracefully, a second "
            "exits at once."
        ),
    )
    p.add_argument("--config", required=True, metavar="FILE", help="config file (JSON)")
    p.add_argument("--paper", action="store_true", help="paper-trade every entry")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR")
    p.add_argument("--seconds", type=float, default=None, help="stop after N wall seconds")
    p.add_argument(
        "--busy-poll",
        action="store_true",
        help="poll the network continuously (one core at 100%%) for the lowest latency",
    )
    p.add_argument(
        "--log-json", type=Path, default=None, metavar="FILE", help="also log JSON lines"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    env = load_env_settings(dotenv_path=".env")  # secrets registered for masking first
    config = load_config(args.config)
    configure(
        config.logging_level.value,
        config.logging_sections,
        json_path=args.log_json,
        width=config.logging_width,
    )
    services = Services(env)
    engine = Engine(
        config,
        data_dir=args.data_dir or data_dir_from_settings(env),
        paper=args.paper,
        fear_greed=services.fear_greed,
        env=env,
    )
    reason = run_loop(
        serve(engine, seconds=args.seconds, services=services, poll_busy=args.busy_poll)
    )
    summary = {"stopped": reason, **engine.snapshot()}
    print(json.dumps(summary, default=str), file=sys.stdout)
    return 0
