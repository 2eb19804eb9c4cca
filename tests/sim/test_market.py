"""The market simulator as its users rely on it: a valid, deterministic stream whose book
behaves like a venue's and whose statistics match the parameters asked for."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from falconet.cli.main import main
from falconet.core.book import L2Book
from falconet.core.enums import BookSide
from falconet.data.format import (
    COLUMNS,
    EventKind,
    EventTable,
    local_order,
    read_events,
    validate_events,
    write_events,
)
from falconet.sim import market
from falconet.sim.market import SECONDS_PER_YEAR, MarketParams, MarketParamsError, generate

D, T, C, S = EventKind.DEPTH, EventKind.TRADE, EventKind.CLEAR, EventKind.SNAPSHOT
LEVELS = 12
# A busy minute, restated every 10 s: every rule is checked on every message.
SHORT = MarketParams(duration_s=60, levels=LEVELS, snapshot_every_s=10, seed=3)
# A quieter, more volatile hour: enough independent returns and events for statistics.
LONG = MarketParams(
    duration_s=3600, volatility=2.0, limit_rate=40, cancel_rate=35, market_rate=5, seed=11
)


@pytest.fixture(scope="module")
def short() -> EventTable:
    return generate(SHORT)


@pytest.fixture(scope="module")
def long() -> EventTable:
    return generate(LONG)


@dataclass
class Message:
    """Rows sharing one exchange timestamp, their kinds, and the book (price -> qty per
    side) before them: the live replay state, valid until the next message is drawn."""

    rows: range
    kinds: list[int]
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)


def messages(table: EventTable) -> Iterator[Message]:
    """Replay the rows with plain dicts, yielding each message with the book before it."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    kind, side = table.kind.tolist(), table.side.tolist()
    price, qty = table.price.tolist(), table.qty.tolist()
    start = 0
    for end in (*(np.flatnonzero(np.diff(table.ts_exchange)) + 1).tolist(), len(table)):
        yield Message(range(start, end), kind[start:end], bids, asks)
        for r in range(start, end):
            if kind[r] == C:
                bids.clear()
                asks.clear()
            elif kind[r] != T:
                book = bids if side[r] == 1 else asks
                if qty[r]:
                    book[price[r]] = qty[r]
                else:
                    book.pop(price[r], None)
        start = end


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    params = MarketParams(duration_s=20, seed=5)
    a, b = generate(params), generate(params)
    other = generate(MarketParams(duration_s=20, seed=6))
    for name, _ in COLUMNS:
        assert a.column(name).tobytes() == b.column(name).tobytes(), name
    assert a.meta == b.meta
    assert len(other) != len(a) or not np.array_equal(other.price, a.price)


def test_progress_reports_and_buffer_growth_do_not_change_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = MarketParams(duration_s=150, seed=8)
    plain = generate(params)
    reports: list[float] = []
    chunked = generate(params, progress=reports.append)
    monkeypatch.setattr(market, "_estimate_rows", lambda _: 1000)  # grows many times
    grown = generate(params)
    for name, _ in COLUMNS:
        assert np.array_equal(chunked.column(name), plain.column(name)), name
        assert np.array_equal(grown.column(name), plain.column(name)), name
    assert reports[0] == pytest.approx(0.4) and reports[-1] == 1.0
    assert reports == sorted(reports)


def test_the_stream_is_valid_and_round_trips(short: EventTable, tmp_path: Path) -> None:
    validate_events(short)
    path = tmp_path / "sim.parquet"
    write_events(path, short)
    back = read_events(path)
    for name, _ in COLUMNS:
        assert np.array_equal(back.column(name), short.column(name)), name
    assert back.instrument == short.instrument
    assert str(back.instrument.id) == "SIM-PERP@sim"
    assert back.stats["seed"] == 3 and back.stats["params"] == SHORT.as_dict()
    assert back.stats["rows"] == short.counts()
    assert set(np.unique(short.kind)) == {D, T, C, S}


def test_the_rebuilt_book_is_never_crossed_and_always_shows_every_level(
    short: EventTable,
) -> None:
    book = L2Book("SIM-PERP@sim")
    spreads: list[int] = []
    for m in messages(short):
        kinds = m.kinds
        levels = [
            (int(p), int(q), int(s))
            for p, q, s, k in zip(
                short.price[m.rows], short.qty[m.rows], short.side[m.rows], kinds, strict=True
            )
            if k in (D, S)
        ]
        bids = [(p, q) for p, q, s in levels if s == 1]
        asks = [(p, q) for p, q, s in levels if s == -1]
        if kinds[0] == C:
            book.clear()
            book.apply_snapshot(bids, asks)
        else:
            book.apply_delta(bids, asks)
        assert not book.is_crossed, m.rows
        assert book.depth(BookSide.BID) == book.depth(BookSide.ASK) == LEVELS, m.rows
        spread = book.spread()
        assert spread is not None
        spreads.append(spread)
    tick = 1  # price units of 0.01
    one_tick = np.mean(np.array(spreads) == tick)
    assert one_tick > 0.7, f"the spread is one tick only {one_tick:.0%} of the time"
    assert max(spreads) > tick, "the spread never widens"


def test_trades_take_the_touch_then_walk_the_next_levels(short: EventTable) -> None:
    walked = 0
    for m in messages(short):
        kinds = m.kinds
        if T not in kinds:
            continue
        rows = list(m.rows)
        aggressor = int(short.side[rows[0]])
        assert kinds[0] == T  # the trade comes first in its message
        book = m.asks if aggressor == 1 else m.bids
        ladder = sorted(book, reverse=aggressor == -1)  # touch first
        trades = [r for r in rows if short.kind[r] == T]
        for n, r in enumerate(trades):
            price, size = int(short.price[r]), int(short.qty[r])
            assert short.side[r] == aggressor
            assert price == ladder[n], "a trade skipped a level"
            depth = r + 1  # the level's new size, right after its trade
            assert short.kind[depth] == D and short.price[depth] == price
            assert short.side[depth] == -aggressor
            assert short.qty[depth] == book[price] - size
            if n < len(trades) - 1:
                assert short.qty[depth] == 0, "walked on before taking a level out"
        walked += len(trades) > 1
    assert walked > 0, "no market order was larger than the touch"


def test_snapshots_restate_the_book_exactly(short: EventTable) -> None:
    restated = 0
    for m in messages(short):
        if m.kinds[0] != C:
            continue
        rows = list(m.rows)
        assert short.side[rows[0]] == 0
        snap = rows[1:]
        assert all(short.kind[r] == S for r in snap) and len(snap) == 2 * LEVELS
        levels = [(int(short.price[r]), int(short.qty[r])) for r in snap]
        assert [int(short.side[r]) for r in snap] == [1] * LEVELS + [-1] * LEVELS
        bids, asks = levels[:LEVELS], levels[LEVELS:]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
        if m.bids:  # the opening snapshot has nothing before it
            assert dict(bids) == m.bids and dict(asks) == m.asks
            restated += 1
    assert restated == 5  # at 10, 20, 30, 40 and 50 s


def test_feed_latency_keeps_local_order_and_the_configured_mean(short: EventTable) -> None:
    latency = (short.ts_local - short.ts_exchange) / 1e6
    assert latency.min() >= SHORT.feed_latency_ms - SHORT.feed_jitter_ms - 1e-6
    assert latency.mean() == pytest.approx(SHORT.feed_latency_ms, rel=0.05)
    assert local_order(short) is None  # a FIFO feed: local order is exchange order
    distinct = np.count_nonzero(np.diff(short.ts_exchange)) + 1
    assert distinct == short.stats["messages"]  # one message per timestamp


def test_realised_volatility_of_the_mid_matches_the_parameter(long: EventTable) -> None:
    step = 10 * 10**9  # 10-second returns: 359 of them, a 3.7 % standard error
    ts = long.ts_exchange.tolist()
    due = ts[0] + step
    mids = []
    for m in messages(long):
        if ts[m.rows[0]] >= due:  # the book before this message is the book at `due`
            mids.append((max(m.bids) + min(m.asks)) / 2)
            due += step
    realised = np.diff(np.log(mids)).std() * math.sqrt(SECONDS_PER_YEAR / 10)
    assert len(mids) == 359
    assert realised == pytest.approx(LONG.volatility, rel=0.15)


def test_event_counts_match_the_rates_and_the_rows(long: EventTable) -> None:
    events = long.stats["events"]
    for name, rate in (("limit", 40), ("cancel", 35), ("market", 5)):
        expected = rate * LONG.duration_s
        assert abs(events[name] - expected) < 4 * math.sqrt(expected), name
    # What the rows show: a message with trades is a market order; otherwise its first
    # row raises a level (a limit order) or lowers it (a cancel).
    seen = {"limit": 0, "cancel": 0, "market": 0}
    side, price, qty = long.side.tolist(), long.price.tolist(), long.qty.tolist()
    for m in messages(long):
        r = m.rows[0]
        if m.kinds[0] == C:
            continue
        if T in m.kinds:
            seen["market"] += 1
            continue
        book = m.bids if side[r] == 1 else m.asks
        seen["limit" if qty[r] > book.get(price[r], 0) else "cancel"] += 1
    assert seen == {
        "limit": events["limit"] - events["limit_behind_view"],
        "cancel": events["cancel"],
        "market": events["market"],
    }


def test_jumps_arrive_at_their_rate() -> None:
    table = generate(MarketParams(duration_s=600, jump_rate_per_hour=360, limit_rate=20,
                                  cancel_rate=15, market_rate=2))  # fmt: skip
    assert abs(table.stats["events"]["jumps"] - 60) < 4 * math.sqrt(60)
    validate_events(table)


def test_other_increments_stay_on_their_grid() -> None:
    params = MarketParams(duration_s=30, symbol="ETH-PERP", tick="0.25", lot="0.5",
                          start_price="2500.00", volatility=1.5)  # fmt: skip
    table = generate(params)
    validate_events(table)
    inst = table.instrument
    assert (inst.symbol, inst.base, inst.price_decimals, inst.size_decimals) == (
        "ETH-PERP", "ETH", 2, 1,
    )  # fmt: skip
    assert np.all(table.price[table.kind != C] % 25 == 0)
    assert np.all(table.qty % 5 == 0)
    first_bid = table.price[(table.kind == S) & (table.side == 1)][0]
    assert inst.price_str(int(first_bid)) == "2500"


@pytest.mark.parametrize(
    ("changes", "param", "words"),
    [
        ({"levels": 0}, "levels", "from 1"),
        ({"volatility": -0.1}, "volatility", "number between 0"),
        ({"tick": "abc"}, "tick", "positive decimal"),
        ({"start_price": "100.005"}, "start_price", "not a multiple of tick 0.01"),
        ({"start_price": "1.00"}, "start_price", "need at least"),
        ({"duration_s": 0}, "duration_s", "number between"),
        ({"feed_jitter_ms": 2.0}, "feed_jitter_ms", "between 0 and 1"),
        ({"market_rate": 200.0}, "market_rate", "limit orders bring"),
        ({"limit_rate": 0, "market_rate": 0}, "limit_rate", "must be positive"),
        ({"snapshot_every_s": 0.01}, "snapshot_every_s", "at least 1"),
        ({"seed": -1}, "seed", "integer"),
        ({"kind": "future"}, "kind", "spot, perp or equity"),
    ],
)
def test_invalid_params_name_the_parameter(
    changes: dict[str, object], param: str, words: str
) -> None:
    with pytest.raises(MarketParamsError) as caught:
        MarketParams(**changes)  # type: ignore[arg-type]
    assert caught.value.param == param
    message = str(caught.value)
    assert message.startswith(param) and words in message and "\n" not in message


def test_cli_writes_the_file_and_prints_one_paragraph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim.parquet"
    rc = main(["data", "simulate", "--out", str(out), "--seconds", "30", "--seed", "9",
               "--levels", "10", "--symbol", "XYZ-PERP", "--start-price", "50.00"])  # fmt: skip
    stdout, stderr = capsys.readouterr()
    assert rc == 0, stderr
    assert stdout.count("\n") == 1 and stdout.startswith(f"Wrote {out}: ")
    for part in ("XYZ-PERP@sim (perp, XYZ/USD): tick 0.01, lot 1", "TRADE ", "CLEAR 1, SNAPSHOT 20",
                 "2023-11-14 22:13:20.000000 → 2023-11-14 22:13:4", "Seed 9"):  # fmt: skip
        assert part in stdout, part
    table = read_events(out)
    assert table.stats["params"]["levels"] == 10 and table.stats["seed"] == 9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--levels", "0"], "--levels 0: expected an integer from 1"),
        (["--seconds", "soon"], "--seconds 'soon': expected a number"),
        (["--tick", "0.003"], "--start-price 100.00: not a multiple of tick 0.003"),
    ],
)
def test_cli_errors_are_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc = main(["data", "simulate", "--out", str(tmp_path / "x.parquet"), *args])
    _, stderr = capsys.readouterr()
    assert rc == 1
    assert stderr.count("\n") == 1 and stderr.startswith(f"falconet: error: {message}")
    assert not (tmp_path / "x.parquet").exists()
