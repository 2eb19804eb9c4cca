"""After a SIGKILL, every fill the journal acknowledged is on disk, and so is every order
queued before an acknowledged flush."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from falconet.core.enums import Side
from falconet.state import Journal

from .helpers import HYPE, PRICE_DECIMALS, SIZE_DECIMALS, fill

WRITER = """
import sys
from falconet.core.enums import Side, Venue
from falconet.core.ids import IdFormat, Intent, OrderTag, StrategyCode
from falconet.core.orders import Order
from falconet.state import Journal
from tests.state.helpers import HYPE, HYPE_ID, fill

journal = Journal(sys.argv[1])
ctx = dict(venue="hyperliquid", strategy="Grid", symbol=HYPE, price_decimals=4, size_decimals=2)
i = 0
while True:
    side = Side.BUY if i % 2 == 0 else Side.SELL
    if journal.record_fill(fill(f"t{i}", side=side, ts=1_000 + i), **ctx):
        print(f"fill t{i}", flush=True)
    tag = OrderTag(StrategyCode.GRID, Intent.GRID_BUY, seq=i)
    order = Order(client_id=tag.encode(IdFormat.HEX128), instrument_id=HYPE_ID,
                  side=Side.BUY, quantity=35, price=410000, ts_created=i)
    journal.record_order(order, **ctx)
    journal.record_event("tick", {"i": i}, strategy="Grid")
    if i % 25 == 24:
        journal.flush()
        print(f"orders {i + 1}", flush=True)
    i += 1
"""


def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=repo,
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if len(lines) >= 400:
                break
        else:  # the child died early
            raise AssertionError(child.stderr.read() if child.stderr else "no output")
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    lines += rest.split()
    assert child.returncode == -signal.SIGKILL
    acked_fills = {line.split()[1] for line in lines if line.startswith("fill ")}
    acked_orders = max(int(line.split()[1]) for line in lines if line.startswith("orders "))
    assert len(acked_fills) >= 300

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {row[0] for row in conn.execute("SELECT trade_id FROM fills")}
    assert acked_fills <= stored
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] >= acked_orders
    assert conn.execute("SELECT count(*) FROM strategy_events").fetchone()[0] >= acked_orders
    conn.close()

    # After the restart the replayed fills are all recognised: none is counted twice.
    with Journal(path) as journal:
        ctx = {
            "venue": "hyperliquid",
            "strategy": "Grid",
            "symbol": HYPE,
            "price_decimals": PRICE_DECIMALS,
            "size_decimals": SIZE_DECIMALS,
        }
        for trade_id in sorted(acked_fills):
            i = int(trade_id[1:])
            side = Side.BUY if i % 2 == 0 else Side.SELL
            assert journal.record_fill(fill(trade_id, side=side, ts=1_000 + i), **ctx) is False  # type: ignore[arg-type]
        assert len(journal.fills()) == len(stored)
