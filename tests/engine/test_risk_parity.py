"""Backtest and live go through one path: the same scripted strategy, with the same risk
limits, over the same recorded market, sends the same orders and gets the same answers
from the backtester and from the live engine on the paper venue."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from falconet.backtest.results import summary
from falconet.backtest.runner import run_backtest
from falconet.config.loader import parse_config_text
from falconet.config.risk import RiskLimits, RiskSettings
from falconet.core.enums import Rounding, Side, TimeInForce
from falconet.core.ids import Intent
from falconet.data.format import read_events, write_events
from falconet.engine.engine import Engine
from falconet.sim.market import MarketParams, generate
from falconet.sim.models import SimConfig
from falconet.strategies.api import Context
from tests.engine.risk_script import Record, Script, Step, scripted

pytestmark = pytest.mark.timeout(120)

S = 1_000_000_000
T0 = 1_700_000_000 * S
REF = Decimal("100.00")  # the simulated market's opening price
LIMITS = {"price_band_pct": "5", "max_order_notional": "500"}
# (the refused ones first: live, the OMS holds a second order on a side while the first
# is in flight, which the simulator does not)
STEPS = [
    Step(Side.BUY, "1", "-20"),  # 20 % under the mid: outside the band
    Step(Side.BUY, "8", "-1"),  # worth about 790: above the order limit
    Step(Side.SELL, "1", "30"),  # outside the band
    Step(Side.BUY, "1", "-1"),
    Step(Side.SELL, "1", "1"),
]


class FixedPrices(Script):
    """Prices from the market's known opening price, not from whichever book each path
    happens to show first: both paths then send exactly the same orders."""

    def on_book(self, ctx: Context) -> None:
        if self.fired or ctx.best_bid() is None:
            return
        self.fired = True
        inst = ctx.instrument
        for step in self.steps:
            assert step.away_pct is not None
            raw = REF * (1 + Decimal(step.away_pct) / 100)
            price = inst.round_price(raw, Rounding.DOWN if step.side is Side.BUY else Rounding.UP)
            cid = ctx.submit(
                step.side, price, inst.size(step.size), tif=TimeInForce.GTC, intent=Intent.ENTRY
            )
            self.record.sent.append((cid, step.side.value, inst.price_str(price), step.size))


def stream(record: Record) -> list[tuple[str, str, str, str]]:
    """What was sent and how it was answered, ids left out (their formats differ)."""
    return [(side, px, size, record.outcome.get(cid, "?")) for cid, side, px, size in record.sent]


async def live_stream(monkeypatch: Any, tmp_path: Path, market: Path) -> list[Any]:
    doc = {
        "paper": {
            "balances": {"USD": "1000000", "BTC": "100"},
            "market": str(market),
            "speed": "5",
        },
        "risk": LIMITS,
        "trading": [{"symbol": "BTC/USD", "exchange": "paper", "strategy": "Grid", "qty": "1"}],
    }
    record = Record()
    with scripted(monkeypatch, {"BTC/USD": lambda: FixedPrices(STEPS, record)}):
        engine = Engine(parse_config_text(json.dumps(doc), "<parity>"), data_dir=tmp_path)
        try:
            await engine.start()
            deadline = time.monotonic() + 30
            while len(record.outcome) < len(STEPS):
                assert time.monotonic() < deadline, f"answers so far: {record.outcome}"
                await asyncio.sleep(0.05)
        finally:
            await engine.stop()
    return stream(record)


async def test_backtest_and_live_send_and_refuse_the_same_orders(
    monkeypatch: Any, tmp_path: Path
) -> None:
    market = tmp_path / "market.parquet"
    write_events(
        market,
        generate(MarketParams(symbol="BTC-PERP", duration_s=60, start_ns=T0, seed=5)),
    )
    record = Record()
    risk = RiskSettings(
        limits=RiskLimits(price_band_pct=Decimal(5), max_order_notional=Decimal(500))
    )
    run = run_backtest([read_events(market)], [FixedPrices(STEPS, record)], SimConfig(), risk=risk)
    backtest = stream(record)
    live = await live_stream(monkeypatch, tmp_path / "live", market)
    assert backtest == live
    assert [o for *_, o in live] == [
        "risk/price_band",
        "risk/order_notional",
        "risk/price_band",
        "accepted",
        "accepted",
    ]
    # the backtest summary counts the refusals with the rest, by kind and by rule
    total = summary(run)["total"]
    assert total["rejections"]["by_rule"] == {"order_notional": 1, "price_band": 2}
    assert total["rejections"]["total"] == total["counters"]["rejects"]
