"""A venue account may take its market data from another client than the one it trades
on (Alpaca's `data_feed`, a consolidated feed): the data client's books reach the
strategy, orders go to the execution client, both are connected and closed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from falconet.config.loader import parse_config_text
from falconet.core.enums import Rounding, Side
from falconet.core.events import BookSnapshot
from falconet.core.instrument import Instrument
from falconet.engine.engine import Engine
from falconet.engine.venue import Sink
from tests.engine.fakes import BTC, FakeVenue
from tests.engine.risk_script import Record, Script, Step, scripted
from tests.waiting import until


@dataclass
class FeedOnly:
    """A market-data client: books for what it is subscribed to, nothing else."""

    sink: Sink | None = None
    subscribed: list[str] = field(default_factory=list)
    connected: bool = False
    closed: bool = False

    def set_sink(self, sink: Sink) -> None:
        self.sink = sink

    async def connect(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.closed = True

    async def subscribe(self, instruments: Sequence[Instrument]) -> None:
        assert self.sink is not None
        for inst in instruments:
            self.subscribed.append(inst.id)
            self.sink(
                BookSnapshot(
                    ts_exchange=1, ts_local=1, instrument_id=inst.id,
                    bids=[(inst.price("60000"), inst.size("1"))],
                    asks=[(inst.price("60010"), inst.size("1"))],
                )
            )  # fmt: skip


async def test_books_from_the_data_client_orders_to_the_execution_client(
    monkeypatch: Any, tmp_path: Path
) -> None:
    doc = {"trading": [{"symbol": "BTC/USD", "exchange": "paper", "strategy": "Grid",
                        "qty": "0.001"}]}  # fmt: skip
    config = parse_config_text(json.dumps(doc), "<data client>")
    execution, feed = FakeVenue(), FeedOnly()
    record = Record()
    with scripted(
        monkeypatch, {"BTC/USD": lambda: Script([Step(Side.BUY, "0.001", "-1")], record)}
    ):
        engine = Engine(
            config, data_dir=tmp_path, venues={"paper": execution}, data_venues={"paper": feed}
        )
        try:
            await engine.start()
            await until(lambda: bool(execution.placed), 10, "the order sent")
        finally:
            await engine.stop()
    assert feed.connected and feed.subscribed == [BTC.id]
    [order] = execution.placed
    # priced 1 % under the data client's mid (60,005): the strategy read that book
    expected = BTC.round_price(BTC.price_decimal(BTC.price("60005")) * 99 / 100, Rounding.DOWN)
    assert order.price == expected
    assert execution.closed and feed.closed
