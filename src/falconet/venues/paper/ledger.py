"""The paper account: balances per asset moved exactly by every fill, and the amounts open
orders lock, so orders the account cannot pay for are refused as a venue would."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from falconet.core.enums import Side
from falconet.core.instrument import Instrument


@dataclass
class Ledger:
    balances: dict[str, Decimal] = field(default_factory=dict)

    def get(self, asset: str) -> Decimal:
        return self.balances.get(asset, Decimal(0))

    def apply_fill(self, inst: Instrument, side: Side, price: int, size: int, fee: Decimal) -> None:
        """Fees are charged in the quote currency."""
        value = inst.notional(price, size)
        qty = inst.size_decimal(size)
        sign = side.sign
        self.balances[inst.base] = self.get(inst.base) + sign * qty
        self.balances[inst.quote] = self.get(inst.quote) - sign * value - fee

    @staticmethod
    def locks(orders: list[tuple[Instrument, Side, int, int]]) -> dict[str, Decimal]:
        """What open orders (instrument, side, price, remaining size) commit, by asset."""
        out: dict[str, Decimal] = {}
        for inst, side, price, remaining in orders:
            if side is Side.BUY:
                out[inst.quote] = out.get(inst.quote, Decimal(0)) + inst.notional(price, remaining)
            else:
                out[inst.base] = out.get(inst.base, Decimal(0)) + inst.size_decimal(remaining)
        return out
