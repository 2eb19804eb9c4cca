"""Fixtures for the Hyperliquid adapter tests: the fake venue and connected adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from falconet.config.secrets import Secret
from falconet.core.events import Event
from falconet.engine.health.monitor import HealthMonitor
from falconet.venues.hyperliquid import HyperliquidSettings, HyperliquidVenue
from tests.venues.hyperliquid.fake_venue import FakeHyperliquid

TEST_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
MakeVenue = Callable[..., Awaitable[tuple[HyperliquidVenue, list[Event]]]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeHyperliquid]:
    server = FakeHyperliquid()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_venue(fake: FakeHyperliquid) -> AsyncIterator[MakeVenue]:
    made: list[tuple[HyperliquidVenue, HealthMonitor]] = []

    async def make(**overrides: Any) -> tuple[HyperliquidVenue, list[Event]]:
        options: dict[str, Any] = {
            "symbols": ("BTC", "PURR/USDC"),
            "request_timeout_s": 2.0,
            "private_key": Secret(TEST_KEY),
            "account_address": None,
        }
        options.update(overrides)
        settings = HyperliquidSettings(fake.base_url, **options)
        monitor = HealthMonitor(interval_s=0.02)
        venue = HyperliquidVenue(settings, monitor=monitor)
        events: list[Event] = []
        venue.set_sink(events.append)
        await venue.connect()
        made.append((venue, monitor))
        return venue, events

    yield make
    for venue, monitor in made:
        await venue.close()
        await monitor.stop()
