"""Keeps every runner alive: a runner whose strategy raised is restarted after
min(30 s, 2^(restarts-1)) with a fresh strategy instance (its persisted state restored
and its orders reconciled); the other runners keep trading meanwhile."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from falconet.engine.runner import Runner
from falconet.observe.log import get_logger
from falconet.observe.redact import redact

log = get_logger("supervisor")

MAX_BACKOFF_S = 30.0


def restart_delay(restarts: int) -> float:
    """0 restarts so far -> 1 s, then 2, 4, 8 … capped at 30 s."""
    return min(MAX_BACKOFF_S, 2.0 ** max(restarts - 1, 0))


@dataclass
class Life:
    runner: Runner
    task: asyncio.Task[None] | None = None
    restarts: int = 0
    last_error: str = ""
    history: list[str] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        reconcile: Callable[[Runner], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.lives: dict[str, Life] = {}
        self.reconcile = reconcile
        self.sleep = sleep
        self.stopping = False

    def start(self, runner: Runner) -> None:
        life = Life(runner)
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
                life.restarts += 1
                life.last_error = redact(f"{type(exc).__name__}: {exc}")
                life.history.append(life.last_error)
                delay = restart_delay(life.restarts)
                log.error(
                    "strategy failed; restarting",
                    runner=runner.key,
                    restarts=life.restarts,
                    delay_s=delay,
                    error=life.last_error,
                    trace=redact(traceback.format_exc()),
                )
                await self.sleep(delay)
                if self.is_stopping():
                    return
                if self.reconcile is not None:
                    try:
                        await self.reconcile(runner)
                    except Exception as rexc:  # keep trying: the next life reconciles again
                        log.error("reconcile failed", runner=runner.key, error=redact(str(rexc)))

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
            }
            for key, life in self.lives.items()
        ]
