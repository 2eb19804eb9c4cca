"""The live context a strategy trades through: fee rates from config or venue (or none),
balances from the venue's account, and quote reconciliation against open orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from falconet.core.clock import SimClock
from falconet.core.enums import Side, Venue
from falconet.core.events import BalanceUpdate, OrderAccepted
from falconet.core.ids import ClientIdFactory, StrategyCode
from falconet.engine.context import LiveContext, fee_rates
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import OrderManager, Owner
from falconet.strategies.api import Fees
from falconet.venues.hyperliquid.instruments import hl_instrument
from tests.engine.fakes import BTC, FakeVenue, base

D = Decimal


def test_fee_rates_config_over_venue_and_none_when_nobody_says() -> None:
    assert fee_rates(None, None, ("0.0002", "0.0005")) == Fees(D("0.0002"), D("0.0005"))
    assert fee_rates(D("0.0001"), None, ("0.0002", "0.0005")) == Fees(D("0.0001"), D("0.0005"))
    assert fee_rates(None, None, None) is None
    assert fee_rates(None, D("0.004"), None) == Fees(D("0.004"), D("0.004"))


def make(fees: Fees | None = None) -> tuple[LiveContext, FakeVenue, Account]:
    venue = FakeVenue()
    oms = OrderManager(venue, ClientIdFactory(1_700_000_000_000))
    account = Account()
    owner = Owner("MM:BTC/USD:paper", StrategyCode.MM, BTC, lambda e: None)
    ctx = LiveContext(owner, oms, MarketState(BTC), account, SimClock(5), fees, lambda: None)
    return ctx, venue, account


def test_fees_raise_lookup_error_when_unknown() -> None:
    ctx, _, _ = make(None)
    with pytest.raises(LookupError, match="no fee rates known for BTC/USD@paper"):
        ctx.fees()


def test_balances_and_position_come_from_the_venue_account() -> None:
    ctx, _, account = make()
    assert ctx.balances().base_total is None  # never reported: unknown, not zero
    for asset, total, free in (("BTC", "0.5", "0.4"), ("USD", "1000", "900")):
        account.apply(
            BalanceUpdate(
                ts_exchange=1, ts_local=1, venue=Venue.PAPER, asset=asset,
                total=D(total), free=D(free),
            )
        )  # fmt: skip
    b = ctx.balances()
    assert (b.base_total, b.base_free, b.quote_total, b.quote_free) == (
        D("0.5"), D("0.4"), D("1000"), D("900"),
    )  # fmt: skip
    assert ctx.position() == BTC.size("0.5")


async def test_reconcile_keeps_matching_quotes_cancels_stale_ones_and_places_missing() -> None:
    ctx, venue, _ = make()
    keep = ctx.submit(Side.BUY, 600000, 10)
    stale = ctx.submit(Side.SELL, 610000, 10)
    for cid, vid in ((keep, "v1"), (stale, "v2")):
        ctx.oms.on_event(OrderAccepted(**base(cid, vid=vid)))
    await asyncio.sleep(0)
    venue.placed.clear()
    ctx.reconcile([(600000, 10)], [(605000, 10)])
    await asyncio.sleep(0)
    assert [c.client_id for c in venue.cancels] == [stale]
    assert [(r.side, r.price) for r in venue.placed] == [(Side.SELL, 605000)]
    ctx.reconcile([(600000, 10)], [(605000, 10)], replace=True)
    await asyncio.sleep(0)
    assert keep in [c.client_id for c in venue.cancels]  # replace mode cancels everything live


def test_a_perp_trades_its_long_position_and_the_margin_account() -> None:
    from falconet.core.enums import InstrumentKind
    from falconet.core.events import PositionUpdate, margin_asset

    perp = hl_instrument(
        "ETH", base="ETH", quote="USDC", kind=InstrumentKind.PERP, sz_decimals=4, asset_id=1
    )
    oms = OrderManager(FakeVenue(), ClientIdFactory(1_700_000_000_000))
    account = Account()
    owner = Owner("MM:ETH:hyperliquid", StrategyCode.MM, perp, lambda e: None)
    ctx = LiveContext(owner, oms, MarketState(perp), account, SimClock(5), None, lambda: None)
    assert ctx.balances().base_total == 0  # no position reported yet: flat, not unknown
    for asset, total in (("USDC", "5"), (margin_asset("USDC"), "900"), ("ETH", "3")):
        account.apply(
            BalanceUpdate(
                ts_exchange=1, ts_local=1, venue=Venue.HYPERLIQUID, asset=asset,
                total=D(total), free=D(total),
            )
        )  # fmt: skip
    account.apply(PositionUpdate(ts_exchange=1, ts_local=1, instrument_id=perp.id, size=-2500))
    b = ctx.balances()
    # a short is nothing to sell for a long-only strategy; spot ETH is not margin
    assert (b.base_total, b.quote_total) == (D(0), D(900))
    assert ctx.position() == -2500
    account.apply(PositionUpdate(ts_exchange=2, ts_local=2, instrument_id=perp.id, size=12345))
    assert ctx.balances().base_free == D("1.2345")
