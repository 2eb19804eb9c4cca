"""Signals and the shutdown budget.

The first SIGINT or SIGTERM asks for a graceful stop (no new orders, cancels as
configured, state flushed, feeds closed) that must finish within `BUDGET_S`; a second
SIGINT leaves at once. Whatever the engine has acknowledged is already on disk (the
journal commits each fill, the state store writes within milliseconds), so leaving at
once loses nothing but the cancels.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from falconet.observe.log import get_logger

log = get_logger("shutdown")

BUDGET_S = 2.5  # of the 3 s a graceful stop may take; the rest is process exit
EXIT_SIGNAL = 130


class StopSignals:
    """Installs the handlers; `stop_requested` is set by the first signal."""

    def __init__(self, *, hard_exit: Callable[[int], None] = os._exit) -> None:
        self.stop_requested = asyncio.Event()
        self.signals = 0
        self.received: str | None = None
        self._hard_exit = hard_exit
        self._installed: list[int] = []

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.handle, sig)
                self._installed.append(sig)
            except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
                pass

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        if signal.SIGINT in self._installed:
            # some loops leave SIGINT at SIG_DFL (death by signal); Ctrl-C after the
            # engine stopped should still be a KeyboardInterrupt
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._installed.clear()

    def handle(self, sig: int) -> None:
        self.signals += 1
        name = signal.Signals(sig).name
        if self.signals == 1:
            self.received = name
            log.warning("stopping: no new orders; second Ctrl-C exits at once", signal=name)
            self.stop_requested.set()
            return
        if sig == signal.SIGINT:
            print("falconet: second interrupt: exiting now", file=sys.stderr, flush=True)
            self._hard_exit(EXIT_SIGNAL)


async def stop_within(stop: Callable[[], Awaitable[None]], budget_s: float = BUDGET_S) -> bool:
    """Run a graceful stop; False if it overran its budget (and was abandoned)."""
    try:
        await asyncio.wait_for(stop(), timeout=budget_s)
        return True
    except TimeoutError:
        log.error("graceful stop overran its budget; exiting anyway", budget_s=budget_s)
        return False
    except Exception as exc:
        log.error("graceful stop failed; exiting anyway", error=f"{type(exc).__name__}: {exc}")
        return False
