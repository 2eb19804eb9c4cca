"""The grid's persistent accumulation state and its JSON form.

Money and sizes are exact Decimals, written as plain decimal text so a file round-trips
without binary noise. The fill watermark is the venue timestamp of the newest fill that
was counted, plus the trade ids counted at that same instant (several fills can share a
timestamp): a restarted grid skips any replayed fill the watermark covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

STATE_VERSION = 1
WATERMARK_IDS_CAP = 100
SELL_BASIS_CAP = 500


class StateFormatError(ValueError):
    """A saved grid state that cannot be read."""


@dataclass
class GridState:
    reserved_base: Decimal = Decimal(0)  # accumulated coins, never sold by the grid
    accumulated_profit: Decimal = Decimal(0)  # quote, net of fees, not yet spent on base
    last_fill_ts: int | None = None  # watermark: ts_exchange of the newest counted fill
    last_fill_ids: list[str] = field(default_factory=list)  # trade ids at last_fill_ts
    last_buy_fill_price: Decimal | None = None
    last_buy_fill_qty: Decimal | None = None
    last_sell_fill_price: Decimal | None = None
    last_sell_fill_qty: Decimal | None = None
    # Each resting sell's cost basis (the buy fill it was pinned to), by client id.
    sell_basis: dict[str, Decimal] = field(default_factory=dict)
    # Lifetime totals of the fills counted: an audit trail that must match the journal's
    # fills of this grid (a fill counted twice or missed shows here).
    fills_counted: int = 0
    base_bought: Decimal = Decimal(0)
    base_sold: Decimal = Decimal(0)

    # --- watermark --------------------------------------------------------------------

    def covers(self, ts: int, trade_id: str) -> bool:
        """Whether a fill at `ts` with `trade_id` was already counted."""
        if self.last_fill_ts is None:
            return False
        return ts < self.last_fill_ts or (
            ts == self.last_fill_ts and trade_id in self.last_fill_ids
        )

    def advance(self, ts: int, trade_id: str) -> None:
        """Move the watermark past this fill (it never moves back)."""
        if self.last_fill_ts is None or ts > self.last_fill_ts:
            self.last_fill_ts = ts
            self.last_fill_ids = [trade_id]
        elif ts == self.last_fill_ts and trade_id not in self.last_fill_ids:
            self.last_fill_ids.append(trade_id)
            del self.last_fill_ids[:-WATERMARK_IDS_CAP]

    def count(self, buy: bool, size: Decimal) -> None:
        self.fills_counted += 1
        if buy:
            self.base_bought += size
        else:
            self.base_sold += size

    # --- sell cost basis ----------------------------------------------------------------

    def set_basis(self, client_id: str, price: Decimal) -> None:
        self.sell_basis[client_id] = price
        while len(self.sell_basis) > SELL_BASIS_CAP:
            del self.sell_basis[next(iter(self.sell_basis))]  # oldest first

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": STATE_VERSION,
            "reserved_base": _text(self.reserved_base),
            "accumulated_profit": _text(self.accumulated_profit),
            "fills_counted": self.fills_counted,
            "base_bought": _text(self.base_bought),
            "base_sold": _text(self.base_sold),
        }
        if self.last_fill_ts is not None:
            out["last_fill_ts"] = self.last_fill_ts
            out["last_fill_ids"] = list(self.last_fill_ids)
        for key in (
            "last_buy_fill_price",
            "last_buy_fill_qty",
            "last_sell_fill_price",
            "last_sell_fill_qty",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = _text(value)
        if self.sell_basis:
            out["sell_basis"] = {cid: _text(px) for cid, px in self.sell_basis.items()}
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> GridState:
        """Read a saved state; numbers may be JSON numbers (dio's files) or decimal text.
        Missing fields take their defaults; a malformed one raises StateFormatError."""
        if not isinstance(doc, dict):
            raise StateFormatError("grid state must be a JSON object")
        state = cls(
            reserved_base=_decimal(doc, "reserved_base") or Decimal(0),
            accumulated_profit=_decimal(doc, "accumulated_profit") or Decimal(0),
            last_buy_fill_price=_decimal(doc, "last_buy_fill_price"),
            last_buy_fill_qty=_decimal(doc, "last_buy_fill_qty"),
            last_sell_fill_price=_decimal(doc, "last_sell_fill_price"),
            last_sell_fill_qty=_decimal(doc, "last_sell_fill_qty"),
            base_bought=_decimal(doc, "base_bought") or Decimal(0),
            base_sold=_decimal(doc, "base_sold") or Decimal(0),
        )
        counted = doc.get("fills_counted", 0)
        if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
            raise StateFormatError(f"fills_counted must be a count, got {counted!r}")
        state.fills_counted = counted
        ts = doc.get("last_fill_ts")
        if ts is not None:
            if not isinstance(ts, int) or isinstance(ts, bool):
                raise StateFormatError(f"last_fill_ts must be an integer, got {ts!r}")
            ids = doc.get("last_fill_ids", [])
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise StateFormatError("last_fill_ids must be a list of strings")
            state.last_fill_ts = ts
            state.last_fill_ids = list(ids)[-WATERMARK_IDS_CAP:]
        basis = doc.get("sell_basis", {})
        if not isinstance(basis, dict):
            raise StateFormatError("sell_basis must be an object")
        for cid, px in basis.items():
            value = _decimal(basis, cid)
            if value is None or not isinstance(cid, str):
                raise StateFormatError(f"sell_basis[{cid!r}] must be a price, got {px!r}")
            state.set_basis(cid, value)
        return state


def _text(value: Decimal) -> str:
    return format(value, "f")


def _decimal(doc: dict[str, Any], key: str) -> Decimal | None:
    raw = doc.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise StateFormatError(f"{key} must be a number, got {raw!r}")
    try:
        # floats through their shortest repr: 0.15 means 0.15
        value = Decimal(raw) if isinstance(raw, str | int) else Decimal(repr(raw))
    except InvalidOperation:
        raise StateFormatError(f"{key} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise StateFormatError(f"{key} must be finite, got {raw!r}")
    return value
