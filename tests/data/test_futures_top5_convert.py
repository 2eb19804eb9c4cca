"""Top-5 gold futures: every quote row's book state rebuilt exactly from the rows, the whole
trade tape with the vendor's side convention, trades ahead of book changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from falconet.data.convert import ConvertError, convert
from falconet.data.format import BUY, SELL, EventKind

from .conftest import converted
from .helpers import check_contract, states_at

DIR = "l2/futures_top5"
QUOTES = "xauusd_28june_quotes_0501.parquet"
TRADES = "xauusd_28june_trades_0501.parquet"


@pytest.fixture(scope="module")
def table(shared_data: Path):  # type: ignore[no-untyped-def]
    return converted("futures-top5", (shared_data / DIR / QUOTES, shared_data / DIR / TRADES))


def test_rows_and_instrument(table) -> None:  # type: ignore[no-untyped-def]
    counts = table.counts()
    assert counts == {"DEPTH": 579_462, "TRADE": 88_646, "CLEAR": 1, "SNAPSHOT": 10, "BBO": 0}
    assert table.stats["crossed_or_locked_quote_rows"] == 198
    assert table.stats["unchanged_quote_rows"] == 45_530
    inst = table.instrument
    assert (str(inst.venue), inst.symbol, inst.price_decimals, inst.lot) == (
        "comex",
        "XAUUSD",
        1,
        1,
    )
    assert np.array_equal(table.ts_local, table.ts_exchange)  # no receive time
    check_contract(table)


def test_trade_sides_follow_the_vendor_convention(table) -> None:  # type: ignore[no-untyped-def]
    trades = table.kind == EventKind.TRADE
    # B: the bid was hit (44,926 sell aggressors); O: the offer was lifted (43,720 buys)
    assert int((table.side[trades] == SELL).sum()) == 44_926
    assert int((table.side[trades] == BUY).sum()) == 43_720
    assert int(table.qty[trades].sum()) > 0


def test_trades_come_before_book_changes_at_the_same_time(table) -> None:  # type: ignore[no-untyped-def]
    ts, kind = table.ts_exchange, table.kind
    same_time = np.flatnonzero(ts[1:] == ts[:-1])
    # no trade right after a non-trade row of the same timestamp
    assert not (
        (kind[same_time] != EventKind.TRADE) & (kind[same_time + 1] == EventKind.TRADE)
    ).any()


def test_rebuilt_book_reproduces_every_quote_row(shared_data: Path, table) -> None:  # type: ignore[no-untyped-def]
    q = pq.read_table(shared_data / DIR / QUOTES)
    times = q.column("transact_time").cast("timestamp[ns]").to_numpy().astype(np.int64)

    def ints(name: str, scale: int) -> np.ndarray:
        return np.rint(q.column(name).to_numpy() * scale).astype(np.int64)

    bp = np.column_stack([ints(f"bid_price_{k}", 10) for k in range(5)]).tolist()
    bq = np.column_stack([ints(f"bid_quantity_{k}", 1) for k in range(5)]).tolist()
    ap = np.column_stack([ints(f"offer_price_{k}", 10) for k in range(5)]).tolist()
    aq = np.column_stack([ints(f"offer_quantity_{k}", 1) for k in range(5)]).tolist()
    for i, (bids, asks) in enumerate(states_at(table, times.tolist(), 5)):
        assert bids == list(zip(bp[i], bq[i], strict=True)), i
        assert asks == list(zip(ap[i], aq[i], strict=True)), i


def test_needs_one_quotes_and_one_trades_file(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="one quotes file and one trades file"):
        convert("futures-top5", [shared_data / DIR / QUOTES])
    fake = tmp_path / "gold_quotes.parquet"
    fake.write_text("not parquet")
    with pytest.raises(ConvertError, match=r"gold_quotes\.parquet: not a Parquet file"):
        convert("futures-top5", [fake, shared_data / DIR / TRADES])
    with pytest.raises(ConvertError, match="missing columns bid_price_0"):
        trades_as_quotes = _renamed(shared_data / DIR / TRADES, tmp_path / "t_quotes.parquet")
        convert("futures-top5", [trades_as_quotes, shared_data / DIR / TRADES])


def _renamed(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst
