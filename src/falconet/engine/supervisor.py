"""Keeps every runner alive: a runner whose strategy raised is restarted after
min(30 s, 2^(restarts-1)) with a fresh strategy instance (its persisted state restored
and its orders reconciled); the other runners keep trading meanwhile.

A breaker stops the restarts of a strategy that keeps raising: `HALT_FAILURES` failures
within `HALT_WINDOW_S` halt its entry for good (until the process restarts). A halted
runner is not restarted; the supervisor logs it, shows it in `snapshot()` and calls
`on_halt(runner_key, reason)` so that the engine cancels the entry's orders."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from falconet.engine.runner import Runner
from falconet.observe.log import get_logger
from falconet.observe.metrics import MetricsRegistry
from falconet.observe.redact import redact

log = get_logger("supervisor")

MAX_BACKOFF_S = 30.0
# The breaker: this many failures within the window halt the entry. With the back-off
# (1 + 2 + 4 + 8 s between the first five) a strategy that raises at once is halted
# within ~15 s; one that fails now and then, each time after trading a while, keeps
# being restarted.
HALT_FAILURES = 5
HALT_WINDOW_S = 600.0
HISTORY_KEEP = 20  # last errors kept per runner

OnHalt = Callable[[str, str], None]


def restart_delay(restarts: int) -> float:
    """0 restarts so far -> 1 s, then 2, 4, 8 … capped at 30 s."""
    return min(MAX_BACKOFF_S, 2.0 ** max(restarts - 1, 0))


class LifeMetrics:
    """A supervised runner's handles, labelled with its entry."""

    __slots__ = ("failures", "halted", "restarts")

    def __init__(self, registry: MetricsRegistry, entry: str) -> None:
        self.failures = registry.counter("falconet_supervisor_failures_total", entry=entry)
        self.restarts = registry.counter("falconet_supervisor_restarts_total", entry=entry)
        self.halted = registry.gauge("falconet_supervisor_halted", entry=entry)


@dataclass
class Life:
    runner: Runner
    m: LifeMetrics
    task: asyncio.Task[None] | None = None
    restarts: int = 0
    last_error: str = ""
    history: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY_KEEP))
    failures: deque[float] = field(default_factory=deque)  # monotonic s, within the window
    halted: bool = False
    halted_reason: str = ""
    halted_since_ns: int = 0  # wall clock


class Supervisor:
    def __init__(
        self,
        reconcile: Callable[[Runner], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        halt_failures: int = HALT_FAILURES,
        halt_window_s: float = HALT_WINDOW_S,
        on_halt: OnHalt | None = None,
        metrics: MetricsRegistry | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lives: dict[str, Life] = {}
        self.reconcile = reconcile
        self.sleep = sleep
        self.halt_failures = halt_failures
        self.halt_window_s = halt_window_s
        self.on_halt = on_halt
        self.metrics = metrics if metrics is not None else MetricsRegistry()
        self.monotonic = monotonic
        self.stopping = False

    def start(self, runner: Runner) -> None:
        life = Life(runner, LifeMetrics(self.metrics, runner.key))
        self.lives[runner.key] = life
        life.task = asyncio.get_running_loop().create_task(self._live(life), name=runner.key)

    async def _live(self, life: Life) -> None:
        runner = life.runner
        while not self.is_stopping():
            try:
                await runner.run()
                return  # stopped cleanly
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._failed(life, exc):
                    return  # halted
            await self._restart_after_backoff(life)

    def _failed(self, life: Life, exc: Exception) -> bool:
        """Record a failure; True if it trips the breaker (the runner is then halted)."""
        life.last_error = redact(f"{type(exc).__name__}: {exc}")
        life.history.append(life.last_error)
        life.m.failures.value += 1
        now = self.monotonic()
        life.failures.append(now)
        while life.failures and life.failures[0] <= now - self.halt_window_s:
            life.failures.popleft()
        trace = redact(traceback.format_exc())
        if len(life.failures) >= self.halt_failures:
            self._halt(life, trace)
            return True
        life.restarts += 1
        life.m.restarts.value += 1
        log.error(
            "strategy failed; restarting",
            runner=life.runner.key,
            restarts=life.restarts,
            delay_s=restart_delay(life.restarts),
            error=life.last_error,
            trace=trace,
        )
        return False

    def _halt(self, life: Life, trace: str) -> None:
        life.halted = True
        life.halted_reason = (
            f"{len(life.failures)} failures within {self.halt_window_s:g} s; "
            f"last: {life.last_error}"
        )
        life.halted_since_ns = time.time_ns()
        life.m.halted.value = 1
        life.runner.halt()
        log.error(
            "strategy halted: it keeps failing; its entry stops trading, the others go on",
            runner=life.runner.key,
            reason=life.halted_reason,
            trace=trace,
        )
        if self.on_halt is not None:
            try:
                self.on_halt(life.runner.key, life.halted_reason)
            except Exception as exc:  # the halt stands whatever the callback does
                log.error(
                    "halt callback failed",
                    runner=life.runner.key,
                    error=redact(f"{type(exc).__name__}: {exc}"),
                )

    async def _restart_after_backoff(self, life: Life) -> None:
        await self.sleep(restart_delay(life.restarts))
        if self.is_stopping() or self.reconcile is None:
            return
        try:
            await self.reconcile(life.runner)
        except Exception as exc:  # keep trying: the next life reconciles again
            log.error("reconcile failed", runner=life.runner.key, error=redact(str(exc)))

    def is_stopping(self) -> bool:
        return self.stopping

    async def stop(self, timeout: float = 2.0) -> None:
        self.stopping = True
        for life in self.lives.values():
            life.runner.stop()
        tasks = [life.task for life in self.lives.values() if life.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()

    def snapshot(self) -> list[dict[str, object]]:
        return [
            {
                "key": key,
                "running": life.runner.running,
                "restarts": life.restarts,
                "last_error": life.last_error or None,
                "halted": life.halted,
                "halted_reason": life.halted_reason or None,
                "halted_since_ns": life.halted_since_ns or None,
                "quarantined": life.runner.quarantine_snapshot(),
            }
            for key, life in self.lives.items()
        ]
