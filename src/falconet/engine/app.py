"""Running an engine as a process: the event loop (uvloop), signals, an
optional wall-clock limit, a periodic view callback, and the bounded graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvloop

from falconet.engine.engine import Engine
from falconet.engine.services import Services
from falconet.engine.shutdown import StopSignals, stop_within
from falconet.observe.log import get_logger

log = get_logger("engine")

EXIT_BUDGET_S = 2.8  # of the 3 s a stop may take

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on uvloop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def busy_poll() -> None:
    """Keep the event loop polling instead of sleeping between events: a frame is picked
    up as it lands, without the CPU's wake-up from idle (costly in virtual machines). The
    price is one core kept busy."""
    while True:
        await asyncio.sleep(0)


async def serve(
    engine: Engine,
    *,
    seconds: float | None = None,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 0.25,
    signals: StopSignals | None = None,
    before_stop: Callable[[], None] | None = None,
    services: Services | None = None,
    poll_busy: bool = False,
) -> str:
    """Start the engine, trade until a signal or `seconds` of wall time, stop it.
    Returns why it stopped: "time", or the signal's name."""
    signals = signals or StopSignals()
    signals.install()
    poller = asyncio.get_running_loop().create_task(busy_poll()) if poll_busy else None
    try:
        await engine.start()
        if services is not None:
            services.attach(engine)
            await services.start()
        deadline = None if seconds is None else time.monotonic() + seconds
        reason = "time"
        while True:
            wait = tick_s if deadline is None else min(tick_s, deadline - time.monotonic())
            if wait <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signals.stop_requested.wait(), timeout=wait)
            if signals.stop_requested.is_set():
                reason = signals.received or "stop"
                break
            if on_tick is not None:
                on_tick()
    finally:
        if poller is not None:
            poller.cancel()
        if before_stop is not None:
            try:
                before_stop()
            except Exception as exc:  # a view's last snapshot must not keep orders open
                log.error("before-stop hook failed", error=f"{type(exc).__name__}: {exc}")
        stopping = time.monotonic()
        if not await stop_within(engine.stop):
            engine.flush()
        if services is not None:
            # notices queued at the end get what is left of the exit budget
            await services.stop(max(0.2, EXIT_BUDGET_S - (time.monotonic() - stopping)))
        signals.uninstall()
    log.info("engine stopped", reason=reason)
    return reason
