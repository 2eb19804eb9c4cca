"""The engine trading Hyperliquid through the real adapter against the emulator on
loopback: a hedged spot grid and a perp market maker, through a dropped WebSocket,
duplicated fills, lost acknowledgements and rate-limit answers. At rest, the engine's view
of orders, fills, balances and positions is the emulator's; after a stop, nothing is left
open at the venue and the hedge is closed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from falconet.config.loader import parse_config_text
from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
from falconet.core.enums import Venue
from falconet.core.events import margin_asset
from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from falconet.engine.engine import Engine
from falconet.sim.warm import warm_up
from falconet.strategies.hedge import HedgeStrategy
from tests.waiting import until

pytestmark = pytest.mark.timeout(300)

CONFIG = {
    "orders": {"cancel_on_shutdown": True, "unknown_orders": "report"},
    "trading": [
        {
            "symbol": "HYPE/USDC",
            "exchange": "hyperliquid",
            "strategy": "Grid",
            "qty": "0.5",
            "grid_interval": 0.1,
            "accumulation_buffer": 0,
            "hedge": True,
        },
        {
            "symbol": "BTC",
            "exchange": "hyperliquid",
            "strategy": "MM",
            "qty": "0.0002",
            "max_exposure": "400",
            "min_usd_balance": "1000",
        },
    ],
}


class Views:
    """The engine's and the emulator's views of one account, side by side."""

    def __init__(self, engine: Engine, emu: HyperliquidEmulator, user: str) -> None:
        self.engine, self.emu, self.user = engine, emu, user
        self.rt = engine.venues[Venue.HYPERLIQUID]

    def orders(self) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
        ours = {}
        for m in self.rt.oms.open_orders():
            o, inst = m.order, m.instrument
            key = o.venue_order_id or f"in flight {o.client_id}"
            left = inst.size_str(o.quantity - o.filled)
            ours[key] = (inst.price_str(o.price or 0), left)
        theirs = {
            str(o["oid"]): (_norm(o["limitPx"]), _norm(o["sz"]))
            for o in self.emu.open_orders(self.user)
        }
        return ours, theirs

    def fills(self) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
        self.engine.journal.flush(timeout=2)
        rows = self.engine.journal.fills(venue="hyperliquid")
        ours = {r.trade_id: (_norm(r.price), _norm(r.size)) for r in rows}
        assert len(ours) == len(rows), "a fill was journaled twice"
        theirs = {
            str(f["tid"]): (_norm(f["px"]), _norm(f["sz"])) for f in self.emu.user_fills(self.user)
        }
        return ours, theirs

    def balances(self) -> tuple[dict[str, str], dict[str, str]]:
        spot = self.emu.spot_balances(self.user)
        ours = {a: _norm(b.total) for a, b in self.rt.account.balances.items() if a in spot}
        return ours, {a: _norm(v) for a, v in spot.items() if v or a in ours}

    def positions(self) -> tuple[dict[str, str], dict[str, str]]:
        ours = {}
        for inst_id, p in self.rt.account.positions.items():
            inst = self.engine.clients[Venue.HYPERLIQUID].instrument(inst_id.split("@")[0])
            if p.size:
                ours[inst.symbol] = _norm(inst.size_decimal(p.size))
        theirs = {c: _norm(v) for c, v in self.emu.perp_positions(self.user).items() if v}
        return ours, theirs

    def agree(self) -> bool:
        return all(
            a == b for a, b in (self.orders(), self.fills(), self.balances(), self.positions())
        )

    def differences(self) -> dict[str, Any]:
        views = {"orders": self.orders(), "fills": self.fills(), "balances": self.balances(),
                 "positions": self.positions()}  # fmt: skip
        return {k: {"engine": a, "emulator": b} for k, (a, b) in views.items() if a != b}


def _norm(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():f}"


async def test_engine_and_emulator_agree_after_trading_through_faults(tmp_path: Path) -> None:
    warm_up()
    emu = HyperliquidEmulator(EmulatorSettings(seed=5, speed=30.0, volatility=1.2))
    await emu.start()
    wallet = Account.create()
    emu.fund(wallet.address)
    user = wallet.address.lower()
    env = EnvSettings(
        hyperliquid=HyperliquidEnv(private_key=Secret(wallet.key.hex()), base_url=emu.base_url)
    )
    config = parse_config_text(json.dumps(CONFIG), "e2e.json")
    engine = Engine(config, data_dir=tmp_path / "data", env=env)
    hl: Any = None
    try:
        await engine.start()
        hl = engine.clients[Venue.HYPERLIQUID]
        views = Views(engine, emu, user)

        def fills() -> int:
            return len(emu.user_fills(user))

        await until(lambda: fills() >= 4, 90, "the first fills")

        emu.faults.drop_ws()  # every socket closed: the adapter reconnects and recovers
        await until(lambda: hl.stats["reconnects"] >= 1, 60, "a reconnect")
        n = fills()
        await until(lambda: fills() >= n + 2, 90, "fills after the reconnect")

        n = fills()
        emu.faults.duplicate_fills(6)  # userFills frames sent twice
        emu.faults.lose_acks(1)  # one action runs but is never answered
        emu.faults.rate_limit(2)  # two requests refused as over the limit
        await until(lambda: fills() >= n + 3, 90, "fills through duplicated and lost messages")
        emu.faults.clear()

        emu.freeze()  # the market stops: nothing fills, the books stop moving
        try:
            await until(views.agree, 30, "the engine's view to equal the emulator's")
        except AssertionError:
            pytest.fail(f"views differ: {views.differences()}")
        assert len(views.fills()[0]) >= 9
        assert engine.venues[Venue.HYPERLIQUID].router.stats.errors == 0
        hedge = next(iter(engine.hedges.values())).runner.strategy
        assert isinstance(hedge, HedgeStrategy)
        assert hedge.state.cycles >= 1  # grid buys were hedged on the perp
        emu.thaw()
    finally:
        await engine.stop()
        await emu.stop()
    # a clean stop: our orders canceled at the venue, the hedge short bought back
    assert emu.open_orders(user) == []
    assert emu.perp_positions(user).get("HYPE", Decimal(0)) == 0
    assert hl is not None and hl.stats["reconnects"] >= 1
    perp = engine.venues[Venue.HYPERLIQUID].account.balances[margin_asset("USDC")]
    assert perp.total > 0
