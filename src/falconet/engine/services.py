"""The engine's optional companions, switched on by credentials in the environment:
Discord fill notices (`DISCORD_WEBHOOK_URL`) and the Fear & Greed feed that tunes the
grids (`CMC_API_KEY`). Neither can slow trading down: a notice is queued, a reading is
cached, and a failing service only logs."""

from __future__ import annotations

import asyncio
import contextlib

from falconet.config.secrets import EnvSettings
from falconet.core.events import Fill
from falconet.core.instrument import Instrument
from falconet.engine.build import EntryPlan
from falconet.engine.engine import Engine
from falconet.observe.discord import DiscordNotifier
from falconet.observe.discord_payload import FillInfo
from falconet.observe.log import get_logger
from falconet.strategies.fear_greed import CachedFearGreed, CoinMarketCapClient

log = get_logger("services")


class Services:
    def __init__(self, env: EnvSettings) -> None:
        self.notifier = DiscordNotifier.from_settings(env)
        key = env.cmc_api_key
        self.fear_greed = CachedFearGreed() if key is not None else None
        self._cmc = CoinMarketCapClient(key.reveal()) if key is not None else None
        self._stop = asyncio.Event()
        self._cmc_task: asyncio.Task[None] | None = None

    def attach(self, engine: Engine) -> None:
        if self.notifier.enabled:
            engine.fill_listeners.append(self._notify)

    def _notify(self, plan: EntryPlan, inst: Instrument, fill: Fill) -> None:
        info = FillInfo.from_fill(
            fill,
            venue=plan.venue,
            symbol=plan.entry.symbol,
            price_decimals=inst.price_decimals,
            size_decimals=inst.size_decimals,
        )
        self.notifier.notify(info)

    async def start(self) -> None:
        await self.notifier.start()
        if self._cmc is not None and self.fear_greed is not None:
            self._cmc_task = asyncio.get_running_loop().create_task(
                self._cmc.run(self.fear_greed, self._stop), name="fear-greed"
            )

    async def stop(self, drain_s: float) -> None:
        """Stop, giving queued notices `drain_s` to go out (later ones are dropped)."""
        self._stop.set()
        await self.notifier.stop(drain_timeout_s=drain_s)
        if self._cmc_task is not None:
            self._cmc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._cmc_task
        if self._cmc is not None:
            await self._cmc.close()
