"""Orders as the venue holds them, and their wire shapes (openOrders, frontendOpenOrders,
orderUpdates, orderStatus)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from falconet.emulators.hyperliquid.numbers import wire


@dataclass
class Trigger:
    px: Decimal
    is_market: bool
    tpsl: str  # "tp" | "sl"


@dataclass
class VenueOrder:
    oid: int
    user: str
    coin: str
    asset: int
    is_buy: bool
    limit_px: Decimal
    sz: Decimal  # remaining
    orig_sz: Decimal
    timestamp: int  # ms
    tif: str | None  # "Gtc" | "Alo" | "Ioc"; None for trigger orders
    reduce_only: bool = False
    cloid: str | None = None
    trigger: Trigger | None = None
    filled_notional: Decimal = Decimal(0)

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"

    @property
    def filled(self) -> Decimal:
        return self.orig_sz - self.sz

    def basic(self) -> dict[str, Any]:
        """The `openOrders` row (plus cloid, which the venue adds when set)."""
        row: dict[str, Any] = {
            "coin": self.coin,
            "side": self.side,
            "limitPx": wire(self.limit_px),
            "sz": wire(self.sz),
            "oid": self.oid,
            "timestamp": self.timestamp,
            "origSz": wire(self.orig_sz),
        }
        if self.cloid is not None:
            row["cloid"] = self.cloid
        return row

    def frontend(self) -> dict[str, Any]:
        trig = self.trigger
        if trig is None:
            order_type, condition, trigger_px = "Limit", "N/A", "0.0"
        else:
            above = (trig.tpsl == "tp") != self.is_buy
            order_type = ("Take Profit" if trig.tpsl == "tp" else "Stop") + (
                " Market" if trig.is_market else " Limit"
            )
            word = "above" if above else "below"
            condition, trigger_px = f"Price {word} {wire(trig.px)}", wire(trig.px)
        return {
            "coin": self.coin,
            "side": self.side,
            "limitPx": wire(self.limit_px),
            "sz": wire(self.sz),
            "oid": self.oid,
            "timestamp": self.timestamp,
            "triggerCondition": condition,
            "isTrigger": trig is not None,
            "triggerPx": trigger_px,
            "children": [],
            "isPositionTpsl": False,
            "reduceOnly": self.reduce_only,
            "orderType": order_type,
            "origSz": wire(self.orig_sz),
            "tif": self.tif,
            "cloid": self.cloid,
        }

    def update(self, status: str, ts: int) -> dict[str, Any]:
        """An `orderUpdates` element."""
        order = {
            "coin": self.coin,
            "side": self.side,
            "limitPx": wire(self.limit_px),
            "sz": wire(self.sz),
            "oid": self.oid,
            "timestamp": self.timestamp,
            "origSz": wire(self.orig_sz),
        }
        if self.cloid is not None:
            order["cloid"] = self.cloid
        return {"order": order, "status": status, "statusTimestamp": ts}
