"""The venue's own request budget has one enforcer: the Hyperliquid adapter describes its
address budget (synced from `userRateLimit` at connect) and the engine's OMS spends it,
so orders the venue would refuse are refused before they are signed and sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from falconet.config.loader import parse_config_text
from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
from falconet.core.enums import Side
from falconet.core.events import OrderEvent
from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from falconet.engine.engine import Engine
from falconet.sim.warm import warm_up
from falconet.strategies.api import Context
from tests.engine.risk_script import Record, Script, Step, scripted
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)


class OneAfterAnother(Script):
    """Sends its steps one at a time: the next once the last was answered."""

    def on_book(self, ctx: Context) -> None:
        if not self.fired and ctx.best_bid() and ctx.best_ask():
            self.fired = True
            self._next(ctx)

    def on_order(self, ctx: Context, event: OrderEvent) -> None:
        super().on_order(ctx, event)
        if event.client_id == self.record.sent[-1][0]:
            self._next(ctx)

    def _next(self, ctx: Context) -> None:
        if len(self.record.sent) < len(self.steps):
            bid, ask = ctx.best_bid(), ctx.best_ask()
            assert bid is not None and ask is not None
            mid = ctx.instrument.price_decimal((bid + ask) // 2)
            self.send(ctx, self.steps[len(self.record.sent)], mid)


async def test_orders_past_the_address_budget_are_refused_by_the_engine(
    monkeypatch: Any, tmp_path: Path
) -> None:
    warm_up()
    emu = HyperliquidEmulator(EmulatorSettings(seed=3, speed=5.0, address_initial_budget=5))
    await emu.start()
    wallet = Account.create()
    emu.fund(wallet.address)
    env = EnvSettings(
        hyperliquid=HyperliquidEnv(private_key=Secret(wallet.key.hex()), base_url=emu.base_url)
    )
    doc = {
        "orders": {"cancel_on_shutdown": False},
        "trading": [
            {
                "symbol": "BTC",
                "exchange": "hyperliquid",
                "strategy": "MM",
                "qty": "0.0002",
                "max_exposure": "400",
                "min_usd_balance": "100",
            }
        ],
    }
    config = parse_config_text(json.dumps(doc), "<budget>")  # fmt: skip
    record = Record()
    steps = [Step(Side.BUY, "0.0002", f"-{5 + i}") for i in range(8)]
    try:
        with scripted(monkeypatch, {"BTC": lambda: OneAfterAnother(steps, record)}):
            engine = Engine(config, data_dir=tmp_path, env=env)
            try:
                await engine.start()
                await until(lambda: len(record.outcome) == 8, 30, "all eight answered")
                oms = engine.venues["hyperliquid"].oms
                resting = emu.open_orders(wallet.address.lower())
                backoffs = engine.clients["hyperliquid"].limiter.stats.backoffs  # type: ignore[attr-defined]
            finally:
                await engine.stop()
    finally:
        await emu.stop()
    outcomes = [record.outcome[cid] for cid, *_ in record.sent]
    assert outcomes[:5] == ["accepted"] * 5 and len(resting) == 5
    # the 6th is the one request the venue allows past the cap every 10 s (our count
    # lets it go; this emulator refuses it, and the budget learns it is spent); the 7th
    # and 8th never leave the engine
    assert outcomes[5:] == ["rate_limit/"] * 3
    assert oms.stats.venue_rate_refused == 2
    assert backoffs == 0  # the venue's refusal ended the 6th at once: no retry in a second
