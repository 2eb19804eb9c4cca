"""Realized PnL with the average-cost method, against hand-computed figures."""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Side
from falconet.state.pnl import AssetPnl, PnlFill, realized_pnl

BUY, SELL = Side.BUY, Side.SELL


def f(
    side: Side,
    price: str,
    size: str,
    fee: str = "0",
    *,
    ts: int = 0,
    symbol: str = "HYPE/USDC",
    venue: str = "hyperliquid",
    fee_currency: str = "",
) -> PnlFill:
    return PnlFill(
        venue, symbol, side, Decimal(price), Decimal(size), Decimal(fee), fee_currency, ts
    )


def one(fills: list[PnlFill], since_ns: int | None = None) -> AssetPnl:
    (row,) = realized_pnl(fills, since_ns=since_ns)
    return row


def test_long_round_trip_by_hand() -> None:
    fills = [
        f(BUY, "100", "1", "0.1"),  # pos 1, cost 100.1, avg 100.1
        f(BUY, "110", "1", "0.1"),  # pos 2, cost 210.2, avg 105.1
        f(SELL, "120", "1.5", "0.2"),  # basis 157.65: 180 - 157.65 - 0.2 = 22.15
        f(SELL, "100", "0.5", "0.05"),  # basis 52.55: 50 - 52.55 - 0.05 = -2.6
    ]
    row = one(fills[:3])
    assert row.realized == Decimal("22.15")
    assert row.position == Decimal("0.5")
    assert row.avg_cost == Decimal("105.1")
    row = one(fills)
    # proceeds 230 - sell fees 0.25 - cost 210 - buy fees 0.2
    assert row.realized == Decimal("19.55")
    assert (row.position, row.avg_cost) == (Decimal("0"), None)
    assert (row.fills, row.bought, row.sold, row.fees) == (
        4,
        Decimal("2"),
        Decimal("2"),
        Decimal("0.45"),
    )


def test_buys_alone_realize_nothing_and_raise_the_average_cost() -> None:
    row = one([f(BUY, "10", "3", "0.3"), f(BUY, "13", "1")])
    assert row.realized == 0
    assert row.avg_cost == Decimal("10.825")  # (30.3 + 13) / 4


def test_short_and_crossing_zero() -> None:
    fills = [
        f(SELL, "50", "2", "0.2"),  # short 2, entry value 99.8 (avg 49.9)
        f(BUY, "45", "3", "0.3"),  # closes 2: 99.8 - 90 - 0.2 = 9.6; opens long 1 at 45.1
        f(SELL, "47", "1"),  # 47 - 45.1 = 1.9
    ]
    row = one(fills[:2])
    assert row.realized == Decimal("9.6")
    assert (row.position, row.avg_cost) == (Decimal("1"), Decimal("45.1"))
    assert one(fills).realized == Decimal("11.5")


def test_rebates_add_and_base_fees_are_valued_at_the_fill_price() -> None:
    rebate = one([f(BUY, "100", "1", "-0.01"), f(SELL, "100", "1", "-0.01")])
    assert rebate.realized == Decimal("0.02")
    base_fee = one([f(BUY, "40", "1", "0.001", fee_currency="HYPE"), f(SELL, "40", "1")])
    assert base_fee.fees == Decimal("0.04")
    assert base_fee.realized == Decimal("-0.04")


def test_since_counts_later_fills_but_keeps_the_earlier_cost() -> None:
    fills = [f(BUY, "100", "2", ts=1), f(SELL, "110", "1", ts=2), f(SELL, "120", "1", ts=3)]
    row = one(fills, since_ns=3)
    assert (row.fills, row.realized, row.sold, row.bought) == (
        1,
        Decimal("20"),
        Decimal("1"),
        Decimal("0"),
    )


def test_positions_are_per_venue_and_symbol() -> None:
    rows = realized_pnl(
        [
            f(BUY, "100", "1", venue="kraken", symbol="BTC/USD"),
            f(BUY, "40", "1"),
            f(SELL, "101", "1", venue="kraken", symbol="BTC/USD"),
            f(SELL, "50", "1", venue="lighter"),
        ]
    )
    assert [(r.venue, r.symbol, r.realized, r.position) for r in rows] == [
        ("hyperliquid", "HYPE/USDC", Decimal("0"), Decimal("1")),
        ("kraken", "BTC/USD", Decimal("1"), Decimal("0")),
        ("lighter", "HYPE/USDC", Decimal("0"), Decimal("-1")),
    ]


def test_a_fee_taken_in_coins_leaves_the_position_at_what_the_account_holds() -> None:
    # buy 1 HYPE, 0.01 HYPE of it kept as the fee: 0.99 held; selling those ends flat
    row = one([f(BUY, "100", "1", "0.01", fee_currency="HYPE"), f(SELL, "100", "0.99")])
    assert row.position == 0 and row.avg_cost is None
    assert row.realized == Decimal("-1.00")  # exactly the fee's value
    assert row.fees == Decimal("1.00") and row.bought == Decimal("1")
