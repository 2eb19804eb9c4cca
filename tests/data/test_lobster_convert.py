"""LOBSTER pairs: every order-book row rebuilt exactly from the rows, executions as trades
with the aggressor opposite to the resting side, times in UTC."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from falconet.data.convert import ConvertError, convert
from falconet.data.format import EventKind

from .conftest import converted
from .helpers import check_contract, states_at

AMZN = "lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv.gz"
AAPL = "lobster/AAPL_2012-06-21_34200000_57600000_message_10.TRUNCATED_first999rows.csv.gz"


def load(path: Path) -> list[list[str]]:
    return [line.split(",") for line in gzip.decompress(path.read_bytes()).decode().splitlines()]


@pytest.mark.parametrize(("name", "levels"), [(AMZN, 1), (AAPL, 10)])
def test_rebuilt_book_reproduces_every_orderbook_row(
    shared_data: Path, name: str, levels: int
) -> None:
    table = converted("lobster", (shared_data / name,))
    check_contract(table)
    messages = load(shared_data / name)
    books = load(shared_data / name.replace("_message_", "_orderbook_"))
    midnight_utc = int(datetime(2012, 6, 21, 4, tzinfo=UTC).timestamp()) * 10**9  # EDT
    times = []
    for m in messages:
        whole, _, frac = m[0].partition(".")
        times.append(midnight_utc + int(whole) * 10**9 + int(frac.ljust(9, "0")))
    assert table.ts_exchange[0] == times[0]
    # several messages can share a time: compare with the last book row of each time
    last_of_time = [i for i in range(len(times)) if i + 1 == len(times) or times[i + 1] != times[i]]
    rebuilt = states_at(table, [times[i] for i in last_of_time], levels)
    for i, (bids, asks) in zip(last_of_time, rebuilt, strict=True):
        row = [int(x) for x in books[i]]
        want_asks = [(row[4 * k], row[4 * k + 1]) for k in range(levels) if row[4 * k + 1] > 0]
        want_bids = [(row[4 * k + 2], row[4 * k + 3]) for k in range(levels) if row[4 * k + 3] > 0]
        assert (bids, asks) == (want_bids, want_asks), i


def test_amzn_trades_and_counts(shared_data: Path) -> None:
    table = converted("lobster", (shared_data / AMZN,))
    stats = table.stats
    assert stats["message_types"] == {"1": 27_845, "2": 16, "3": 18_235, "4": 8_974, "5": 2_445}
    assert stats["halts"] == 0
    # 63 hidden executions printed between cents: dropped and counted with the 0.01 tick
    assert stats["dropped"]["trades_between_ticks"] == 63
    trades = table.kind == EventKind.TRADE
    assert int(trades.sum()) == 8_974 + 2_445 - 63
    inst = table.instrument
    assert (inst.id, inst.price_decimals, inst.price_str(100)) == ("AMZN@nasdaq", 4, "0.01")
    messages = load(shared_data / AMZN)
    executions = [m for m in messages if m[1] in ("4", "5") and int(m[4]) % 100 == 0]
    assert table.order_id[trades].tolist() == [int(m[2]) for m in executions]
    assert table.side[trades].tolist() == [-int(m[5]) for m in executions]  # aggressor
    assert table.price[trades].tolist() == [int(m[4]) for m in executions]
    assert np.array_equal(table.ts_local, table.ts_exchange)


def test_a_finer_tick_keeps_the_mid_point_executions(shared_data: Path) -> None:
    table = converted("lobster", (shared_data / AMZN,), tick="0.0001")
    assert table.counts()["TRADE"] == 8_974 + 2_445
    assert table.stats["dropped"]["trades_between_ticks"] == 0


def test_file_pairing_errors(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="one message file"):
        convert("lobster", [shared_data / AMZN.replace("_message_", "_orderbook_")])
    odd = tmp_path / "amzn_messages.csv"
    odd.write_text("1,2,3\n")
    with pytest.raises(ConvertError, match="one message file"):
        convert("lobster", [odd])
    alone = tmp_path / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
    alone.write_text("34200.1,1,1,1,100,1\n")
    with pytest.raises(ConvertError, match=r"no such file .*the order book of"):
        convert("lobster", [alone])


def test_base_latency_gives_sources_without_receive_time_a_local_clock(
    shared_data: Path,
) -> None:
    table = converted("lobster", (shared_data / AAPL,), base_latency_ns=250_000)
    assert set((table.ts_local - table.ts_exchange).tolist()) == {250_000}
    assert table.stats["local_time"] == {"receive_time": False, "base_latency_ns": 250_000}
