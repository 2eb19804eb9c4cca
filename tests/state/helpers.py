"""Fills and orders for journal tests."""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.events import Fill

HYPE = "HYPE/USDC"
HYPE_ID = "HYPE/USDC@hyperliquid"
PRICE_DECIMALS = 4
SIZE_DECIMALS = 2


def fill(
    trade_id: str,
    *,
    side: Side = Side.BUY,
    price: int = 412300,  # 41.23
    size: int = 35,  # 0.35
    fee: str = "0",
    fee_currency: str = "",
    client_id: str = "0xfa010101000000000000000000000001",
    venue_order_id: str | None = "355883830672",
    ts: int = 1_780_000_000_000_000_000,
    instrument_id: str = HYPE_ID,
) -> Fill:
    return Fill(
        ts_exchange=ts,
        ts_local=ts + 1_000_000,
        instrument_id=instrument_id,
        client_id=client_id,
        venue_order_id=venue_order_id,
        trade_id=trade_id,
        side=side,
        price=price,
        size=size,
        fee=Decimal(fee),
        fee_currency=fee_currency,
    )
