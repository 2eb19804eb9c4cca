"""The risk engine's parts on their own: rules, token bucket, states, marked PnL."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from falconet.config.risk import RiskLimits, RiskSettings
from falconet.core.enums import InstrumentKind, Liquidity, Side, Venue
from falconet.core.events import Fill
from falconet.core.ids import Intent
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.risk import GLOBAL, Proposal, RiskEngine, TradingState
from falconet.risk.engine import TokenBucket
from falconet.risk.pnl import NS_PER_DAY, EntryPnL, Watermarks
from falconet.risk.rules import reduces, worst_position
from falconet.strategies.api import OpenOrder

INST = Instrument.with_increments(
    Venue.PAPER, "BTC/USD", "BTC", "USD", InstrumentKind.SPOT, tick="0.01", lot="0.001"
)
D = Decimal


@dataclass
class View:
    bid: int | None = 10_000_00  # 10,000.00
    ask: int | None = 10_002_00
    pos: int = 0
    orders: list[OpenOrder] = field(default_factory=list)
    ts: int = 1
    instrument: Instrument = INST

    def best_bid(self) -> int | None:
        return self.bid

    def best_ask(self) -> int | None:
        return self.ask

    def position(self) -> int:
        return self.pos

    def open_orders(self) -> list[OpenOrder]:
        return self.orders

    def book_ts(self) -> int:
        return self.ts


def order(side: Side, qty: int, cid: str = "x") -> OpenOrder:
    return OpenOrder(cid, side, 10_000_00, qty, 0, OrderStatus.OPEN, False, Intent.NONE, 0)


def engine(limits: RiskLimits | None = None, **settings: object) -> RiskEngine:
    return RiskEngine(RiskSettings(limits=limits or RiskLimits(), **settings))  # type: ignore[arg-type]


def test_a_rule_refuses_and_is_counted_by_name() -> None:
    risk = engine(RiskLimits(max_order_notional=D(100)))
    view = View()
    e = risk.add_entry("a", "paper", view)
    assert risk.check(e, Proposal(Side.BUY, 10_000_00, 9), 1) is None  # 90
    refusal = risk.check(e, Proposal(Side.BUY, 10_000_00, 11), 1)  # 110
    assert refusal is not None and refusal.rule == "order_notional"
    assert risk.rejections == {"order_notional": 1}


def test_a_market_order_is_valued_at_the_mid_and_an_unknown_mid_fails_closed() -> None:
    risk = engine(RiskLimits(max_order_notional=D(100)))
    view = View()
    e = risk.add_entry("a", "paper", view)
    refusal = risk.check(e, Proposal(Side.BUY, None, 11), 1)
    assert refusal is not None and refusal.rule == "order_notional"
    view.bid = view.ask = None
    refusal = risk.check(e, Proposal(Side.BUY, None, 1), 1)
    assert refusal is not None and refusal.rule == "mid_unknown"


def test_price_band_is_measured_from_the_mid() -> None:
    risk = engine(RiskLimits(price_band_pct=D(1)))
    e = risk.add_entry("a", "paper", View())
    assert risk.check(e, Proposal(Side.BUY, 9_920_00, 1), 1) is None  # 0.81 % below
    refusal = risk.check(e, Proposal(Side.BUY, 9_880_00, 1), 1)  # 1.21 % below
    assert refusal is not None and refusal.rule == "price_band"


@given(
    pos=st.integers(-1000, 1000),
    working=st.integers(0, 1000),
    size=st.integers(1, 1000),
    buy=st.booleans(),
)
def test_reducing_means_the_position_can_only_move_toward_zero(
    pos: int, working: int, size: int, buy: bool
) -> None:
    side = Side.BUY if buy else Side.SELL
    view = View(pos=pos, orders=[order(side, working)] if working else [])
    p = Proposal(side, 10_000_00, size)
    if reduces(view, p):
        after = pos + side.sign * (working + size)
        assert abs(after) <= abs(pos) and (after == 0 or (after > 0) == (pos > 0))
    assert worst_position(view, p) == abs(pos + side.sign * (working + size))


def test_an_amend_does_not_count_its_own_order_twice() -> None:
    risk = engine(RiskLimits(max_position=D("0.01")))
    view = View(orders=[order(Side.BUY, 8, "mine")])
    e = risk.add_entry("a", "paper", view)
    # resizing the 8-lot order to 9 lots: the position could reach 9, not 17
    assert risk.check(e, Proposal(Side.BUY, 10_000_00, 9, replaces="mine"), 1) is None
    refusal = risk.check(e, Proposal(Side.BUY, 10_000_00, 11, replaces="mine"), 1)
    assert refusal is not None and refusal.rule == "position"


def test_states_move_only_to_more_severe_until_reset() -> None:
    risk = engine()
    e = risk.add_entry("a", "paper", View(pos=5))
    assert risk.trip(GLOBAL, TradingState.REDUCING, reason="r", rule="x", now_ns=1)
    assert not risk.trip(GLOBAL, TradingState.REDUCING, reason="again", rule="x", now_ns=2)
    buy = risk.check(e, Proposal(Side.BUY, 10_000_00, 1), 3)
    sell = risk.check(e, Proposal(Side.SELL, 10_000_00, 5), 3)
    assert buy is not None and buy.rule == "reducing" and sell is None
    assert risk.trip("account:paper", TradingState.HALTED, reason="h", rule="y", now_ns=4)
    sell = risk.check(e, Proposal(Side.SELL, 10_000_00, 5), 5)
    assert sell is not None and sell.rule == "halted" and "account:paper" in sell.reason
    risk.reset("account:paper", 6)
    risk.reset(GLOBAL, 6)
    assert risk.check(e, Proposal(Side.BUY, 10_000_00, 1), 7) is None


def test_the_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(D(2), 3)
    assert [bucket.take(0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(500_000_000)  # half a second: one token back
    assert not bucket.take(500_000_000)
    assert [bucket.take(10**10) for _ in range(4)] == [True, True, True, False]  # capped


def test_one_bucket_per_account_shared_by_its_entries() -> None:
    risk = engine(order_rate_per_s=D("0.001"), order_burst=2)
    a = risk.add_entry("a", "hyperliquid", View())
    b = risk.add_entry("b", "hyperliquid", View())
    c = risk.add_entry("c", "paper", View())
    ok = [risk.check(x, Proposal(Side.BUY, 10_000_00, 1), 1) is None for x in (a, b, a, c)]
    assert ok == [True, True, False, True]


def fill(side: Side, price: int, size: int, fee: str = "0") -> Fill:
    return Fill(
        ts_exchange=1, ts_local=1, instrument_id=INST.id, client_id="c", trade_id=f"{price}",
        side=side, price=price, size=size, fee=D(fee), fee_currency="USD",
        liquidity=Liquidity.TAKER,
    )  # fmt: skip


def test_pnl_is_cash_plus_the_position_the_fills_built_at_the_mid() -> None:
    p = EntryPnL(INST)
    p.on_fill(fill(Side.BUY, 10_000_00, 1000, fee="1"))  # 1 BTC at 10,000, fee 1
    assert p.marked(10_100_00) == D(99)  # +100 on the price, -1 fee
    p.on_fill(fill(Side.SELL, 10_200_00, 1000))
    assert p.position == 0 and p.marked(None) == D(199)


def test_drawdown_from_the_peak_and_the_loss_since_midnight() -> None:
    w = Watermarks()
    assert w.update(D(0), 10) == (0, 0)
    assert w.update(D(50), 20) == (0, 0)
    assert w.update(D(20), 30) == (D(30), D(0))  # the day started at 0
    assert w.update(D(10), NS_PER_DAY + 1) == (D(40), D(0))  # a new day starts at 10
    assert w.update(D(-5), NS_PER_DAY + 2) == (D(55), D(15))


def test_a_drawdown_past_its_limit_halts_everything_and_kill_calls_the_handler() -> None:
    risk = engine(max_drawdown=D(5), loss_action="kill", flatten_on_kill=True)
    view = View()
    e = risk.add_entry("a", "paper", view)
    killed: list[tuple[str, bool]] = []
    risk.kill_handler = lambda reason, flatten: killed.append((reason, flatten))
    risk.on_fill(e, fill(Side.BUY, 10_001_00, 1000), 1)  # marked at 10,001: 0
    assert risk.board.get(GLOBAL).state is TradingState.ACTIVE
    view.bid, view.ask = 9_990_00, 9_992_00  # mid 9,991: -10
    risk.evaluate(2)
    state = risk.board.get(GLOBAL)
    assert state.state is TradingState.HALTED and state.rule == "drawdown"
    assert len(killed) == 1 and killed[0][1] is True
    risk.evaluate(3)
    assert len(killed) == 1  # the kill runs once, when the state moves
