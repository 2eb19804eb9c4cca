"""Events carry both timestamps and survive the journal's encoding exactly."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from falconet.core.enums import Liquidity, Side
from falconet.core.events import BookDelta, Event, Fill, Trade


def test_events_round_trip_through_json_exactly() -> None:
    fill = Fill(
        ts_exchange=1_723_161_256_299_000_000,
        ts_local=1_723_161_255_030_314_667,
        instrument_id="HYPE/USDC@hyperliquid",
        client_id="0xfa010102000300000019343",
        trade_id="t-1",
        side=Side.BUY,
        price=25_123,
        size=35,
        fee=Decimal("0.000035"),
        fee_currency="HYPE",
        liquidity=Liquidity.MAKER,
    )
    back = msgspec.json.decode(msgspec.json.encode(fill), type=Fill)
    assert back == fill
    assert back.fee == Decimal("0.000035")


def _leaf_events(cls: type) -> list[type]:
    subs = cls.__subclasses__()
    return [c for s in subs for c in _leaf_events(s)] if subs else [cls]


@pytest.mark.parametrize("cls", _leaf_events(Event), ids=lambda c: c.__name__)
def test_every_event_kind_requires_both_timestamps(cls: type) -> None:
    with pytest.raises(TypeError, match="ts_"):
        cls()


def test_events_are_immutable() -> None:
    t = Trade(ts_exchange=1, ts_local=2, instrument_id="X", price=1, size=1, aggressor=None)
    with pytest.raises(AttributeError):
        t.price = 2  # type: ignore[misc]
    d = BookDelta(ts_exchange=1, ts_local=2, instrument_id="X", bids=[(1, 0)], asks=[])
    assert d.seq is None and d.prev_seq is None
