"""The engine's PnL marked to market, one figure across every venue.

Each entry's trading since the engine started is cash flow (what its fills paid and
received, fees included) plus the position those fills built, valued at the current mid.
Inventory held before the start is not the engine's doing and does not count. Summed
over every entry of every venue this is the engine-wide PnL; its running peak gives the
drawdown and its value at UTC midnight the day's loss. Quote currencies are taken as
USD-equivalent (USD, USDC, USDT); entries quoted in anything else are left out of the
sum and listed, so the figure never silently mixes currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from falconet.core.events import Fill
from falconet.core.instrument import Instrument

NS_PER_DAY = 86_400 * 1_000_000_000
USD_LIKE = frozenset({"USD", "USDC", "USDT", "USDE", "USDH", "USDT0", "DAI"})
ZERO = Decimal(0)


@dataclass
class EntryPnL:
    instrument: Instrument
    cash: Decimal = ZERO  # quote received for sells, paid for buys, less fees
    position: int = 0  # size units bought less sold since the start
    fills: int = 0

    @property
    def usd_like(self) -> bool:
        return self.instrument.quote.upper().split(":")[0] in USD_LIKE

    def on_fill(self, fill: Fill) -> None:
        inst = self.instrument
        value = inst.notional(fill.price, fill.size)
        self.cash += -value if fill.side.sign > 0 else value
        self.position += fill.side.sign * fill.size
        self.fills += 1
        if fill.fee:
            if fill.fee_currency and fill.fee_currency != inst.quote:
                # a fee in the base asset: worth the fill's price per unit
                self.cash -= fill.fee * inst.price_decimal(fill.price)
            else:
                self.cash -= fill.fee

    def marked(self, mid: int | None) -> Decimal | None:
        """PnL at `mid`; None when the position cannot be valued (no mid)."""
        if self.position == 0:
            return self.cash
        if mid is None:
            return None
        return self.cash + self.instrument.notional(mid, abs(self.position)) * (
            1 if self.position > 0 else -1
        )


@dataclass
class Watermarks:
    """The engine-wide PnL's peak and its value at the start of the UTC day."""

    peak: Decimal | None = None
    day: int = -1
    day_start: Decimal = ZERO

    def update(self, pnl: Decimal, now_ns: int) -> tuple[Decimal, Decimal]:
        """(drawdown from the peak, loss since midnight), both ≥ 0."""
        day = now_ns // NS_PER_DAY
        if day != self.day:
            self.day, self.day_start = day, pnl
        if self.peak is None or pnl > self.peak:
            self.peak = pnl
        return self.peak - pnl, max(self.day_start - pnl, ZERO)
