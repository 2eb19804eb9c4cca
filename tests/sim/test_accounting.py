"""Fees (value, per-quantity, flat, IBKR tiered, base-currency), funding, determinism,
recorded latency and several instruments in one run."""

from __future__ import annotations

import numpy as np
import pytest

from falconet.backtest.runner import run_backtest
from falconet.core.enums import OrderType, Side, TimeInForce
from falconet.sim.models import FeeModel, Latency, LatencyModel
from falconet.strategies import make_strategy
from falconet.strategies.api import Context
from tests.sim.helpers import MS, T0, D, Script, book, config, market

BASE = book(0, bids=[(9999, 50)], asks=[(10001, 500)]) + [(900, D, 1, 9998, 4)]


def take(size: int):  # type: ignore[no-untyped-def]
    def act(ctx: Context) -> None:
        ctx.submit(Side.BUY, 10001, size, tif=TimeInForce.IOC)

    return act


@pytest.mark.parametrize(
    ("fees", "size", "expected"),
    [
        (FeeModel(0.0, 0.001, "value"), 10, 0.001 * 100.01 * 10),
        (FeeModel(0.0, 0.02, "qty"), 10, 0.02 * 10),
        (FeeModel(0.0, 1.5, "flat"), 10, 1.5),
        # IBKR tiered: max(0.35, min(0.0035 x shares, 1% of value))
        (FeeModel(kind="ibkr"), 10, 0.35),
        (FeeModel(kind="ibkr"), 300, 1.05),
    ],
)
def test_fee_models(fees: FeeModel, size: int, expected: float) -> None:
    s = Script(actions={0: take(size)})
    r = run_backtest([market(BASE)], [s], config(fees=fees)).results[0]
    assert float(s.fills[0].fee) == pytest.approx(expected)
    assert r.final_state()["fees"] == pytest.approx(expected)


def test_ibkr_commission_is_capped_at_one_percent_of_value() -> None:
    rows = book(0, bids=[(49, 5000)], asks=[(50, 5000)]) + [(900, D, 1, 48, 4)]
    s = Script(actions={0: lambda ctx: ctx.submit(Side.BUY, 50, 1000, tif=TimeInForce.IOC)})
    run_backtest([market(rows)], [s], config(fees=FeeModel(kind="ibkr")))
    # 1000 shares at $0.50: 0.0035 x 1000 = 3.50 but 1% of $500 = 5.00 -> 3.50
    assert float(s.fills[0].fee) == pytest.approx(3.5)


def test_buy_fees_in_base_reduce_the_position_received() -> None:
    s = Script(actions={0: take(10)})
    r = run_backtest(
        [market(BASE)], [s], config(fees=FeeModel(0.0, 0.001, "value", base_on_buy=True))
    ).results[0]
    fill = s.fills[0]
    assert fill.fee_currency == "TEST" and float(fill.fee) == pytest.approx(0.01)
    assert r.final_state()["position"] == pytest.approx(10 - 0.01)
    assert r.final_state()["fees"] == 0.0


def test_funding_is_paid_on_the_position_at_the_mid() -> None:
    funding = np.array([[T0 + 500 * MS, int(0.0001 * 1e12)]], dtype=np.int64)
    s = Script(actions={0: take(10)})
    r = run_backtest([market(BASE)], [s], config(fees=FeeModel(), funding=funding)).results[0]
    assert r.final_state()["funding"] == pytest.approx(10 * 100.00 * 0.0001)
    assert r.final_state()["balance"] == pytest.approx(-100.01 * 10 - 0.1)


def test_recorded_latency_is_interpolated_per_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latency.csv"
    # requests at 0 and 1 s: entry 5 ms then 25 ms, response 5 ms then 15 ms
    path.write_text(
        f"{T0},{T0 + 5 * MS},{T0 + 10 * MS}\n{T0 + 1000 * MS},{T0 + 1025 * MS},{T0 + 1040 * MS}\n"
    )
    lat = Latency.from_recording(path)
    s = Script(actions={4: lambda ctx: ctx.submit(Side.BUY, 9990, 1)})  # sent at 500 ms
    run_backtest([market(BASE)], [s], config(latency=LatencyModel(lat, lat, lat)))
    ack = s.orders[0]
    assert ack.ts_exchange == T0 + 515 * MS  # entry 15 ms, read at the request time
    # the response latency is read at the venue's time: 5 + 10 x 0.515 ms
    assert ack.ts_local == T0 + 515 * MS + 10_150_000


def test_a_recorded_rejection_answers_without_reaching_the_venue(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latency.csv"
    path.write_text(f"{T0},0,{T0 + 30 * MS}\n")  # exchange ts 0: the venue refused it
    lat = Latency.from_recording(path)
    s = Script(actions={0: lambda ctx: ctx.submit(Side.BUY, 9990, 1)})
    run_backtest([market(BASE)], [s], config(latency=LatencyModel(lat, lat, lat)))
    assert s.kinds() == ["OrderRejected"]
    assert s.orders[0].ts_local == T0 + 130 * MS


def test_two_instruments_run_on_one_timeline() -> None:
    a, b = Script(actions={0: take(2)}), Script(actions={1: take(3)})
    run = run_backtest([market(BASE), market(BASE)], [a, b], config())
    assert [r.final_state()["position"] for r in run.results] == [2, 3]
    assert len(a.seen) == len(b.seen) == 9


def test_same_inputs_give_identical_event_logs() -> None:
    rows = BASE[:-1] + [(i * 7.0, D, 1, 9999, 40 + i % 9) for i in range(1, 120)]
    rows += [(i * 7.0 + 3, 2, -1, 9999, 3) for i in range(1, 120)]
    rows.sort(key=lambda r: r[0])
    outs = []
    for _ in range(2):
        table = market(rows)
        run = run_backtest(
            [table], [make_strategy("hbt-grid", ["levels=3"], table.instrument)], config()
        )
        r = run.results[0]
        outs.append((r.events.tobytes(), r.event_fees.tobytes(), r.records.tobytes()))
    assert outs[0] == outs[1]


def test_market_order_on_an_empty_side_is_rejected() -> None:
    rows = book(0, bids=[(9999, 5)], asks=[]) + [(900, D, 1, 9998, 4)]
    s = Script(actions={0: lambda ctx: ctx.submit(Side.BUY, None, 1, order_type=OrderType.MARKET)})
    run_backtest([market(rows)], [s], config())
    assert s.kinds() == ["OrderRejected"]
