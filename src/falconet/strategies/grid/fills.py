"""Fill accounting: which fills count, and what a buy or a sell fill changes.

A fill counts once. While the grid runs, a bounded memory of (client id, trade id) pairs
drops repeats. Across restarts the persisted watermark (see `GridState.covers`) drops fills
a previous run already counted: the watermark as it stood when this run started is what
is checked, so it only ever drops fills from before the start (a fill of this run that
arrives late, after a newer one moved the watermark, still counts). A grid with no
watermark at all (first start, or state not kept) sets it to its start time, so the fills
from before its first start are never counted: their effect on the balances is already
there.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from enum import Enum

from falconet.core.events import Fill
from falconet.core.instrument import Instrument
from falconet.strategies.grid.accumulation import cost_basis, sell_profit
from falconet.strategies.grid.params import VenueFlags
from falconet.strategies.grid.state import GridState

SEEN_CAP = 2000


class Verdict(Enum):
    DUPLICATE = "duplicate"  # delivered twice since the grid started
    COVERED = "covered"  # counted by a previous run, or from before the first start
    REPLAY = "replay"  # before start, after the watermark: counted, balances already moved
    LIVE = "live"


class FillFilter:
    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.start_ns: int | None = None
        # The watermark as restored at start: what the previous runs counted.
        self._mark = GridState()
        self.last_buy_order: str | None = None

    def start(self, now_ns: int, state: GridState) -> None:
        """Call once the watermark is final for this start (restored, or set to the
        start time on a first start)."""
        self.start_ns = now_ns
        self._mark = GridState(
            last_fill_ts=state.last_fill_ts, last_fill_ids=list(state.last_fill_ids)
        )

    def classify(self, state: GridState, fill: Fill) -> Verdict:
        key = f"{fill.client_id}/{fill.trade_id}"
        if key in self._seen:
            return Verdict.DUPLICATE
        self._seen[key] = None
        if len(self._seen) > SEEN_CAP:
            self._seen.popitem(last=False)
        if self.start_ns is None:
            # not started (a test driving fills directly): the saved watermark decides
            return Verdict.COVERED if state.covers(fill.ts_exchange, key) else Verdict.LIVE
        # The watermark restored at start lies before the start (it is a counted fill's
        # time, or a previous start time), so this only drops fills from before it.
        if self._mark.covers(fill.ts_exchange, key):
            return Verdict.COVERED
        return Verdict.REPLAY if fill.ts_exchange < self.start_ns else Verdict.LIVE

    @staticmethod
    def watermark_key(fill: Fill) -> str:
        return f"{fill.client_id}/{fill.trade_id}"


def base_fee_of(inst: Instrument, flags: VenueFlags, fill: Fill, maker_fee: Decimal) -> Decimal:
    """Base asset a buy fill's fee took: as reported, or qty × maker fee on a venue that
    charges buys in base when the fill carries no fee."""
    if fill.fee_currency == inst.base:
        return max(fill.fee, Decimal(0))
    if flags.buy_fee_in_base and fill.fee == 0:
        return inst.size_decimal(fill.size) * maker_fee
    return Decimal(0)


def book_buy(
    state: GridState,
    inst: Instrument,
    flags: VenueFlags,
    fill: Fill,
    maker_fee: Decimal,
    *,
    same_order: bool,
) -> None:
    """Record the buy as the reference for the next sell; the fee taken in base comes
    out of the reserved base (the retained coins are what actually remains)."""
    qty = inst.size_decimal(fill.size)
    state.last_buy_fill_price = inst.price_decimal(fill.price)
    previous = state.last_buy_fill_qty if same_order else None
    state.last_buy_fill_qty = qty if previous is None else previous + qty
    state.last_sell_fill_price = None
    state.last_sell_fill_qty = None
    leak = base_fee_of(inst, flags, fill, maker_fee)
    if leak > 0:
        state.reserved_base = max(Decimal(0), state.reserved_base - leak)


def book_sell(
    state: GridState, inst: Instrument, flags: VenueFlags, fill: Fill, maker_fee: Decimal
) -> Decimal:
    """Add the sell's net profit to the accumulated profit; returns it."""
    price = inst.price_decimal(fill.price)
    qty = inst.size_decimal(fill.size)
    basis = cost_basis(state, fill.client_id, price)
    profit = sell_profit(flags, sell=price, basis=basis, qty=qty, maker_fee=maker_fee)
    state.accumulated_profit += profit
    state.last_sell_fill_price = price
    state.last_sell_fill_qty = qty
    return profit
