"""The market maker's arithmetic: fee resolution, the fee-dependent buy price, and the
checks every quote passes (profitability, post-only, balance limits)."""

from __future__ import annotations

from decimal import Decimal

from falconet.strategies.mm import DEFAULT_MAKER_FEE, required_buy_price, resolve_maker_fee
from falconet.strategies.mm.pricing import (
    buy_is_funded,
    exposure_ok,
    is_post_only_safe,
    is_profitable,
    required_edge,
    usd_ok,
)
from tests.strategies.test_mm_support import ETH, HYPE, px

D = Decimal


# --- maker fee resolution ---------------------------------------------------------------


def test_fee_config_maker_override_wins() -> None:
    assert resolve_maker_fee(D("0.0005"), D("0.0016"), D("0.004")) == D("0.0005")


def test_fee_venue_maker_fee_without_override() -> None:
    assert resolve_maker_fee(None, D("0.0016"), D("0.004")) == D("0.0016")


def test_fee_config_taker_when_venue_fee_unknown() -> None:
    assert resolve_maker_fee(None, None, D("0.004")) == D("0.004")


def test_fee_default_is_0_0026_when_nothing_is_known() -> None:
    assert resolve_maker_fee(None, None, None) == DEFAULT_MAKER_FEE == D("0.0026")


def test_fee_zero_override_is_a_value_not_a_gap() -> None:
    assert resolve_maker_fee(D(0), D("0.0016"), None) == 0


# --- buy price --------------------------------------------------------------------------


def test_required_edge_is_two_fees_plus_one_basis_point() -> None:
    assert required_edge(D("0.0016")) == D("0.0033")


def test_buy_price_is_the_bid_when_trading_is_free() -> None:
    assert required_buy_price(ETH, px("100.00"), px("100.10"), D(0)) == px("100.00")


def test_buy_price_formula_floored_to_the_tick() -> None:
    # 100.10 * (1 - 0.0021) = 99.88979 -> 99.88
    assert required_buy_price(ETH, px("100.00"), px("100.10"), D("0.001")) == px("99.88")


def test_buy_price_never_above_the_bid() -> None:
    # wide spread: ask * (1 - edge) = 109.77 is above the bid
    assert required_buy_price(ETH, px("100.00"), px("110.00"), D("0.001")) == px("100.00")


def test_buy_price_exact_on_a_tick_needs_no_epsilon() -> None:
    # 32.50 * (1 - 0.0040) = 32.37 exactly; in binary floats the product is 32.3699999...
    # and a plain floor would give 32.36.
    assert 32.50 * (1 - (2 * 0.00195 + 0.0001)) * 100 < 3237
    assert required_buy_price(ETH, px("32.45"), px("32.50"), D("0.00195")) == px("32.37")


def test_buy_price_follows_significant_figure_rules() -> None:
    # Hyperliquid spot: 5 significant figures. 12.345 * (1 - 0.0009) = 12.3338895 -> 12.333
    bid, ask = HYPE.price("12.344"), HYPE.price("12.345")
    assert required_buy_price(HYPE, bid, ask, D("0.0004")) == HYPE.price("12.333")


def test_buy_price_with_a_rebate_stays_at_the_bid() -> None:
    assert required_buy_price(ETH, px("100.00"), px("100.10"), D("-0.0001")) == px("100.00")


# --- guards -----------------------------------------------------------------------------


def test_profitability_guard_accepts_the_required_edge_exactly() -> None:
    # ask 100.00, fee 0.00045: the edge is 0.10 -> 99.90 is the highest profitable buy
    fee = D("0.00045")
    assert is_profitable(ETH, px("99.90"), px("100.00"), px("100.00"), fee)
    assert not is_profitable(ETH, px("99.91"), px("100.00"), px("100.00"), fee)


def test_profitability_guard_is_off_without_fees() -> None:
    assert is_profitable(ETH, px("100.00"), px("100.00"), px("100.00"), D(0))


def test_post_only_guard_buy_at_or_below_bid_sell_at_or_above_ask() -> None:
    bid, ask = px("100.00"), px("100.10")
    assert is_post_only_safe(bid, ask, bid, ask)
    assert not is_post_only_safe(bid + 1, ask, bid, ask)
    assert not is_post_only_safe(bid, ask - 1, bid, ask)


# --- balance limits ---------------------------------------------------------------------


def test_usd_ok_reserves_one_buy_when_none_is_open() -> None:
    # 1000 free, the next buy would take 100: 900 left
    assert usd_ok(D(900), D(1000), D(100), D(1), has_mm_buy=False)
    assert not usd_ok(D("900.01"), D(1000), D(100), D(1), has_mm_buy=False)


def test_usd_ok_with_an_open_buy_counts_only_free_quote() -> None:
    # the open buy's quote is already locked, so nothing more is reserved
    assert usd_ok(D(1000), D(1000), D(100), D(1), has_mm_buy=True)


def test_exposure_ok_values_free_base_after_the_next_sell() -> None:
    # (3 - 1) * 100 = 200
    assert exposure_ok(D(200), D(3), D(1), D(100))
    assert not exposure_ok(D("199.99"), D(3), D(1), D(100))


def test_limits_fail_safe_when_balance_is_unknown() -> None:
    assert not usd_ok(D(0), None, D(100), D(1), has_mm_buy=True)
    assert not exposure_ok(D(10**9), None, D(1), D(100))


def test_limits_unset_never_breach() -> None:
    assert usd_ok(None, None, D(100), D(1), has_mm_buy=False)
    assert exposure_ok(None, None, D(1), D(100))


def test_buy_funding_needs_cost_and_the_minimum_left_over() -> None:
    assert buy_is_funded(D(1000), D(100), D(900))
    assert not buy_is_funded(D(1000), D(100), D("900.01"))
    assert not buy_is_funded(D(99), D(100), None)
    assert buy_is_funded(D(100), D(100), None)
    assert not buy_is_funded(None, D(100), None)
