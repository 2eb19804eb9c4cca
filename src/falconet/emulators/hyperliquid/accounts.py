"""Accounts per address: spot balances, the perp margin account (USDC, positions,
leverage), fills, and the arithmetic of applying a fill."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from falconet.emulators.hyperliquid.numbers import wire

ZERO = Decimal(0)
USDC_Q = Decimal("0.000001")


@dataclass
class Position:
    szi: Decimal = ZERO  # signed size
    entry_px: Decimal = ZERO
    funding: Decimal = ZERO


@dataclass
class Account:
    address: str
    spot: dict[str, Decimal]
    usdc: Decimal  # perp account cash: deposits, realized pnl, fees
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, tuple[bool, int]] = field(default_factory=dict)  # coin -> (cross, x)
    fills: list[dict[str, Any]] = field(default_factory=list)
    cum_volume: Decimal = ZERO
    n_requests: int = 0
    dead_man_ms: int | None = None
    agents: dict[str, str] = field(default_factory=dict)  # agent address -> name
    ledger: list[dict[str, Any]] = field(default_factory=list)  # non-funding updates

    def position(self, coin: str) -> Position:
        return self.positions.setdefault(coin, Position())


@dataclass(frozen=True)
class FillResult:
    start_position: Decimal
    direction: str
    closed_pnl: Decimal
    fee: Decimal
    fee_token: str


def apply_perp_fill(
    acct: Account, coin: str, is_buy: bool, px: Decimal, sz: Decimal, rate: Decimal
) -> FillResult:
    pos = acct.position(coin)
    start = pos.szi
    delta = sz if is_buy else -sz
    fee = (px * sz * rate).quantize(USDC_Q)
    closed = ZERO
    if start == 0 or (start > 0) == is_buy:  # opening or adding
        new = start + delta
        pos.entry_px = (pos.entry_px * abs(start) + px * sz) / abs(new)
        pos.szi = new
    else:
        closing = min(sz, abs(start))
        sign = 1 if start > 0 else -1
        closed = ((px - pos.entry_px) * closing * sign).quantize(USDC_Q)
        pos.szi = start + delta
        if pos.szi == 0:
            pos.entry_px = ZERO
        elif (pos.szi > 0) != (start > 0):  # flipped: the rest opens at this price
            pos.entry_px = px
    acct.usdc += closed - fee
    acct.cum_volume += px * sz
    if pos.szi == 0:
        acct.positions.pop(coin, None)
    return FillResult(start, _direction(start, pos.szi, is_buy), closed, fee, "USDC")


def _direction(start: Decimal, end: Decimal, is_buy: bool) -> str:
    if start < 0 < end:
        return "Short > Long"
    if start > 0 > end:
        return "Long > Short"
    if is_buy:
        return "Close Short" if start < 0 else "Open Long"
    return "Close Long" if start > 0 else "Open Short"


def apply_spot_fill(
    acct: Account, base: str, quote: str, is_buy: bool, px: Decimal, sz: Decimal, rate: Decimal
) -> FillResult:
    """Buys pay the fee in the base token, sells in the quote token (as the venue does)."""
    start = acct.spot.get(base, ZERO)
    notional = px * sz
    if is_buy:
        fee = (sz * rate).quantize(Decimal("0.00000001"))
        acct.spot[base] = start + sz - fee
        acct.spot[quote] = acct.spot.get(quote, ZERO) - notional
        token = base
    else:
        fee = (notional * rate).quantize(Decimal("0.00000001"))
        acct.spot[base] = start - sz
        acct.spot[quote] = acct.spot.get(quote, ZERO) + notional - fee
        token = quote
    acct.cum_volume += notional
    return FillResult(start, "Buy" if is_buy else "Sell", ZERO, fee, token)


def margin_summary(
    acct: Account, mids: dict[str, Decimal], leverage_of: Callable[[str], tuple[bool, int]]
) -> tuple[dict[str, Any], list[dict[str, Any]], Decimal, Decimal]:
    """(marginSummary, assetPositions, account value, margin used)."""
    positions: list[dict[str, Any]] = []
    upnl_total = ntl_total = used_total = ZERO
    for coin, pos in sorted(acct.positions.items()):
        mark = mids.get(coin, pos.entry_px)
        cross, lev = leverage_of(coin)
        value = abs(pos.szi) * mark
        upnl = (mark - pos.entry_px) * pos.szi
        used = value / lev
        upnl_total += upnl
        ntl_total += value
        used_total += used
        leverage: dict[str, Any] = {"type": "cross" if cross else "isolated", "value": lev}
        if not cross:
            leverage["rawUsd"] = wire((-pos.szi * pos.entry_px + used).quantize(USDC_Q))
        positions.append(
            {
                "type": "oneWay",
                "position": {
                    "coin": coin,
                    "szi": wire(pos.szi),
                    "leverage": leverage,
                    "entryPx": wire(pos.entry_px.quantize(USDC_Q)),
                    "positionValue": wire(value.quantize(USDC_Q)),
                    "unrealizedPnl": wire(upnl.quantize(USDC_Q)),
                    "returnOnEquity": wire(
                        (upnl / used).quantize(Decimal("0.00000001")) if used else ZERO
                    ),
                    "liquidationPx": None,
                    "marginUsed": wire(used.quantize(USDC_Q)),
                    "maxLeverage": lev,
                    "cumFunding": {"allTime": "0.0", "sinceOpen": "0.0", "sinceChange": "0.0"},
                    "maxTradeSzs": ["0.0", "0.0"],
                },
            }
        )
    value = acct.usdc + upnl_total
    summary = {
        "accountValue": wire(value.quantize(USDC_Q)),
        "totalNtlPos": wire(ntl_total.quantize(USDC_Q)),
        "totalRawUsd": wire(
            (acct.usdc - sum((p.szi * mids.get(c, p.entry_px) for c, p in acct.positions.items()),
                             ZERO)).quantize(USDC_Q)
        ),
        "totalMarginUsed": wire(used_total.quantize(USDC_Q)),
    }  # fmt: skip
    return summary, positions, value, used_total
