"""A running emulator per test, on its own event loop in a background thread, so the
official SDK (synchronous, threaded) can talk to it from the test."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator

T = TypeVar("T")


class Running:
    def __init__(self, settings: EmulatorSettings) -> None:
        self.emu = HyperliquidEmulator(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self.run(self.emu.start)
        self.url = self.emu.base_url

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Await `fn(*args)` (or call it) on the emulator's loop."""

        async def call() -> Any:
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(30)

    def close(self) -> None:
        self.run(self.emu.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="session", autouse=True)
def _warm() -> None:
    from falconet.sim.warm import warm_up

    warm_up()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def make(**overrides: Any) -> Running:
        settings = EmulatorSettings(**overrides)
        r = Running(settings)
        started.append(r)
        return r

    yield make
    for r in started:
        r.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., Running]) -> Running:
    return make_emulator()
