"""Account frames and /info answers → falconet events: fills, open orders, positions,
balances."""

from __future__ import annotations

from decimal import Decimal

from falconet.core.enums import InstrumentKind, Liquidity, Venue
from falconet.core.events import BalanceUpdate, Fill, PositionUpdate, margin_asset
from falconet.core.instrument import Instrument
from falconet.engine.venue import OrderReport
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.instruments import Universe
from falconet.venues.hyperliquid.units import MS, dec, px, px_rounded, side, sz, sz_rounded

# Perp margin is USDC too, in a different account class than spot USDC: reported apart.
PERP_USDC = margin_asset("USDC")


def fill_event(inst: Instrument, f: msgs.UserFill, client_id: str, ts_local: int) -> Fill:
    """`crossed` is the venue's taker flag. The fee is in `feeToken` (spot buys pay in the
    base token); a negative fee is a rebate."""
    return Fill(
        ts_exchange=f.time * MS, ts_local=ts_local, instrument_id=inst.id,
        client_id=client_id, venue_order_id=str(f.oid), trade_id=fill_key(f),
        side=side(f.side), price=px_rounded(inst, f.px), size=sz(inst, f.sz),
        fee=dec(f.fee), fee_currency=f.fee_token or inst.quote,
        liquidity=Liquidity.TAKER if f.crossed else Liquidity.MAKER,
    )  # fmt: skip


def fill_key(f: msgs.UserFill) -> str:
    """The trade id: `tid` (unique per fill on the account); old fills without one fall
    back to hash + oid + time + size."""
    if f.tid:
        return str(f.tid)
    return f"{f.hash}:{f.oid}:{f.time}:{f.sz}"


def order_report(inst: Instrument, o: msgs.BasicOrder, client_id: str | None) -> OrderReport:
    """`origSz` is the size the order was placed with, `sz` what is left."""
    left = sz(inst, o.sz)
    placed = sz(inst, o.orig_sz) if o.orig_sz else left
    return OrderReport(
        client_id=client_id, venue_order_id=str(o.oid), instrument_id=inst.id,
        side=side(o.side), price=px(inst, o.limit_px), quantity=placed, filled=placed - left,
    )  # fmt: skip


def positions(
    universe: Universe, state: msgs.ClearinghouseState, ts_local: int
) -> dict[str, PositionUpdate]:
    """coin → position, only the non-zero ones the venue lists."""
    out = {}
    ts = state.time * MS or ts_local
    for row in state.asset_positions:
        p = row.position
        inst = universe.instrument_for_coin(p.coin)
        if inst is None or inst.kind is not InstrumentKind.PERP:
            continue
        size = sz_rounded(inst, p.szi)
        if size == 0:
            continue
        out[p.coin] = PositionUpdate(
            ts_exchange=ts, ts_local=ts_local, instrument_id=inst.id, size=size,
            entry_price=px_rounded(inst, p.entry_px) if p.entry_px else None,
            unrealized_pnl=dec(p.unrealized_pnl) if p.unrealized_pnl is not None else None,
        )  # fmt: skip
    return out


def spot_balances(state: msgs.SpotState, ts_local: int) -> list[BalanceUpdate]:
    out = []
    for b in state.balances:
        total = dec(b.total)
        out.append(
            BalanceUpdate(
                ts_exchange=ts_local,
                ts_local=ts_local,
                venue=Venue.HYPERLIQUID,
                asset=b.coin,
                total=total,
                free=total - dec(b.hold),
            )
        )
    return out


def perp_balance(state: msgs.ClearinghouseState, ts_local: int) -> BalanceUpdate | None:
    """Perp margin: total = account value, free = withdrawable."""
    if state.margin_summary is None:
        return None
    ts = state.time * MS or ts_local
    return BalanceUpdate(
        ts_exchange=ts, ts_local=ts_local, venue=Venue.HYPERLIQUID, asset=PERP_USDC,
        total=dec(state.margin_summary.account_value), free=dec(state.withdrawable),
    )  # fmt: skip


def is_dust(inst: Instrument, size_units: int) -> bool:
    """Below 1.5 lots counts as flat: sub-lot leftovers of partial fills (the seed's dust
    cap 1.5 × 10^-szDecimals)."""
    return abs(size_units) * 2 < 3 * inst.lot


def fee_pair(fees: msgs.UserFees, kind: InstrumentKind) -> tuple[str, str] | None:
    if kind is InstrumentKind.SPOT and fees.user_spot_add_rate and fees.user_spot_cross_rate:
        return _norm(fees.user_spot_add_rate), _norm(fees.user_spot_cross_rate)
    if fees.user_add_rate and fees.user_cross_rate:
        return _norm(fees.user_add_rate), _norm(fees.user_cross_rate)
    return None


def _norm(text: str) -> str:
    return f"{Decimal(text).normalize():f}"
