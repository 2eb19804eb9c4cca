"""trading[] entries: values, defaults, where each key applies, and exact error paths."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from falconet.config import (
    Config,
    DataFeed,
    DecimalRange,
    Strategy,
    TradingEntry,
    parse_config,
    parse_config_text,
)
from falconet.core.enums import Venue
from falconet.strategies.grid import GridEntryParams
from falconet.strategies.mm import MMEntryParams
from tests.config.builders import grid_entry, mm_entry

Load = Callable[..., Config]
Problems = Callable[..., list[str]]


def _one(load: Load, entry: dict[str, Any]) -> TradingEntry:
    return load({"trading": [entry]}).trading[0]


def _grid(entry: TradingEntry) -> GridEntryParams:
    assert isinstance(entry.params, GridEntryParams)
    return entry.params


def _errors(problems: Problems, *entries: dict[str, Any]) -> list[str]:
    return problems({"trading": list(entries)})


def test_grid_defaults_on_kraken(load: Load) -> None:
    entry = _one(load, {"symbol": "BTC/USD", "qty": "0.0002", "strategy": "Grid"})
    assert entry == TradingEntry(
        symbol="BTC/USD",
        exchange=Venue.KRAKEN,  # dio's default venue
        qty=Decimal("0.0002"),
        strategy=Strategy.GRID,
        params=GridEntryParams(
            grid_interval=DecimalRange(Decimal("1.0"), Decimal("1.0")),
            sell_mult=Decimal("1.0"),
            accumulation_buffer=None,  # not a Kraken setting
            base_accumulation=True,
            sell_levels=False,
        ),
        maker_fee=None,
        taker_fee=None,
        testnet=False,
        hedge=False,
        data_feed=None,
    )


@pytest.mark.parametrize("venue", ["hyperliquid", "lighter", "ibkr", "alpaca", "paper"])
def test_accumulation_buffer_default_on_accumulation_venues(load: Load, venue: str) -> None:
    entry = _one(load, grid_entry(exchange=venue, symbol="SPY"))
    assert _grid(entry).accumulation_buffer == DecimalRange(Decimal("0.01"), Decimal("0.01"))


def test_mm_entry_carries_only_mm_params(load: Load) -> None:
    entry = _one(load, mm_entry(min_usd_balance="50", max_exposure=250))
    assert entry.strategy is Strategy.MM
    assert entry.params == MMEntryParams(min_usd_balance=Decimal("50"), max_exposure=Decimal(250))


@pytest.mark.parametrize(
    ("name", "strategy"),
    [
        ("Grid", Strategy.GRID),
        ("suicide_grid", Strategy.GRID),
        ("Ladder", Strategy.GRID),
        ("jacobs_ladder", Strategy.GRID),
        ("grid", Strategy.GRID),
        ("MM", Strategy.MM),
    ],
)
def test_strategy_names_and_aliases(load: Load, name: str, strategy: Strategy) -> None:
    assert _one(load, grid_entry(strategy=name)).strategy is strategy


def test_exchange_names(load: Load) -> None:
    entries = [
        grid_entry(symbol=f"S{i}", exchange=name)
        for i, name in enumerate(["kraken", "Hyperliquid", "LIGHTER", "ibkr", "alpaca", "paper"])
    ]
    venues = [e.exchange for e in load({"trading": entries}).trading]
    assert venues == [
        Venue.KRAKEN,
        Venue.HYPERLIQUID,
        Venue.LIGHTER,
        Venue.IBKR,
        Venue.ALPACA,
        Venue.PAPER,
    ]


def test_grid_interval_scalar_is_promoted(load: Load) -> None:
    entry = _one(load, grid_entry(grid_interval=0.5))
    assert _grid(entry).grid_interval == DecimalRange(Decimal("0.5"), Decimal("0.5"))


def test_grid_interval_pair_is_sorted(load: Load) -> None:
    entry = _one(load, grid_entry(grid_interval=[1.25, 0.25]))
    assert _grid(entry).grid_interval == DecimalRange(Decimal("0.25"), Decimal("1.25"))


def test_accumulation_buffer_scalar_and_pair(load: Load) -> None:
    a = _one(load, grid_entry(exchange="ibkr", symbol="TQQQ", accumulation_buffer=25))
    b = _one(load, grid_entry(exchange="ibkr", symbol="TQQQ", accumulation_buffer=[50.0, 25.0]))
    assert _grid(a).accumulation_buffer == DecimalRange(Decimal(25), Decimal(25))
    assert _grid(b).accumulation_buffer == DecimalRange(Decimal("25.0"), Decimal("50.0"))


def test_numbers_are_exact_decimals_from_the_file_text() -> None:
    text = (
        '{"trading": [{"symbol": "HYPE/USDC", "exchange": "hyperliquid", "qty": "0.35",'
        ' "strategy": "Grid", "grid_interval": [0.1, 0.3], "sell_mult": "0.999",'
        ' "accumulation_buffer": 0.1, "maker_fee": 0.0001, "taker_fee": 3e-4}]}'
    )
    entry = parse_config_text(text).trading[0]
    grid = _grid(entry)
    assert grid.grid_interval == DecimalRange(Decimal("0.1"), Decimal("0.3"))
    assert grid.grid_interval.lo != Decimal.from_float(0.1)  # not the binary approximation
    assert grid.accumulation_buffer == DecimalRange(Decimal("0.1"), Decimal("0.1"))
    assert entry.qty == Decimal("0.35")
    assert grid.sell_mult == Decimal("0.999")
    assert entry.maker_fee == Decimal("0.0001")
    assert entry.taker_fee == Decimal("0.0003")
    for value in (entry.qty, grid.sell_mult, entry.maker_fee, *grid.grid_interval):
        assert isinstance(value, Decimal)


def test_json_number_keeps_every_digit_written() -> None:
    # More digits than a binary float holds: a float round-trip would change the value.
    text = (
        '{"trading": [{"symbol": "X", "qty": "1", "strategy": "Grid",'
        ' "grid_interval": 0.12345678901234567891}]}'
    )
    entry = parse_config_text(text).trading[0]
    assert _grid(entry).grid_interval == DecimalRange(
        Decimal("0.12345678901234567891"), Decimal("0.12345678901234567891")
    )


def test_python_floats_convert_through_their_shortest_repr() -> None:
    entry = parse_config({"trading": [grid_entry(grid_interval=[0.1, 0.7])]}).trading[0]
    assert _grid(entry).grid_interval == DecimalRange(Decimal("0.1"), Decimal("0.7"))


@given(
    st.lists(
        st.decimals(min_value="0.0001", max_value="100", places=4, allow_nan=False),
        min_size=1,
        max_size=2,
    )
)
def test_grid_interval_range_property(values: list[Decimal]) -> None:
    raw: object = values[0] if len(values) == 1 else values
    entry = parse_config({"trading": [grid_entry(grid_interval=raw)]}).trading[0]
    assert _grid(entry).grid_interval == DecimalRange(min(values), max(values))


@given(st.decimals(min_value="0.00000001", max_value="1000000", places=8, allow_nan=False))
def test_qty_string_roundtrips_exactly(qty: Decimal) -> None:
    text = format(qty, "f")
    entry = parse_config({"trading": [grid_entry(qty=text)]}).trading[0]
    assert entry.qty == qty
    assert format(entry.qty, "f") == text


def test_fees_allow_null_and_rebates(load: Load) -> None:
    entry = _one(load, grid_entry(maker_fee=None, taker_fee=-0.0001))
    assert entry.maker_fee is None
    assert entry.taker_fee == Decimal("-0.0001")


def test_switches_and_data_feed(load: Load) -> None:
    hl = _one(
        load, grid_entry(exchange="hyperliquid", symbol="HYPE/USDC", testnet=True, hedge=True)
    )
    assert (hl.testnet, hl.hedge) == (True, True)
    alpaca = _one(load, grid_entry(exchange="alpaca", symbol="SPY", data_feed="SIP"))
    assert alpaca.data_feed is DataFeed.SIP
    grid = _one(load, grid_entry(base_accumulation=False, sell_levels=True))
    assert (_grid(grid).base_accumulation, _grid(grid).sell_levels) == (False, True)


HL = {"exchange": "hyperliquid", "symbol": "HYPE/USDC"}
KRAKEN_ONLY = "allowed on: hyperliquid, lighter, ibkr, alpaca"


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            {"qty": ...},
            "trading[0].qty: required key is missing",
        ),
        (
            {"symbol": ...},
            "trading[0].symbol: required key is missing",
        ),
        (
            {"strategy": ...},
            "trading[0].strategy: required key is missing",
        ),
        (
            {"qty": 0.001},
            'trading[0].qty: expected a decimal string such as "0.5", got 0.001 '
            "(write numbers here as strings so they stay exact)",
        ),
        ({"qty": "0"}, "trading[0].qty: must be > 0, got 0"),
        ({"qty": "-0.1"}, "trading[0].qty: must be > 0, got -0.1"),
        ({"qty": "1_000"}, 'trading[0].qty: expected a decimal string such as "0.5", got "1_000"'),
        ({"qty": " 1"}, 'trading[0].qty: expected a decimal string such as "0.5", got " 1"'),
        ({"qty": "NaN"}, 'trading[0].qty: expected a decimal string such as "0.5", got "NaN"'),
        ({"symbol": ""}, "trading[0].symbol: must not be empty"),
        (
            {"exchange": None},
            "trading[0].exchange: expected the exchange as a string "
            "(one of kraken, hyperliquid, lighter, ibkr, alpaca, paper), got null",
        ),
        ({"symbol": 5}, "trading[0].symbol: expected a string, got 5"),
        (
            {"exchange": "binance"},
            'trading[0].exchange: unknown exchange "binance"; '
            "expected one of kraken, hyperliquid, lighter, ibkr, alpaca, paper",
        ),
        (
            {"strategy": "Gird"},
            'trading[0].strategy: unknown strategy "Gird" (did you mean "Grid"?); '
            "expected one of Grid, suicide_grid, Ladder, jacobs_ladder, MM",
        ),
        (
            {"grid_interval": "abc"},
            "trading[0].grid_interval: expected a number or a [min, max] list of 2 numbers, "
            'got "abc"',
        ),
        (
            {"grid_interval": [1, 2, 3]},
            "trading[0].grid_interval: expected a number or a [min, max] list of 2 numbers, "
            "got a list of 3 items",
        ),
        (
            {"grid_interval": []},
            "trading[0].grid_interval: expected a number or a [min, max] list of 2 numbers, "
            "got a list of 0 items",
        ),
        (
            {"grid_interval": [0.5, "1"]},
            "trading[0].grid_interval: expected a number or a [min, max] list of 2 numbers, "
            'got [0.5, "1"]',
        ),
        ({"grid_interval": [0, 1]}, "trading[0].grid_interval: must be > 0, got 0"),
        ({"sell_mult": "1.5"}, "trading[0].sell_mult: must be > 0 and <= 1, got 1.5"),
        ({"sell_mult": "0"}, "trading[0].sell_mult: must be > 0 and <= 1, got 0"),
        (
            {"sell_mult": 0.999},
            'trading[0].sell_mult: expected a decimal string such as "0.5", got 0.999 '
            "(write numbers here as strings so they stay exact)",
        ),
        (
            {"maker_fee": 0.16},
            "trading[0].maker_fee: must be >= -0.01 and <= 0.01, got 0.16 "
            "(fees are fractions: 0.0016 means 0.16%)",
        ),
        ({"taker_fee": "high"}, 'trading[0].taker_fee: expected a number, got "high"'),
        ({"sell_levels": "yes"}, 'trading[0].sell_levels: expected true or false, got "yes"'),
        (
            {"testnet": False},
            f"trading[0].testnet: not allowed on exchange kraken (Kraken has no testnet); "
            f"{KRAKEN_ONLY}",
        ),
        (
            {"accumulation_buffer": [0.5, 5.0]},
            "trading[0].accumulation_buffer: not allowed on exchange kraken (Kraken sells "
            f"qty × sell_mult directly, without a profit buffer); {KRAKEN_ONLY}, paper",
        ),
        (
            {"hedge": True},
            "trading[0].hedge: not allowed on exchange kraken; allowed on: hyperliquid",
        ),
        (
            {"exchange": "lighter", "hedge": False},
            "trading[0].hedge: not allowed on exchange lighter; allowed on: hyperliquid",
        ),
        (
            {"data_feed": "iex"},
            "trading[0].data_feed: not allowed on exchange kraken; allowed on: alpaca",
        ),
        (
            {"exchange": "paper", "testnet": True},
            "trading[0].testnet: not allowed on exchange paper (the paper venue is always "
            "simulated); allowed on: hyperliquid, lighter, ibkr, alpaca",
        ),
        (
            {"exchange": "alpaca", "data_feed": "delayed"},
            'trading[0].data_feed: unknown data feed "delayed"; expected one of iex, sip',
        ),
        (
            {"min_usd_balance": "10"},
            "trading[0].min_usd_balance: only applies to strategy MM, "
            "but this entry's strategy is Grid",
        ),
        (
            {"strategy": "MM", "grid_interval": [1, 2, 3]},
            "trading[0].grid_interval: only applies to strategy Grid, "
            "but this entry's strategy is MM",
        ),
        (
            {"strategy": "MM", "sell_mult": "0.9"},
            "trading[0].sell_mult: only applies to strategy Grid, but this entry's strategy is MM",
        ),
        (
            {"grid_intervall": [1, 2]},
            'trading[0].grid_intervall: unknown key (did you mean "grid_interval"?)',
        ),
        (
            {"asset_class": "crypto"},
            "trading[0].asset_class: unknown key: oracle risk classes are not supported",
        ),
    ],
)
def test_entry_rejections_name_the_exact_path(
    problems: Problems, overrides: dict[str, Any], line: str
) -> None:
    assert _errors(problems, grid_entry(**overrides)) == [f"config.json: {line}"]


def test_error_path_counts_entries(problems: Problems) -> None:
    entries = [
        grid_entry(symbol="A/USD"),
        grid_entry(symbol="B/USD"),
        grid_entry(symbol="C/USD", grid_interval="abc"),
    ]
    assert _errors(problems, *entries) == [
        "config.json: trading[2].grid_interval: expected a number or a [min, max] list of 2 "
        'numbers, got "abc"'
    ]


def test_unknown_key_without_close_match_lists_allowed_keys(problems: Problems) -> None:
    (line,) = _errors(problems, grid_entry(colour="red"))
    assert line.startswith("config.json: trading[0].colour: unknown key; allowed keys: symbol, ")
    assert line.endswith("base_accumulation, sell_levels, risk, account")


def test_scope_checks_are_skipped_when_the_venue_is_invalid(problems: Problems) -> None:
    assert _errors(problems, grid_entry(exchange="krakn", testnet=True)) == [
        'config.json: trading[0].exchange: unknown exchange "krakn" (did you mean "kraken"?); '
        "expected one of kraken, hyperliquid, lighter, ibkr, alpaca, paper"
    ]


def test_duplicate_symbol_and_venue(problems: Problems, load: Load) -> None:
    entries = [grid_entry(), grid_entry(exchange="hyperliquid"), grid_entry(symbol="btc/usd")]
    assert _errors(problems, *entries) == [
        "config.json: trading[2]: duplicate entry for btc/usd on kraken "
        "(already defined at trading[0]); one runner per symbol and account"
    ]
    # The same symbol on two venues is two runners.
    assert len(load({"trading": entries[:2]}).trading) == 2


def test_dio_readme_hyperliquid_entry_with_hedge_and_testnet(load: Load) -> None:
    entry = _one(
        load,
        {
            "symbol": "HYPE/USDC",
            "exchange": "hyperliquid",
            "qty": "0.35",
            "grid_interval": [0.25, 0.5],
            "sell_mult": "0.999",
            "accumulation_buffer": [0.5, 5.0],
            "strategy": "Grid",
            "testnet": False,
            "hedge": True,
        },
    )
    assert entry.hedge is True
    assert _grid(entry).accumulation_buffer == DecimalRange(Decimal("0.5"), Decimal("5.0"))


def test_hl_defaults(load: Load) -> None:
    entry = _one(load, grid_entry(**HL))
    assert (entry.testnet, entry.hedge) == (False, False)


def test_account_label_picks_a_venue_account(problems: Problems) -> None:
    from falconet.config import parse_config

    config = parse_config(
        {"trading": [grid_entry(account="main"), grid_entry(), grid_entry(account="Main2")]},
        "config.json",
    )
    assert [e.account for e in config.trading] == ["MAIN", None, "MAIN2"]
    # the same symbol twice on one account is refused; on two accounts it is two entries
    (line,) = _errors(problems, grid_entry(account="a"), grid_entry(account="A"))
    assert line.startswith("config.json: trading[1]: duplicate entry for BTC/USD on kraken")
    for bad in ("", "has space", "x" * 33, "under_score", 7, "é"):
        (line,) = _errors(problems, grid_entry(account=bad))
        assert line.startswith("config.json: trading[0].account: expected an account label")


def test_huge_exponents_are_refused_without_being_written_out(
    problems: Problems, load: Load
) -> None:
    """A Decimal keeps any exponent: "1e-99999999" written out is 100 MB. Magnitudes beyond
    1e±30 are refused, and the message shows the value in exponent form."""
    for key, value in (("qty", "1e999999"), ("qty", "1e-99999999"), ("sell_mult", "1e-99999999")):
        (line,) = _errors(problems, grid_entry(**{key: value}))
        assert line.startswith(f"config.json: trading[0].{key}: out of range"), line
        assert len(line) < 200
    assert _one(load, grid_entry(qty="1e-5")).qty == Decimal("0.00001")  # within range
