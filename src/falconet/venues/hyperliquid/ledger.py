"""`Ledger`, the adapter's account part: how the account is reported to the engine. Order
lifecycle events are told once, fills de-duplicated (behind a watermark), positions and
balances reported when they change; and the flip guard, which asks the venue before an
order opens or closes a perp position.
"""

import asyncio
from collections import deque
from decimal import Decimal
from typing import Any

import msgspec

from falconet.core.enums import InstrumentKind, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    BalanceUpdate,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PositionUpdate,
)
from falconet.core.instrument import Instrument
from falconet.engine.errors import VenueError, describe_error
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.errors import error_kind
from falconet.venues.hyperliquid.execution import status_error
from falconet.venues.hyperliquid.orders import LiveOrder
from falconet.venues.hyperliquid.queries import Queries
from falconet.venues.hyperliquid.state import HlState
from falconet.venues.hyperliquid.units import MS, sz_rounded

log = get_logger("hyperliquid")

FILL_MEMORY = 50_000  # fill keys remembered for de-duplication
BALANCE_REFRESH_S = 1.0


class Ledger:
    """The account streams (userFills, orderUpdates, webData2) and the reports every
    part makes through it: order accepted/rejected/canceled, fills, positions, balances.
    It owns the fill memory and watermark, the last reported positions and balances, and
    the fee rates; it reads the venue through `queries`."""

    CHANNELS = frozenset({"userFills", "orderUpdates", "webData2"})

    def __init__(self, state: HlState, queries: Queries) -> None:
        self.state = state
        self.queries = queries
        self._fill_keys: set[str] = set()
        self._fill_order: deque[str] = deque()
        self.watermark_ms = 0  # fills older than this, in a snapshot, are not news
        self.positions: dict[str, PositionUpdate] = {}  # coin -> last reported
        self._balances: dict[str, tuple[Decimal, Decimal]] = {}
        self._fees: msgs.UserFees | None = None
        self._spot_streamed = False  # webData2 carries spot balances (spotState)
        self._balance_refresh: asyncio.Task[None] | None = None

    def subscriptions(self) -> list[dict[str, Any]]:
        user = self.state.user
        return [
            {"type": "userFills", "user": user},
            {"type": "orderUpdates", "user": user},
            {"type": "webData2", "user": user},
        ]

    def on_frame(self, channel: str, data: msgspec.Raw, ts: int) -> None:
        """An account frame (one of CHANNELS); decode errors are the caller's to count."""
        if channel == "userFills":
            self._on_fills(msgs.USER_FILLS.decode(data), ts)
        elif channel == "orderUpdates":
            for update in msgs.ORDER_UPDATES.decode(data):
                self._on_order_update(update, ts)
        elif channel == "webData2":
            self._on_web_data(msgs.WEB_DATA2.decode(data), ts)

    # --- connect ------------------------------------------------------------------------

    async def venue_watermark(self) -> None:
        try:
            state = await self.queries.clearinghouse("")
        except (VenueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.info("venue time not available: local clock used", error=describe_error(exc))
            return
        if state.time:
            self.watermark_ms = state.time

    async def load_fees(self) -> None:
        try:
            raw = await self.state.rest.info({"type": "userFees", "user": self.state.user})
            self._fees = msgs.USER_FEES.decode(raw)
        except (VenueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.info("fee rates not available", error=describe_error(exc))
            self._fees = None

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        if self._fees is None:
            return None
        return account.fee_pair(self._fees, instrument.kind)

    async def refresh_account(self) -> None:
        ts = self.state.clock_ns()
        positions = await self.queries.fetch_positions()
        self.apply_positions(positions, set(self.state.dexes()), ts)
        self.apply_balances(await self.queries.balances())

    # --- fills --------------------------------------------------------------------------

    def first_time(self, key: str) -> bool:
        if key in self._fill_keys:
            self.state.counts["duplicate_fills"] += 1
            return False
        self._fill_keys.add(key)
        self._fill_order.append(key)
        if len(self._fill_order) > FILL_MEMORY:
            self._fill_keys.discard(self._fill_order.popleft())
        return True

    def _on_fills(self, msg: msgs.UserFills, ts: int) -> None:
        """Live fills, each once. The first message after (re)subscribing is a snapshot of
        recent history: only its fills newer than the watermark (made while we were not
        listening) are news. Older ones are skipped before their key is recorded, so the
        reconnect catch-up (which re-reads a margin before the watermark) can still
        deliver one that was in fact missed."""
        for f in msg.fills:
            if msg.is_snapshot and f.time < self.watermark_ms:
                self.state.counts["snapshot_fills_skipped"] += 1
                continue
            if self.first_time(account.fill_key(f)):
                self.emit_fill(f, ts)

    def emit_fill(self, f: msgs.UserFill, ts: int) -> None:
        state = self.state
        inst = state.universe.instrument_for_coin(f.coin)
        if inst is None:
            log.warning("fill for an unknown coin", coin=f.coin, oid=f.oid)
            return
        self.watermark_ms = max(self.watermark_ms, f.time)
        lo = state.tracker.find(f.oid, f.cloid)
        client_id = state.tracker.current_client_id(lo) if lo is not None else (f.cloid or "")
        event = account.fill_event(inst, f, client_id, ts)
        if lo is not None:
            lo.filled += event.size
        state.budget.traded(float(inst.notional(event.price, event.size)))
        state.emit(event)
        if inst.kind is InstrumentKind.SPOT and not self._spot_streamed:
            self._balances_soon()

    def _balances_soon(self) -> None:
        """Spot balances moved with a fill; when webData2 does not stream them, read them
        once the burst of fills is over (one query per second at most)."""
        if self._balance_refresh is not None and not self._balance_refresh.done():
            return

        async def refresh() -> None:
            await asyncio.sleep(BALANCE_REFRESH_S)
            try:
                self.apply_balances(await self.queries.spot_balances())
            except Exception as exc:
                log.info("balance refresh failed", error=describe_error(exc))

        self._balance_refresh = asyncio.get_running_loop().create_task(refresh())
        self.state.tasks.add(self._balance_refresh)
        self._balance_refresh.add_done_callback(self.state.tasks.discard)

    # --- order updates ------------------------------------------------------------------

    def _on_order_update(self, update: msgs.OrderUpdate, ts: int) -> None:
        o, status = update.order, update.status
        lo = self.state.tracker.find(o.oid, o.cloid)
        if lo is not None and lo.oid is None:
            self.state.tracker.bind(lo, o.oid)
        if status in ("open", "triggered"):
            if lo is not None:
                self.accept(lo, ts)
            return
        if status == "filled":
            return  # the fills say it, with prices and fees
        if lo is not None and lo.oid is not None and o.oid != lo.oid:
            return  # an oid the order no longer has (the old half of a same-id amend)
        rejected = status == "rejected" or status.endswith("Rejected")
        if lo is None:
            # not ours this session (placed before a restart, or by hand): tell the
            # engine by venue id, it knows adopted orders by it
            inst = self.state.universe.instrument_for_coin(o.coin)
            if inst is not None and not rejected:
                self.state.emit(
                    OrderCanceled(
                        ts_exchange=update.status_timestamp * MS,
                        ts_local=ts,
                        instrument_id=inst.id,
                        client_id=o.cloid or "",
                        venue_order_id=str(o.oid),
                        reason=status,
                    )
                )
            return
        if lo.replaced_by is not None:
            return  # the old half of a cancel-replace
        if lo.amending:
            lo.gone_reason = status  # the amend's answer decides what to report
            return
        if rejected and not lo.accepted:
            self.reject(lo, status, ts)
        else:
            self.cancelled(lo, status, ts)

    def _base(self, lo: LiveOrder, ts: int) -> dict[str, Any]:
        return {
            "ts_exchange": ts,
            "ts_local": ts,
            "instrument_id": lo.instrument.id,
            "client_id": self.state.tracker.current_client_id(lo),
            "venue_order_id": str(lo.oid) if lo.oid is not None else None,
        }

    def accept(self, lo: LiveOrder, ts: int) -> None:
        if lo.accepted or lo.done:
            return
        lo.accepted = True
        lo.accepted_ns = ts
        self.state.emit(OrderAccepted(**self._base(lo, ts)))

    def reject(self, lo: LiveOrder, reason: str, ts: int, kind: ErrorKind | None = None) -> None:
        if lo.done or lo.accepted:
            return
        lo.done = True
        kind = error_kind(reason) if kind is None else kind
        self.state.emit(OrderRejected(**self._base(lo, ts), reason=reason, kind=kind))

    def cancelled(self, lo: LiveOrder, reason: str, ts: int) -> None:
        if lo.done:
            return
        lo.done = True
        self.state.emit(OrderCanceled(**self._base(lo, ts), reason=reason))

    def apply_status(self, lo: LiveOrder, status: Any, ts: int) -> None:
        """One entry of an order request's `statuses`: the real verdict (the envelope's
        "ok" only says the request was read)."""
        error = status_error(status)
        if error is not None:
            self.reject(lo, error, ts)
            return
        if isinstance(status, dict):
            for key in ("resting", "filled", "canceled"):
                body = status.get(key)
                if isinstance(body, dict) and "oid" in body:
                    self.state.tracker.bind(lo, int(body["oid"]))
            self.accept(lo, ts)
            filled = status.get("filled")
            if isinstance(filled, dict) and lo.tif is TimeInForce.IOC:
                total = sz_rounded(lo.instrument, str(filled.get("totalSz", "0")))
                if lo.filled_before + total < lo.quantity:
                    # the venue dropped the rest of an IOC; its fills follow on userFills
                    self.cancelled(lo, "ioc remainder canceled", ts)
            canceled = status.get("canceled")
            if isinstance(canceled, dict):
                self.cancelled(lo, str(canceled.get("status", "canceled")), ts)
        else:  # "waitingForFill", "waitingForTrigger": accepted, not resting yet
            self.accept(lo, ts)

    # --- account state ------------------------------------------------------------------

    def _on_web_data(self, data: msgs.WebData2, ts: int) -> None:
        if data.clearinghouse_state is not None:
            state = data.clearinghouse_state
            self.apply_positions(account.positions(self.state.universe, state, ts), {""}, ts)
            perp = account.perp_balance(state, ts)
            if perp is not None:
                self.apply_balances([perp])
        if data.spot_state is not None:
            self._spot_streamed = True
            self.apply_balances(account.spot_balances(data.spot_state, ts))

    def apply_positions(
        self, current: dict[str, PositionUpdate], dexes: set[str], ts: int
    ) -> list[PositionUpdate]:
        """Report what changed; a coin we reported that the venue no longer lists is flat
        there: report 0 (the reconcile sweep)."""
        out = []
        for coin, upd in current.items():
            last = self.positions.get(coin)
            if last is None or (last.size, last.entry_price) != (upd.size, upd.entry_price):
                self.positions[coin] = upd
                out.append(upd)
        for coin in list(self.positions):
            m = self.state.universe.by_coin.get(coin)
            if coin in current or m is None or m.dex not in dexes:
                continue
            gone = self.positions.pop(coin)
            out.append(
                PositionUpdate(
                    ts_exchange=ts, ts_local=ts, instrument_id=gone.instrument_id, size=0
                )
            )
        for upd in out:
            self.state.emit(upd)
        return out

    def apply_balances(self, rows: list[BalanceUpdate]) -> None:
        for b in rows:
            key = (b.total, b.free)
            if self._balances.get(b.asset) != key:
                self._balances[b.asset] = key
                self.state.emit(b)

    # --- flip guard ---------------------------------------------------------------------

    async def flip_guard(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> bool:
        """True when the venue's position allows the order (see `flip_problem`)."""
        return await self.flip_problem(instrument, side, quantity, exit=exit) is None

    async def flip_problem(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> str | None:
        """Ask the venue before an order that opens (exit=False) or closes (exit=True) a
        perp position; None when it may go, else why not. An entry needs the venue flat;
        an exit needs a venue position on the other side of `side` (the sign memory has)
        at least `quantity` large, within a lot (so it cannot flip). Sub-lot dust counts
        as flat. On a mismatch the positions are re-read and reported (the reconcile
        sweep); a failed query is a refusal too. `place()` calls it for exits and flips
        only (reduce-only, or the opposite side at least the known position's size)."""
        if instrument.kind is not InstrumentKind.PERP:
            return None
        m = self.state.market(instrument)
        try:
            state = await self.queries.clearinghouse(m.dex)
        except Exception as exc:
            log.warning("flip guard: position query failed", error=describe_error(exc))
            return "position query failed"
        live = 0
        for row in state.asset_positions:
            if row.position.coin == m.coin:
                live = sz_rounded(instrument, row.position.szi)
        flat = account.is_dust(instrument, live)
        memory = self.positions.get(m.coin)
        problem = None
        if not exit and not flat:
            problem = "entry_but_live_nonzero"
        elif exit and flat:
            problem = "exit_but_live_flat"
        elif exit and _wrong_sign(live, side, memory):
            problem = "exit_side_sign_mismatch"
        elif exit and quantity > abs(live) + instrument.lot:
            problem = "exit_would_flip"
        if problem is None:
            return None
        log.warning(
            "flip guard refused",
            symbol=instrument.symbol,
            reason=problem,
            venue_size=instrument.size_str(live),
            side=side.value,
            quantity=instrument.size_str(quantity),
        )
        ts = self.state.clock_ns()
        self.apply_positions(account.positions(self.state.universe, state, ts), {m.dex}, ts)
        return problem


def _wrong_sign(live: int, side: Side, memory: PositionUpdate | None) -> bool:
    """An exit must sell a long (buy a short), of the sign memory has."""
    if (live > 0) == (side is Side.BUY):
        return True
    return memory is not None and memory.size != 0 and (live > 0) != (memory.size > 0)
