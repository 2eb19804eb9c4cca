"""The risk layer in the real engine: every pre-trade rule refuses with kind RISK and its
rule's name, REDUCING lets only reducing orders through, the latency breaker latches a
halt, the kill switch flattens positions on the Hyperliquid emulator and the paper venue
in one run, and a drawdown summed across both venues halts both."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from falconet.config.loader import parse_config_text
from falconet.config.secrets import EnvSettings, HyperliquidEnv, Secret
from falconet.core.enums import Side, Venue
from falconet.emulators.hyperliquid import EmulatorSettings, HyperliquidEmulator
from falconet.engine.engine import Engine
from falconet.risk import TradingState
from falconet.sim.warm import warm_up
from tests.engine.risk_script import Record, Script, Step, scripted
from tests.waiting import until

pytestmark = pytest.mark.timeout(180)

BUY, SELL = Side.BUY, Side.SELL


def paper_config(entries: list[dict[str, Any]], risk: dict[str, Any] | None = None) -> Any:
    doc: dict[str, Any] = {
        "paper": {"balances": {"USD": "100000", "RD": "1"}, "speed": "20", "seed": 3},
        "trading": [{"exchange": "paper", "strategy": "Grid", "qty": "0.2", **e} for e in entries],
    }
    if risk:
        doc["risk"] = risk
    return parse_config_text(json.dumps(doc), "<risk test>")


def answered(records: dict[str, Record]) -> Callable[[], bool]:
    return lambda: all(r.sent and len(r.outcome) == len(r.sent) for r in records.values())


async def run_scripts(
    monkeypatch: Any,
    tmp_path: Path,
    config: Any,
    steps: dict[str, list[Step]],
    before_start: Callable[[Engine], None] | None = None,
) -> tuple[Engine, dict[str, Record]]:
    records = {symbol: Record() for symbol in steps}
    makers = {s: (lambda s=s: Script(steps[s], records[s])) for s in steps}
    with scripted(monkeypatch, makers):
        engine = Engine(config, data_dir=tmp_path)
        if before_start is not None:
            before_start(engine)
        try:
            await engine.start()
            await until(answered(records), 30, "an answer to every scripted order")
        finally:
            await engine.stop()
    return engine, records


async def test_each_entry_rule_refuses_with_kind_risk_and_its_name(
    monkeypatch: Any, tmp_path: Path
) -> None:
    entries = [
        {"symbol": "PB/USD", "risk": {"price_band_pct": 1}},
        {"symbol": "ON/USD", "risk": {"max_order_notional": 50}},
        {"symbol": "PO/USD", "risk": {"max_position": "0.5"}},
        {"symbol": "PN/USD", "risk": {"max_position_notional": 50}},
        {"symbol": "OO/USD", "risk": {"max_open_orders": 1}},
        {"symbol": "SB/USD", "risk": {"max_book_age_ms": "0.001"}},
    ]
    steps = {
        "PB/USD": [Step(BUY, "0.2", "-5"), Step(BUY, "0.2", "-0.5")],
        "ON/USD": [Step(BUY, "1"), Step(BUY, "0.3")],
        "PO/USD": [Step(BUY, "1"), Step(BUY, "0.2")],
        "PN/USD": [Step(BUY, "1"), Step(BUY, "0.2")],
        "OO/USD": [Step(BUY, "0.2"), Step(SELL, "0.2", "1")],
        "SB/USD": [Step(BUY, "0.2")],
    }
    engine, records = await run_scripts(monkeypatch, tmp_path, paper_config(entries), steps)
    got = {symbol: r.rejected() for symbol, r in records.items()}
    assert got == {
        "PB/USD": ["risk/price_band"],
        "ON/USD": ["risk/order_notional"],
        "PO/USD": ["risk/position"],
        "PN/USD": ["risk/position_notional"],
        "OO/USD": ["risk/open_orders"],
        "SB/USD": ["risk/stale_book"],
    }
    # the orders that passed reached the venue
    for symbol, r in records.items():
        accepted = [c for c, *_ in r.sent if r.outcome[c] == "accepted"]
        assert len(accepted) == len(r.sent) - 1, symbol
    rt = engine.venues[Venue.PAPER]
    assert rt.oms.stats.risk_rejected == 6
    snapshot = engine.snapshot()["risk"]
    assert snapshot["rejections"] == {
        "price_band": 1,
        "order_notional": 1,
        "position": 1,
        "position_notional": 1,
        "open_orders": 1,
        "stale_book": 1,
    }


async def test_net_notional_counts_working_orders_across_the_engine(
    monkeypatch: Any, tmp_path: Path
) -> None:
    # each buy is worth 30; whichever entry comes second would take the engine's net
    # exposure, working orders counted as filled, to 60
    steps = {"NN/USD": [Step(BUY, "0.3")], "NM/USD": [Step(BUY, "0.3")]}
    entries = [{"symbol": "NN/USD"}, {"symbol": "NM/USD"}]
    config = paper_config(entries, {"max_net_notional": 50})
    _, records = await run_scripts(monkeypatch, tmp_path, config, steps)
    outcomes = sorted(r.outcome[r.sent[0][0]] for r in records.values())
    assert outcomes == ["accepted", "risk/net_notional"]


async def test_one_order_rate_budget_per_account_shared_by_its_entries(
    monkeypatch: Any, tmp_path: Path
) -> None:
    symbols = ("RA/USD", "RB/USD", "RC/USD")
    steps = {s: [Step(BUY, "0.2")] for s in symbols}
    risk = {"order_rate_per_s": "0.001", "order_burst": 2}
    config = paper_config([{"symbol": s} for s in symbols], risk)
    _, records = await run_scripts(monkeypatch, tmp_path, config, steps)
    outcomes = sorted(r.outcome[r.sent[0][0]] for r in records.values())
    assert outcomes == ["accepted", "accepted", "risk/order_rate"]


async def test_reducing_lets_only_reducing_orders_through(monkeypatch: Any, tmp_path: Path) -> None:
    steps = {
        "RD/USD": [
            Step(BUY, "0.2"),  # adds to the 1 RD held
            Step(SELL, "1.2", "1"),  # more than is held: would flip to short
            Step(SELL, "0.5", "0.5"),  # reduces
        ]
    }

    def reducing(engine: Engine) -> None:
        engine.risk.trip(
            "entry:Grid:RD/USD:paper",
            TradingState.REDUCING,
            reason="test",
            rule="manual",
            now_ns=1,
        )

    config = paper_config([{"symbol": "RD/USD"}])
    _, records = await run_scripts(monkeypatch, tmp_path, config, steps, reducing)
    r = records["RD/USD"]
    assert [r.outcome[c] for c, *_ in r.sent] == ["risk/reducing", "risk/reducing", "accepted"]


async def test_the_latency_breaker_latches_a_halt(monkeypatch: Any, tmp_path: Path) -> None:
    steps = {"LT/USD": [Step(BUY, "0.2"), Step(BUY, "0.2")]}
    config = paper_config([{"symbol": "LT/USD"}], {"max_tick_to_trade_ms": "0.000001"})
    engine, records = await run_scripts(monkeypatch, tmp_path, config, steps)
    assert records["LT/USD"].rejected() == ["risk/latency", "risk/halted"]
    state = engine.risk.board.get("global")
    assert state.state is TradingState.HALTED and state.rule == "latency"
    # latched across a restart: the state is saved with the engine's state
    again = Engine(config, data_dir=tmp_path)
    assert again.risk.board.get("global").state is TradingState.HALTED
    again.reset_risk()
    assert again.risk.board.get("global").state is TradingState.ACTIVE
    again._lock.close()


# --- two venues: the Hyperliquid emulator and the paper venue ---------------------------------


def two_venue_config(risk: dict[str, Any] | None = None) -> Any:
    doc: dict[str, Any] = {
        "paper": {"balances": {"USD": "100000"}, "speed": "20", "seed": 4},
        "trading": [
            {"symbol": "BTC", "exchange": "hyperliquid", "strategy": "MM", "qty": "0.0002",
             "max_exposure": "400", "min_usd_balance": "100"},
            {"symbol": "KS/USD", "exchange": "paper", "strategy": "Grid", "qty": "0.2"},
        ],
    }  # fmt: skip
    if risk:
        doc["risk"] = risk
    return parse_config_text(json.dumps(doc), "<two venues>")


async def two_venues(
    monkeypatch: Any,
    tmp_path: Path,
    config: Any,
    steps: dict[str, list[Step]],
    body: Callable[[Engine, HyperliquidEmulator, str, dict[str, Record]], Any],
) -> tuple[Engine, HyperliquidEmulator, str]:
    warm_up()
    emu = HyperliquidEmulator(EmulatorSettings(seed=7, speed=20.0))
    await emu.start()
    wallet = Account.create()
    emu.fund(wallet.address)
    user = wallet.address.lower()
    env = EnvSettings(
        hyperliquid=HyperliquidEnv(private_key=Secret(wallet.key.hex()), base_url=emu.base_url)
    )
    records = {symbol: Record() for symbol in steps}
    makers = {s: (lambda s=s: Script(steps[s], records[s])) for s in steps}
    try:
        with scripted(monkeypatch, makers):
            engine = Engine(config, data_dir=tmp_path, env=env)
            try:
                await engine.start()
                await body(engine, emu, user, records)
            finally:
                await engine.stop()
    finally:
        await emu.stop()
    return engine, emu, user


async def test_the_kill_switch_flattens_both_venues_in_one_run(
    monkeypatch: Any, tmp_path: Path
) -> None:
    steps = {"BTC": [Step(BUY, "0.0002", None)], "KS/USD": [Step(BUY, "0.5", None)]}
    paper_base: list[Decimal] = []

    async def body(engine: Engine, emu: HyperliquidEmulator, user: str, rec: Any) -> None:
        await until(lambda: all(r.fills for r in rec.values()), 60, "both market buys filled")
        await until(lambda: emu.perp_positions(user).get("BTC", 0) > 0, 10, "a BTC long")
        engine.kill("test", flatten=True)
        await engine.wait_kills()
        paper = engine.clients[Venue.PAPER]

        async def paper_flat() -> bool:
            bal = {b.asset: b.total for b in await paper.balances()}
            paper_base.append(bal.get("KS", Decimal(0)))
            return paper_base[-1] == 0

        await until(lambda: not emu.perp_positions(user), 30, "the BTC long closed")
        deadline = time.monotonic() + 30
        while not await paper_flat():
            assert time.monotonic() < deadline, f"KS still held: {paper_base[-1]}"
            await asyncio.sleep(0.1)
        assert engine.risk.board.get("global").rule == "kill_switch"

    _, emu, user = await two_venues(monkeypatch, tmp_path, two_venue_config(), steps, body)
    assert emu.open_orders(user) == [] and emu.perp_positions(user) == {}
    assert paper_base[-1] == 0


async def test_a_drawdown_summed_across_two_venues_halts_both(
    monkeypatch: Any, tmp_path: Path
) -> None:
    # each buy at market costs half the spread and the fee at once: the engine-wide PnL
    # drops below its peak by more than the limit
    steps = {
        "BTC": [Step(BUY, "0.0002", None), Step(BUY, "0.0002", "-2")],
        "KS/USD": [Step(BUY, "0.5", None), Step(BUY, "0.2", "-2")],
    }

    class AfterFill(Script):
        """Sends its second order only once its first has filled (and the PnL moved)."""

        def on_book(self, ctx: Any) -> None:
            if not self.fired and ctx.best_bid() and ctx.best_ask():
                self.fired = True
                self.send(ctx, self.steps[0], self._mid(ctx))

        def on_fill(self, ctx: Any, fill: Any) -> None:
            super().on_fill(ctx, fill)
            if len(self.record.sent) == 1:
                self.send(ctx, self.steps[1], self._mid(ctx))

        @staticmethod
        def _mid(ctx: Any) -> Decimal:
            return ctx.instrument.price_decimal((ctx.best_bid() + ctx.best_ask()) // 2)

    records = {s: Record() for s in steps}
    makers = {s: (lambda s=s: AfterFill(steps[s], records[s])) for s in steps}

    async def body(engine: Engine, emu: HyperliquidEmulator, user: str, rec: Any) -> None:
        both = lambda: all(len(r.sent) == 2 and len(r.outcome) == 2 for r in records.values())  # noqa: E731
        await until(both, 60, "both second orders answered")

    config = two_venue_config({"max_drawdown": "0.0001", "loss_action": "halt"})
    with scripted(monkeypatch, makers):
        engine, _, _ = await two_venues(monkeypatch, tmp_path, config, {}, body)
    assert {s: r.rejected() for s, r in records.items()} == {
        "BTC": ["risk/halted"],
        "KS/USD": ["risk/halted"],
    }
    state = engine.risk.board.get("global")
    assert state.state is TradingState.HALTED and state.rule == "drawdown"
    assert Decimal(engine.risk.snapshot()["drawdown"]) > Decimal("0.0001")
