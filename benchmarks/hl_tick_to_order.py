"""Tick to order on Hyperliquid: from a WebSocket book frame received to the order frame
written, through the whole live path — the adapter decodes the l2Book frame, the router
applies it, the runner hands it to the MM strategy, the OMS validates the amend, the
adapter builds, signs (msgpack, keccak, EIP-712, secp256k1) and writes the WebSocket post.

The emulator runs in its own process (so its work is not counted), generating a fast
market; the engine trades one perp MM against it over loopback. Each order frame sent
from `on_book` is matched (by its cloid) to the book frame the strategy acted on:
latency = frame written − that frame's receipt time. Rate budgets are lifted on both
sides: this measures the code path, not the venue's allowance.

    python benchmarks/hl_tick_to_order.py [--updates N] [--max-seconds S] [--busy-poll]
        [--pin-emulator]

Each order frame's `write()` wakes the emulator, which the kernel often runs on the
engine's core at once: the write returns only once the emulator has handled the order,
and that time is counted. `--pin-emulator` keeps the emulator on the last CPU and the
engine on the others, so that (on a machine with cores to spare) the figure is the
engine's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from eth_account import Account
from websockets.asyncio.client import ClientConnection

from falconet.config.loader import parse_config_text
from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
from falconet.core.enums import Venue
from falconet.engine.app import busy_poll, run_loop
from falconet.engine.engine import Engine
from falconet.engine.venue import AmendRequest, OrderRequest
from falconet.observe.log import configure

CONFIG = {
    "orders": {"cancel_on_shutdown": True},
    "trading": [
        {
            "symbol": "BTC",
            "exchange": "hyperliquid",
            "strategy": "MM",
            "qty": "0.0002",
            "max_exposure": "400",
            "min_usd_balance": "1000",
        }
    ],
}


def serve_emulator(ports: Queue[int], user: str, seed: int) -> None:
    """The emulator's process: a fast market (a book change every few ms), no limits."""
    from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
    from falconet.sim.warm import warm_up

    warm_up()

    async def main() -> None:
        emu = HyperliquidEmulator(
            EmulatorSettings(
                seed=seed,
                speed=5.0,
                pump_s=0.002,
                ip_weight_per_min=10**9,
                address_initial_budget=10**9,
            )
        )
        ports.put(await emu.start())
        emu.fund(user)
        await asyncio.Event().wait()  # until the parent terminates this process

    run_loop(main())


class Probe:
    """Stamps each request the strategy makes in `on_book` with the receipt time of the
    book it answers, and each order frame with the time it was written. A request made
    in another callback (`on_order` re-quoting after an ack, say) answers no book frame:
    it is counted apart, not timed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.decided: dict[str, int] = {}  # cloid -> receipt time (ns) of the book frame
        self.latencies_ns: list[int] = []
        self.not_on_book = 0  # orders sent outside on_book: not counted
        venue: Any = engine.clients[Venue.HYPERLIQUID]
        for name in ("place", "amend"):
            setattr(venue, name, self._stamp(getattr(venue, name)))

    def _stamp(self, call: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        def stamped(request: OrderRequest | AmendRequest) -> Awaitable[None]:
            # runs synchronously in the OMS, right after the strategy decided
            trigger = self._trigger(request.instrument.id)
            if trigger is None:
                self.not_on_book += 1  # answers an order event or a timer, not a book frame
                return call(request)
            cid = getattr(request, "new_client_id", None) or request.client_id
            self.decided[cid] = trigger
            return call(request)

        return stamped

    def _trigger(self, instrument_id: str) -> int | None:
        """The receipt time of the book an `on_book` in progress answers, if one is."""
        for runner in self.engine.venues[Venue.HYPERLIQUID].router.runners[instrument_id]:
            if runner.ctx.trigger_ns is not None:
                return runner.ctx.trigger_ns
        return None

    def written(self, frame: str | bytes) -> None:
        now = time.time_ns()
        text = frame.decode() if isinstance(frame, bytes) else frame
        if '"type":"action"' not in text:
            return
        action = json.loads(text)["request"]["payload"]["action"]
        wires = action.get("orders") or [m["order"] for m in action.get("modifies", [])]
        for wire in wires:
            seen = self.decided.pop(wire.get("c", ""), None)
            if seen:
                self.latencies_ns.append(now - seen)


def patch_send(probe: Probe) -> None:
    original = ClientConnection.send

    async def send(self: ClientConnection, message: Any, text: bool | None = None) -> None:
        await original(self, message, text=text)
        probe.written(message)

    ClientConnection.send = send  # type: ignore[method-assign]


async def trade(
    base_url: str, key: str, updates: int, max_s: float, poll: bool
) -> tuple[Probe, int, float]:
    env = EnvSettings(hyperliquid=HyperliquidEnv(private_key=Secret(key), base_url=base_url))
    config = parse_config_text(json.dumps(CONFIG), "<benchmark>")
    with tempfile.TemporaryDirectory() as data_dir:
        engine = Engine(config, data_dir=Path(data_dir), env=env)
        probe = Probe(engine)
        patch_send(probe)
        venue: Any = engine.clients[Venue.HYPERLIQUID]
        # our side's budgets lifted too (see the module docstring)
        venue.limiter.capacity = venue.limiter.tokens = 1e12
        venue.limiter.rate = 1e12
        venue.budget.traded_usdc = 1e12
        await engine.start()
        poller = asyncio.get_running_loop().create_task(busy_poll()) if poll else None
        market = next(iter(engine.venues[Venue.HYPERLIQUID].router.markets.values()))
        start_updates, started = market.updates, time.monotonic()
        try:
            while market.updates - start_updates < updates:
                if time.monotonic() - started > max_s:
                    break
                await asyncio.sleep(0.2)
        finally:
            elapsed = time.monotonic() - started
            if poller is not None:
                poller.cancel()
            await engine.stop()
        return probe, market.updates - start_updates, elapsed


def pin_apart(emulator_pid: int | None) -> None:
    """The emulator on the last CPU, this process (threads started later too) on the rest."""
    cpus = sorted(os.sched_getaffinity(0))
    if emulator_pid is None or len(cpus) < 2:
        print("--pin-emulator: needs two CPUs; not pinned", file=sys.stderr)
        return
    os.sched_setaffinity(emulator_pid, {cpus[-1]})
    os.sched_setaffinity(0, set(cpus[:-1]))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--updates", type=int, default=10_000, help="book updates to run through")
    p.add_argument("--max-seconds", type=float, default=300.0, help="stop after this long")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--busy-poll", action="store_true", help="the engine's loop polls instead of sleeping"
    )
    p.add_argument(
        "--pin-emulator", action="store_true", help="the emulator on the last CPU, the engine not"
    )
    args = p.parse_args(argv)
    configure("warning", console=False)
    wallet = Account.create()
    ctx = multiprocessing.get_context("spawn")
    ports: Queue[int] = ctx.Queue()
    proc = ctx.Process(target=serve_emulator, args=(ports, wallet.address, args.seed), daemon=True)
    proc.start()
    if args.pin_emulator:
        pin_apart(proc.pid)
    try:
        port = ports.get(timeout=180)
        probe, n_updates, elapsed = run_loop(
            trade(
                f"http://127.0.0.1:{port}",
                wallet.key.hex(),
                args.updates,
                args.max_seconds,
                args.busy_poll,
            )
        )
    finally:
        proc.terminate()
        proc.join(5)
    lat = sorted(probe.latencies_ns)
    mode = "busy-poll loop" if args.busy_poll else "idle-sleeping loop"
    mode += ", emulator pinned apart" if args.pin_emulator else ""
    print(f"hyperliquid tick to order ({mode}): {n_updates} book updates in {elapsed:.1f} s, "
          f"{len(lat)} order frames from on_book "
          f"({probe.not_on_book} more from other callbacks, not timed)")  # fmt: skip
    if not lat:
        print("no order frames were written", file=sys.stderr)
        raise SystemExit(1)
    us = [x / 1000 for x in lat]
    print(
        f"  frame received → order frame written: p50 {us[len(us) // 2]:.0f} µs, "
        f"p90 {us[int(len(us) * 0.9)]:.0f} µs, "
        f"p99 {us[min(len(us) - 1, int(len(us) * 0.99))]:.0f} µs, "
        f"mean {statistics.fmean(us):.0f} µs, max {us[-1]:.0f} µs"
    )


if __name__ == "__main__":
    main()
