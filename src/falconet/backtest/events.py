"""Turns the kernel's order-event log into the core events strategies receive."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from falconet.backtest.context import SimContext
from falconet.core.enums import Liquidity, Side
from falconet.core.events import (
    Fill,
    OrderAccepted,
    OrderAmended,
    OrderAmendRejected,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderRejected,
)
from falconet.sim import layout as L
from falconet.sim.asset import SimAsset
from falconet.strategies.api import Strategy


class EventDecoder:
    """Reads new rows of one asset's event log and hands them to the strategy."""

    def __init__(
        self, asset: SimAsset, ctx: SimContext, on_fill: Callable[[Fill], None] | None = None
    ) -> None:
        self.asset = asset
        self.ctx = ctx
        self.on_fill = on_fill  # told of every fill first (the risk engine's PnL)
        self.cursor = 0
        inst = asset.instrument
        self._iid = inst.id
        self._tick = asset.tick_units
        self._base, self._quote = inst.base, inst.quote
        self._reason = asset.config.venue.reason
        self._kind = asset.config.venue.kind

    def deliver(self, strategy: Strategy) -> None:
        end = int(self.asset.S[L.S_NEV])
        if end == self.cursor:
            return
        rows = self.asset.EV[self.cursor : end].tolist()
        fees = self.asset.EVF[self.cursor : end].tolist()
        self.cursor = end
        for row, fee in zip(rows, fees, strict=True):
            if row[L.EV_KIND] == L.E_SENT:  # the strategy's own request, not news
                continue
            event = self.decode(row, fee)
            if isinstance(event, Fill):
                if self.on_fill is not None:
                    self.on_fill(event)
                strategy.on_fill(self.ctx, event)
            else:
                strategy.on_order(self.ctx, event)

    def decode(self, row: list[int], fee: list[float]) -> OrderEvent:
        kind = row[L.EV_KIND]
        cid = self.ctx.client_id(row[L.EV_ID], row[L.EV_INTENT], row[L.EV_LEVEL])
        base: dict[str, Any] = {
            "ts_exchange": row[L.EV_XTS],
            "ts_local": row[L.EV_TS],
            "instrument_id": self._iid,
            "client_id": cid,
            "venue_order_id": str(row[L.EV_ID]),
        }
        reason = self._reason(row[L.EV_REASON])
        why = self._kind(row[L.EV_REASON])
        if kind == L.E_FILL:
            side = Side.BUY if row[L.EV_SIDE] > 0 else Side.SELL
            base_fee = fee[L.EVF_FEE_BASE]
            return Fill(
                **base,
                trade_id=f"{row[L.EV_ID]}-{row[L.EV_XTS]}-{row[L.EV_LEAVES]}",
                side=side,
                price=row[L.EV_TICK] * self._tick,
                size=row[L.EV_QTY],
                fee=Decimal(repr(base_fee if base_fee else fee[L.EVF_FEE])),
                fee_currency=self._base if base_fee else self._quote,
                liquidity=Liquidity.MAKER if row[L.EV_MAKER] else Liquidity.TAKER,
            )
        if kind == L.E_ACCEPTED:
            return OrderAccepted(**base)
        if kind == L.E_REJECTED:
            return OrderRejected(**base, reason=reason, kind=why)
        if kind == L.E_EXPIRED:
            return OrderExpired(**base)
        if kind == L.E_CANCELED:
            return OrderCanceled(**base, reason=reason)
        if kind == L.E_CANCEL_REJECTED:
            return OrderCancelRejected(**base, reason=reason, kind=why)
        if kind == L.E_AMENDED:
            return OrderAmended(**base, price=row[L.EV_TICK] * self._tick, quantity=row[L.EV_QTY])
        return OrderAmendRejected(**base, reason=reason, kind=why)
