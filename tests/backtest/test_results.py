"""Tables and PnL of finished runs: hand-built logs, and tiny runs whose PnL is known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from falconet.backtest.results import analyze, summary
from falconet.backtest.runner import BacktestRun, run_backtest
from falconet.backtest.tables import STATUS_NAMES, fills_table, orders_table
from falconet.sim import layout
from falconet.sim.models import FeeModel
from tests.backtest.helpers import BOOKS, MS, T0, Script, config, market, script, tiny_run

# --- hand-built event logs -------------------------------------------------------------------


def ev_row(ts: int, oid: int, kind: int, side: int, tick: int, qty: int, leaves: int) -> list[int]:
    row = [0] * layout.EV_NF
    row[layout.EV_TS], row[layout.EV_XTS] = ts, ts - 5
    row[layout.EV_ID], row[layout.EV_KIND], row[layout.EV_SIDE] = oid, kind, side
    row[layout.EV_TICK], row[layout.EV_QTY], row[layout.EV_LEAVES] = tick, qty, leaves
    row[layout.EV_MAKER] = int(kind == layout.E_FILL)
    return row


ACC, FILL, CXL = layout.E_ACCEPTED, layout.E_FILL, layout.E_CANCELED
LOG = [
    ev_row(10, 1, ACC, 1, 100, 3, 3),
    ev_row(11, 2, ACC, -1, 105, 1, 1),
    ev_row(12, 3, layout.E_EXPIRED, 1, 106, 1, 0),
    ev_row(13, 4, ACC, 1, 99, 2, 2),
    ev_row(20, 1, FILL, 1, 100, 1, 2),
    ev_row(21, 4, layout.E_AMENDED, 1, 98, 2, 2),
    ev_row(22, 2, layout.E_CANCEL_REJECTED, -1, 105, 1, 1),
    ev_row(30, 1, FILL, 1, 100, 2, 0),
    ev_row(31, 4, FILL, 1, 98, 1, 1),
    ev_row(40, 2, CXL, -1, 105, 1, 0),
    ev_row(50, 5, FILL, -1, 104, 2, 0),  # an order seen only through its fill
]


def test_orders_table_final_status_and_fills() -> None:
    o = orders_table(np.array(LOG, dtype=np.int64))
    status = [STATUS_NAMES[s] for s in o.status.tolist()]
    assert o.order_id.tolist() == [1, 2, 3, 4, 5]
    assert status == ["filled", "canceled", "expired", "partially_filled", "filled"]
    assert o.filled.tolist() == [3, 0, 0, 1, 2]
    assert o.tick.tolist() == [100, 105, 106, 98, 104]  # amended price; fill price for #5
    assert o.first_ts.tolist() == [10, 11, 12, 13, 50]
    assert o.last_ts.tolist() == [30, 40, 12, 31, 50]
    assert o.events.tolist() == [3, 3, 1, 3, 1]


def test_fills_table_prices_fees_and_average_cost() -> None:
    ev = np.array(LOG, dtype=np.int64)
    fees = np.zeros((ev.shape[0], 2))
    fees[ev[:, layout.EV_KIND] == FILL, 0] = [-0.01, -0.02, 0.03, 0.5]
    f = fills_table(ev, fees, tick=0.5, unit=1.0)
    assert f.price.tolist() == [50.0, 50.0, 49.0, 52.0]
    assert f.position.tolist() == [1.0, 3.0, 4.0, 2.0]
    # buys 3 @ 50 and 1 @ 49 -> avg 49.75; sell 2 @ 52 realizes 2 x 2.25
    assert f.realized.tolist() == pytest.approx([0, 0, 0, 4.5])
    assert f.fee_value.tolist() == pytest.approx([-0.01, -0.02, 0.03, 0.5])
    assert f.maker.tolist() == [True, True, True, True]


# --- tiny runs -------------------------------------------------------------------------------

FUNDING = np.array([[T0 + 2500 * MS, 100_000_000]], dtype=np.int64)  # 1e-4 at t = 2.5 s
CONFIGS: dict[str, dict[str, object]] = {
    "plain": {},
    "contract-and-funding": {"contract_size": 2.0, "funding": FUNDING},
    "fees-in-base": {"fees": FeeModel(-0.0001, 0.0005, base_on_buy=True)},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pnl_identity_reconciles_with_the_simulator(name: str) -> None:
    run = run_backtest([market(BOOKS)], [script()], config(**CONFIGS[name]))
    ir = analyze(run).instruments[0]
    p = ir.pnl
    final = run.results[0].final_state()
    assert p.equity_start == 0.0
    assert p.equity_end == pytest.approx(final["equity"], abs=1e-12)
    assert p.equity_change == pytest.approx(
        p.realized + p.unrealized - p.fees + p.funding, abs=1e-9
    )
    assert abs(p.residual) < 1e-9
    if name == "contract-and-funding":
        assert p.funding < 0  # a long position paid a positive rate
        assert p.funding == -final["funding"]


def test_average_cost_pnl_of_a_scripted_run() -> None:
    ir = analyze(tiny_run()).instruments[0]
    rows = ir.fill_rows()
    assert [(r["side"], r["price"], r["size"]) for r in rows] == [
        ("buy", "100.01", "2"),
        ("buy", "101.01", "1"),
        ("sell", "102", "2"),
    ]
    assert {r["liquidity"] for r in rows} == {"taker"}
    assert {r["fee_currency"] for r in rows} == {"USD"}
    avg = (2 * 100.01 + 101.01) / 3
    p = ir.pnl
    assert p.avg_cost == pytest.approx(avg)
    assert p.realized == pytest.approx(2 * (102.00 - avg))
    assert rows[2]["realized_pnl"] == pytest.approx(2 * (102.00 - avg))
    assert p.unrealized == pytest.approx(101.505 - avg)
    fees = 0.0005 * (200.02 + 101.01 + 204.00)
    assert p.fees == pytest.approx(fees) and p.fees_paid == pytest.approx(fees)
    assert p.rebates == 0.0
    assert p.equity_end == pytest.approx(-200.02 - 101.01 + 204.00 + 101.505 - fees)
    orders = {r["client_id"]: r for r in ir.order_rows()}
    assert [r["status"] for r in orders.values()] == [
        "filled",
        "open",
        "canceled",
        "filled",
        "filled",
    ]
    rest = orders["fn.manual.quote.3.2"]
    assert (rest["side"], rest["price"], rest["size"], rest["filled"]) == ("buy", "90", "1", "0")


def test_equity_curve_ends_with_the_final_account() -> None:
    run = tiny_run()
    curve = analyze(run).instruments[0].equity
    assert curve.ts[0] == T0  # the data's first event: the account is empty then
    assert curve.equity[0] == 0.0
    assert np.all(np.diff(curve.ts) >= 0)
    assert curve.equity[-1] == run.results[0].final_state()["equity"]
    assert curve.position[-1] == 1.0


def test_summary_is_json_and_deterministic() -> None:
    first = json.dumps(summary(tiny_run()), sort_keys=True, allow_nan=False)
    second = json.dumps(summary(tiny_run()), sort_keys=True, allow_nan=False)
    assert first == second  # a new run of the same inputs: wall time is not in the summary
    s = json.loads(first)
    inst = s["instruments"][0]
    assert inst["counters"] | {"steps": 0} == {
        "steps": 0,
        "submits": 5,
        "cancels": 1,
        "amends": 0,
        "fills": 3,
        "rejects": 0,
        "errors": 0,
    }
    assert inst["position"]["final"] == "1"
    assert inst["activity"]["volume"] == "5"
    assert inst["activity"]["fill_ratio"] == 0.6
    assert inst["activity"]["maker_share"] == 0.0
    assert inst["orders"]["open"] == 1 and inst["orders"]["canceled"] == 1
    assert inst["inventory"] == {"min": 0.0, "max": 3.0, "mean_abs": pytest.approx(5.68 / 3)}
    assert inst["risk"]["sharpe"] is None  # a 3 s run has no full 1-minute interval
    assert s["total"]["pnl"] == inst["pnl"]


def test_totals_sum_instruments() -> None:
    tables = [market(BOOKS, "AAA"), market(BOOKS, "BBB")]
    run = run_backtest(tables, [script(), script()], config(contract_size=2.0))
    s = summary(run)
    a, b = (i["pnl"] for i in s["instruments"])
    assert [i["name"] for i in s["instruments"]] == ["AAA@sim", "BBB@sim"]
    assert s["total"]["currency"] == "USD"
    assert s["total"]["pnl"]["realized"] == pytest.approx(a["realized"] + b["realized"])
    assert s["total"]["pnl"]["equity_end"] == pytest.approx(a["equity_end"] + b["equity_end"])
    assert s["total"]["counters"]["fills"] == 6


@pytest.mark.shared_data
def test_grid_run_on_the_synthetic_market(grid_run: BacktestRun) -> None:
    ir = analyze(grid_run).instruments[0]
    assert len(ir.fills) == 45_596
    assert ir.position_units == -14
    assert ir.pnl.equity_end == pytest.approx(332.807216, abs=1e-6)
    assert abs(ir.pnl.residual) < 1e-6
    assert ir.pnl.fees == pytest.approx(ir.pnl.rebates)  # all maker: only rebates
    s = summary(grid_run)["instruments"][0]
    assert s["activity"]["maker_share"] == 1.0
    assert s["counters"]["fills"] == 45_596
    assert s["risk"]["intervals"] == 59  # whole minutes in the hour of data


def test_a_run_without_trades() -> None:
    idle = Script({})
    run = run_backtest([market(BOOKS)], [idle], config())
    s = json.loads(json.dumps(summary(run), allow_nan=False))["instruments"][0]
    assert s["pnl"]["equity_change"] == 0.0 and s["pnl"]["realized"] == 0.0
    assert s["activity"]["fill_ratio"] is None  # no submits: undefined, not zero
    assert s["activity"]["maker_share"] is None
    assert s["drawdown"]["max"] == 0.0 and s["drawdown"]["peak"]["ns"] is None
    assert s["inventory"] == {"min": 0.0, "max": 0.0, "mean_abs": 0.0}
    assert s["orders"]["count"] == 0
