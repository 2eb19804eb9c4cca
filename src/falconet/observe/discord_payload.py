"""Discord webhook messages for fills: what one fill or a batch of fills looks like.

One fill is one embed titled `"<SYMBOL> - <SIDE> @ $<price>"`, green for a buy and red
for a sell, with six inline fields and the fill's time. Several fills (at most ten) are
one blue embed titled `"<N> Order Fills — <venues>"` with one field per fill, stamped
with the time of sending. Numbers are formatted as the reference engine formats its
floats (`%.8g` amounts, `$%.4f` prices, `$%.2f` values): this is display text only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from falconet.core.enums import Side
from falconet.core.events import Fill
from falconet.core.fixed import to_decimal

BUY_COLOR = 0x2ECC71
SELL_COLOR = 0xE74C3C
BATCH_COLOR = 0x3498DB
BUY_MARK = "\U0001f7e2"  # green circle
SELL_MARK = "\U0001f534"  # red circle
MAX_FILLS_PER_MESSAGE = 10


@dataclass(frozen=True, slots=True)
class FillInfo:
    """A fill as the notification shows it. `timestamp`: Unix seconds (UTC)."""

    venue: str
    symbol: str
    side: Side
    amount: Decimal
    fill_price: Decimal
    fee: Decimal
    timestamp: float
    order_id: str
    trade_id: str

    @property
    def value(self) -> Decimal:
        return self.amount * self.fill_price

    @property
    def dedup_key(self) -> tuple[str, str]:
        return (self.order_id, self.trade_id)

    @classmethod
    def from_fill(
        cls,
        fill: Fill,
        *,
        venue: str | Enum,
        symbol: str,
        price_decimals: int,
        size_decimals: int,
        fee_rate: Decimal | None = None,
    ) -> FillInfo:
        """From an engine fill. The fee is the venue's when it reports one (a fee in the
        base asset valued at the fill price), else `value × fee_rate` as an estimate."""
        amount = to_decimal(fill.size, size_decimals)
        price = to_decimal(fill.price, price_decimals)
        fee = fill.fee
        base = symbol.split("/", 1)[0]
        if fee and fill.fee_currency and fill.fee_currency.upper() == base.upper():
            fee = fee * price
        elif not fee and fee_rate is not None:
            fee = amount * price * fee_rate
        return cls(
            venue=str(venue.value) if isinstance(venue, Enum) else venue,
            symbol=symbol,
            side=fill.side,
            amount=amount,
            fill_price=price,
            fee=fee,
            timestamp=fill.ts_exchange / 1e9,
            order_id=fill.venue_order_id or fill.client_id,
            trade_id=fill.trade_id,
        )


def iso_utc(timestamp: float) -> str:
    """ISO-8601 in UTC with milliseconds, as Discord's embed timestamp takes it."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _amount(value: Decimal) -> str:
    return f"{float(value):.8g}"  # C's %.8g


def _usd(value: Decimal, decimals: int) -> str:
    return f"${float(value):.{decimals}f}"


def single_embed(fill: FillInfo) -> dict[str, Any]:
    side = fill.side.value.upper()

    def field(name: str, value: str) -> dict[str, Any]:
        return {"name": name, "value": value, "inline": True}

    return {
        "title": f"{fill.symbol} - {side} @ {_usd(fill.fill_price, 4)}",
        "color": BUY_COLOR if fill.side is Side.BUY else SELL_COLOR,
        "fields": [
            field("Exchange", fill.venue),
            field("Pair", fill.symbol),
            field("Side", side),
            field("Amount", _amount(fill.amount)),
            field("Fill Price", _usd(fill.fill_price, 4)),
            field("Value", _usd(fill.value, 2)),
        ],
        "timestamp": iso_utc(fill.timestamp),
    }


def batch_embed(fills: Sequence[FillInfo], now: float) -> dict[str, Any]:
    venues = ", ".join(dict.fromkeys(f.venue for f in fills))
    fields = []
    for fill in fills:
        mark = BUY_MARK if fill.side is Side.BUY else SELL_MARK
        lines = [
            f"Exchange: {fill.venue}",
            f"Amount: {_amount(fill.amount)}",
            f"Price: {_usd(fill.fill_price, 4)}",
            f"Value: {_usd(fill.value, 2)}",
            f"Fee: {_usd(fill.fee, 4)}",
        ]
        name = f"{mark} {fill.side.value.upper()} {fill.symbol}"
        fields.append({"name": name, "value": "\n".join(lines), "inline": True})
    return {
        "title": f"{len(fills)} Order Fills — {venues}",
        "color": BATCH_COLOR,
        "fields": fields,
        "timestamp": iso_utc(now),
    }


def webhook_payload(fills: Sequence[FillInfo], now: float) -> dict[str, Any]:
    """The POST body for one to ten fills."""
    if not 1 <= len(fills) <= MAX_FILLS_PER_MESSAGE:
        raise ValueError(f"a message holds 1 to {MAX_FILLS_PER_MESSAGE} fills, not {len(fills)}")
    embed = single_embed(fills[0]) if len(fills) == 1 else batch_embed(fills, now)
    return {"embeds": [embed]}


def batches(fills: Sequence[FillInfo]) -> list[list[FillInfo]]:
    size = MAX_FILLS_PER_MESSAGE
    return [list(fills[i : i + size]) for i in range(0, len(fills), size)]
