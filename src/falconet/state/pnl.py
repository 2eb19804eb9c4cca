"""Realized PnL per asset with the average-cost method, in exact decimals.

Conventions (all amounts in the quote currency):

- A fill that opens or grows a position moves the average cost to the size-weighted
  mean of the old cost and the fill price. The fill's fee is part of the cost: it raises
  the average cost of a long (buy fee) and lowers the average entry of a short (sell
  fee). Nothing is realized.
- A fill that reduces a position realizes `(price − avg) × size − fee` for a long being
  sold, `(avg − price) × size − fee` for a short being bought back. The average cost of
  what remains does not change.
- A fill that crosses zero closes the old position and opens the rest at the fill price;
  its fee is split between the two parts in proportion to size.
- Positive PnL is profit. A fee is positive when paid and negative when it is a rebate,
  so rebates add to PnL. A fee charged in the base asset is valued at the fill price.

So over a round trip that ends flat, realized PnL = sell proceeds − buy cost − every fee.
Positions are kept per (venue, symbol): the same symbol on two venues is two positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

from falconet.core.enums import Side

# Average costs are quotients; 34 digits (decimal128) keeps them exact to far below any
# venue's precision.
_CTX = Context(prec=34)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PnlFill:
    """What the average-cost method needs of one fill."""

    venue: str
    symbol: str
    side: Side
    price: Decimal
    size: Decimal
    fee: Decimal
    fee_currency: str
    ts_ns: int


@dataclass(frozen=True, slots=True)
class AssetPnl:
    venue: str
    symbol: str
    fills: int  # counted fills (those at or after `since`)
    bought: Decimal  # base bought / sold by those fills
    sold: Decimal
    fees: Decimal  # quote value of their fees
    realized: Decimal  # PnL they realized
    position: Decimal  # signed position after every fill (whole history)
    avg_cost: Decimal | None  # of that position; None when flat


def base_asset(symbol: str) -> str:
    for sep in ("/", "-"):
        if sep in symbol:
            return symbol.split(sep, 1)[0]
    return ""


def _fee_in_base(fill: PnlFill) -> bool:
    base = base_asset(fill.symbol)
    return bool(base) and fill.fee_currency.upper() == base.upper()


def fee_in_quote(fill: PnlFill) -> Decimal:
    """The fee in the quote currency (call inside the 34-digit context)."""
    base = base_asset(fill.symbol)
    if base and fill.fee_currency.upper() == base.upper():
        return fill.fee * fill.price
    return fill.fee


class _Position:
    # The cost basis is kept as a total, not an average, so a position closed in full
    # realizes an exact result; only partial closes divide.
    __slots__ = ("bought", "cost", "count", "fees", "qty", "realized", "sold")

    def __init__(self) -> None:
        self.qty = ZERO  # signed
        self.cost = ZERO  # long: paid incl. fees; short: received net of fees
        self.count = 0
        self.bought = ZERO
        self.sold = ZERO
        self.fees = ZERO
        self.realized = ZERO

    @property
    def avg(self) -> Decimal | None:
        return self.cost / abs(self.qty) if self.qty else None

    def apply(self, fill: PnlFill, counted: bool) -> None:
        fee = fee_in_quote(fill)
        buy = fill.side is Side.BUY
        size, value_all, cash_fee = fill.size, fill.price * fill.size, fee
        if buy and fee and _fee_in_base(fill) and fill.size > fill.fee:
            # The fee is coins not received: the buy is of (size - fee) coins for the
            # whole price, so the position is what the account holds.
            size, cash_fee = fill.size - fill.fee, ZERO
        realized = ZERO
        if self.qty == 0 or (self.qty > 0) == buy:
            self._open(value_all, size, cash_fee, buy)
        else:
            held = abs(self.qty)
            closing = min(held, size)
            closing_fee = cash_fee if closing == size else cash_fee * closing / size
            basis = self.cost if closing == held else self.cost * closing / held
            value = value_all if closing == size else value_all * closing / size
            # long sold: value received - basis; short bought back: basis - value paid
            realized = (basis - value if buy else value - basis) - closing_fee
            self.cost -= basis
            self.qty += closing if buy else -closing
            if size > closing:
                self._open(value_all - value, size - closing, cash_fee - closing_fee, buy)
        if counted:
            self.count += 1
            self.realized += realized
            self.fees += fee
            if buy:
                self.bought += fill.size
            else:
                self.sold += fill.size

    def _open(self, value: Decimal, size: Decimal, fee: Decimal, buy: bool) -> None:
        # The fee makes a long dearer and a short's entry lower.
        self.cost += value + (fee if buy else -fee)
        self.qty += size if buy else -size


def realized_pnl(fills: Iterable[PnlFill], *, since_ns: int | None = None) -> list[AssetPnl]:
    """Per (venue, symbol), sorted. `fills` must be in time order. Positions and average
    costs use every fill; counts, fees and realized PnL only those at or after
    `since_ns`."""
    positions: dict[tuple[str, str], _Position] = {}
    with localcontext(_CTX):
        for fill in fills:
            pos = positions.setdefault((fill.venue, fill.symbol), _Position())
            pos.apply(fill, since_ns is None or fill.ts_ns >= since_ns)
    return [
        AssetPnl(
            venue=venue,
            symbol=symbol,
            fills=pos.count,
            bought=pos.bought,
            sold=pos.sold,
            fees=pos.fees,
            realized=pos.realized,
            position=pos.qty,
            avg_cost=pos.avg,
        )
        for (venue, symbol), pos in sorted(positions.items())
    ]
