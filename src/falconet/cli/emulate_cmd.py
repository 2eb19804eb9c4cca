"""`falconet emulate hyperliquid`: a local Hyperliquid (REST /info and /exchange, the /ws
WebSocket) on loopback, backed by the market simulator or a recorded events file. Point
the official SDK or falconet's adapter at the printed URL; it runs until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from falconet.engine.app import run_loop
from falconet.engine.shutdown import StopSignals
from falconet.observe.log import configure, get_logger
from falconet.sim.warm import warm_up

log = get_logger("emulate")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "emulate",
        help="run a local venue emulator (hyperliquid) for the SDK or the adapter",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("venue", choices=["hyperliquid"], help="which venue to emulate")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    market = p.add_mutually_exclusive_group()
    market.add_argument("--data", type=Path, default=None, help="replay this events file")
    market.add_argument("--sim", action="store_true", help="simulated markets (the default)")
    p.add_argument("--seed", type=int, default=7, help="seed of the simulated markets")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    p.add_argument(
        "--mainnet",
        action="store_true",
        help="verify signatures as mainnet (the SDK signs testnet for any non-mainnet URL)",
    )
    p.add_argument(
        "--fund-only",
        action="store_true",
        help="only addresses funded via POST /_fund exist (default: any signer is funded)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        raise SystemExit("falconet: error: --speed must be > 0")
    if args.data is not None and not args.data.exists():
        raise SystemExit(f"falconet: error: no such events file: {args.data}")
    configure("info", console=True)
    warm_up()
    settings = EmulatorSettings(
        market=str(args.data) if args.data is not None else "sim",
        chain="mainnet" if args.mainnet else "testnet",
        seed=args.seed,
        speed=args.speed,
        auto_accounts=not args.fund_only,
    )
    return run_loop(_serve(settings, args.host, args.port))


async def _serve(settings: EmulatorSettings, host: str, port: int) -> int:
    emulator = HyperliquidEmulator(settings)
    signals = StopSignals()
    signals.install()
    try:
        await emulator.start(host, port)
        print(emulator.base_url, flush=True)
        await signals.stop_requested.wait()
    finally:
        await asyncio.shield(emulator.stop())
        signals.uninstall()
    log.info("emulator stopped", reason=signals.received or "stop")
    return 0
