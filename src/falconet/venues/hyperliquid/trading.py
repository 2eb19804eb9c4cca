"""Orders and account actions: place, cancel-replace amend, cancel, leverage,
scheduleCancel, usdClassTransfer. Each order's verdict is the inner status of the
answer (the envelope's "ok" only says the request was read).
"""

import asyncio
import contextlib
from decimal import Decimal
from typing import Any, Literal

from falconet.core.enums import InstrumentKind, OrderType, Rounding, Side, TimeInForce
from falconet.core.errors import ErrorKind, PrecisionError, precision_kind
from falconet.core.events import (
    OrderAmended,
    OrderAmendRejected,
    OrderCanceled,
    OrderCancelRejected,
    OrderRejected,
)
from falconet.core.instrument import Instrument
from falconet.engine.errors import (
    InvalidRequestError,
    OrderRejectedError,
    VenueConnectionError,
    VenueTimeoutError,
    describe_error,
)
from falconet.engine.venue import (
    AmendRequest,
    CancelRequest,
    OrderRequest,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.actions import (
    USD_CLASS_TRANSFER_FIELDS,
    USD_CLASS_TRANSFER_TYPE,
    batch_modify_action,
    cancel_action,
    cancel_by_cloid_action,
    check_cloid,
    limit_type,
    order_action,
    order_wire,
    schedule_cancel_action,
    trigger_type,
    update_leverage_action,
    usd_class_transfer_action,
)
from falconet.venues.hyperliquid.errors import error_kind
from falconet.venues.hyperliquid.execution import (
    status_error,
    status_from_order,
)
from falconet.venues.hyperliquid.feed import MarketFeed
from falconet.venues.hyperliquid.instruments import (
    Market,
)
from falconet.venues.hyperliquid.ledger import Ledger
from falconet.venues.hyperliquid.orders import LiveOrder, PendingAmend
from falconet.venues.hyperliquid.state import HlState
from falconet.venues.hyperliquid.units import MS, px_rounded, sz_rounded
from falconet.venues.hyperliquid.wire import price_wire, size_wire

log = get_logger("hyperliquid")

MARKET_SLIPPAGE = Decimal("0.05")  # market orders: IOC limit 5 % through the mid (the SDK's)
SETTLE_FIRST_S = 2.0  # first orderStatus check of an unanswered order (a late copy may land)
SETTLE_MAX_S = 30.0  # back-off cap of those checks
MIN_DEAD_MAN_S = 5.0  # scheduleCancel must be at least 5 s ahead
_TIFS = {TimeInForce.POST_ONLY: "Alo", TimeInForce.GTC: "Gtc", TimeInForce.IOC: "Ioc"}
_LEVERAGE_TOLERATED = ("position", "margin")


class Trading:
    """The execution part: orders, leverage, the dead man's switch and transfers. It
    reports through the ledger (which also owns the flip guard), prices market orders off
    the feed's mids, and owns the amends whose answer never came."""

    def __init__(self, state: HlState, ledger: Ledger, feed: MarketFeed) -> None:
        self.state = state
        self.ledger = ledger
        self.feed = feed
        self._amends: dict[str, PendingAmend] = {}  # replacement cid -> unanswered amend
        self._dead_man: asyncio.Task[None] | None = None

    async def place(self, request: OrderRequest) -> None:
        ts = self.state.clock_ns()
        inst = request.instrument
        lo = LiveOrder(
            request.client_id,
            inst,
            request.side,
            request.price,
            request.quantity,
            TimeInForce.IOC if request.order_type is OrderType.MARKET else request.time_in_force,
            reduce_only=request.reduce_only,
        )
        reason = self._refusal(request)
        if reason is not None:
            self.ledger.reject(lo, reason, ts, ErrorKind.INVALID_REQUEST)
            return
        if self.state.tracker.get(request.client_id) is not None:
            self.state.emit(
                OrderRejected(
                    ts_exchange=ts,
                    ts_local=ts,
                    instrument_id=inst.id,
                    client_id=request.client_id,
                    reason="duplicate client order id",
                    kind=ErrorKind.DUPLICATE,
                )
            )
            return
        executor = self.state.need_executor()
        market = self.state.market(inst)
        self.state.tracker.add(lo)
        lo.inflight = True
        try:
            if self._exits_position(request, market):
                problem = await self.ledger.flip_problem(
                    inst, request.side, request.quantity, exit=True
                )
                if problem is not None:
                    self.ledger.reject(lo, f"flip guard: {problem}", self.state.clock_ns())
                    return
            wire = await self._order_wire(market, request)
        except PrecisionError as exc:
            self.ledger.reject(lo, str(exc), self.state.clock_ns(), precision_kind(exc))
            return
        except BaseException:
            lo.done = True  # nothing was sent; the engine reports the failure as a rejection
            raise
        finally:
            lo.inflight = False
        lo.inflight = True
        try:
            statuses = await executor.submit(
                order_action([wire]), check_cloids=[request.client_id], spent=True
            )
        except OrderRejectedError as exc:
            self.ledger.reject(lo, str(exc), self.state.clock_ns(), _refusal_kind(exc))
            return
        except PrecisionError as exc:
            self.ledger.reject(lo, str(exc), self.state.clock_ns(), precision_kind(exc))
            return
        except (VenueTimeoutError, VenueConnectionError) as exc:
            # unanswered: it may rest at the venue. Not a rejection: orderStatus(cloid)
            # settles it, in the background and again at the next reconnect
            log.warning("order unanswered: settling later", client_id=lo.client_id, error=str(exc))
            self._settle_later(lo)
            return
        except BaseException:
            lo.done = True  # the engine reports the failure as a rejection
            raise
        finally:
            lo.inflight = False
        status = statuses[0] if statuses else {"error": "the venue returned no status"}
        self.ledger.apply_status(lo, status, self.state.clock_ns())

    def _exits_position(self, request: OrderRequest, m: Market) -> bool:
        """Whether the flip guard must ask the venue: a perp order that would exit or flip
        the position we know (reduce-only, or the opposite side at least its size).
        Entries are not checked: no query for them."""
        if m.kind is not InstrumentKind.PERP:
            return False
        if request.reduce_only:
            return True
        last = self.ledger.positions.get(m.coin)
        if last is None or account.is_dust(request.instrument, last.size):
            return False
        opposite = (last.size > 0) == (request.side is Side.SELL)
        return opposite and request.quantity >= abs(last.size)

    # --- orders whose request went unanswered ---------------------------------------------

    def _settle_later(self, lo: LiveOrder) -> None:
        """Ask orderStatus with back-off until the venue's answer settles the order."""
        lo.unresolved = True

        async def run() -> None:
            delay = SETTLE_FIRST_S
            while not self.state.closed:
                await asyncio.sleep(delay)
                if not lo.unresolved:
                    return
                try:
                    await self.settle_order(lo)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.info("order status check failed", client_id=lo.client_id, error=str(exc))
                    delay = min(delay * 2, SETTLE_MAX_S)

        self.state.spawn(run())

    async def settle_order(self, lo: LiveOrder) -> None:
        """Settle an order (or amend) whose request went unanswered, by orderStatus of its
        cloid: accepted, filled or canceled as the venue says; unknown → never placed.
        Raises when the venue cannot be asked."""
        key = lo.client_id.lower()
        pending = self._amends.get(key)
        if pending is not None and pending.new_cid is None:
            await self._settle_same_id_amend(pending)
            return
        info = await self.state.need_executor().order_status(lo.client_id)
        if pending is not None:
            if self._amends.get(key) is not pending:
                return  # settled meanwhile
            del self._amends[key]
        elif not lo.unresolved and (lo.accepted or lo.done):
            return
        lo.unresolved = False
        now = self.state.clock_ns()
        known = info.status == "order" and info.order is not None
        if pending is not None:
            status: Any = (
                status_from_order(info.order)
                if info.order is not None and known
                else {"error": "the amend never reached the venue"}
            )
            await self._finish_amend(pending, status, now)
        elif info.order is not None and known:
            self.ledger.apply_status(lo, status_from_order(info.order), now)
        else:
            self.ledger.reject(lo, "never reached the venue", now)

    async def _settle_same_id_amend(self, p: PendingAmend) -> None:
        """An unanswered amend that kept the client id: the old oid tells whether it
        happened; if so, the replacement is found among the open orders."""
        executor = self.state.need_executor()
        lo = p.order
        old = await executor.order_status(p.old_oid) if p.old_oid is not None else None
        old_status = old.order.status if old is not None and old.order is not None else None
        replacement: int | None = None
        if old_status not in ("open", "triggered", "filled"):
            m = self.state.market(lo.instrument)
            body: dict[str, Any] = {"type": "frontendOpenOrders", "user": self.state.need_user()}
            if m.dex:
                body["dex"] = m.dex
            side = "B" if lo.side is Side.BUY else "A"
            inst = lo.instrument
            size = sz_rounded(inst, p.size_wire)
            for o in msgs.OPEN_ORDERS.decode(await self.state.rest.info(body)):
                if (
                    o.coin == m.coin
                    and o.side == side
                    and o.oid != p.old_oid
                    and self.state.tracker.find(o.oid, None) is None
                    and px_rounded(inst, o.limit_px) == p.price
                    and sz_rounded(inst, o.orig_sz or o.sz) == size
                ):
                    replacement = o.oid
        if self._amends.get(lo.client_id.lower()) is not p:
            return  # settled meanwhile
        del self._amends[lo.client_id.lower()]
        lo.unresolved = False
        now = self.state.clock_ns()
        if replacement is not None:
            await self._finish_amend(p, {"resting": {"oid": replacement}}, now)
            return
        await self._finish_amend(p, {"error": "the amend did not take effect"}, now)
        if old_status not in ("open", "triggered", "filled"):
            self.ledger.cancelled(lo, old_status or "gone after an unanswered amend", now)

    def _refusal(self, request: OrderRequest) -> str | None:
        try:
            check_cloid(request.client_id)
        except ValueError as exc:
            return str(exc)
        if request.order_type in (OrderType.LIMIT, OrderType.MARKET):
            if request.order_type is OrderType.LIMIT and request.price is None:
                return "a limit order needs a price"
            if request.order_type is OrderType.LIMIT and request.time_in_force not in _TIFS:
                return f"time in force {request.time_in_force} not supported by hyperliquid"
        elif request.trigger_price is None:
            return f"a {request.order_type} order needs a trigger price"
        if request.quantity <= 0:
            return "quantity must be positive"
        return None

    async def _order_wire(self, m: Market, request: OrderRequest) -> dict[str, Any]:
        inst, side, kind = request.instrument, request.side, request.order_type
        price = request.price
        if kind is OrderType.LIMIT:
            assert price is not None
            order_type = limit_type(_TIFS[request.time_in_force])  # type: ignore[arg-type]
        elif kind is OrderType.MARKET:
            price = price or await self._aggressive_price(inst, m, side, None)
            order_type = limit_type("Ioc")
        else:
            trigger = request.trigger_price
            assert trigger is not None
            is_market = kind in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET)
            tpsl: Literal["tp", "sl"] = (
                "sl" if kind in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT) else "tp"
            )
            if price is None:
                price = await self._aggressive_price(inst, m, side, trigger)
            order_type = trigger_type(price_wire(inst, trigger), is_market, tpsl)
        return order_wire(
            m.asset,
            side is Side.BUY,
            price_wire(inst, price),
            size_wire(inst, request.quantity),
            request.reduce_only,
            order_type,
            request.client_id,
        )

    async def _aggressive_price(
        self, inst: Instrument, m: Market, side: Side, reference: int | None
    ) -> int:
        """A market order is an IOC limit 5 % through the mid (or the trigger)."""
        ref = reference or self.feed.mids.get(m.coin) or await self._fetch_mid(inst, m)
        factor = 1 + MARKET_SLIPPAGE if side is Side.BUY else 1 - MARKET_SLIPPAGE
        value = inst.price_decimal(ref) * factor
        rounding = Rounding.UP if side is Side.BUY else Rounding.DOWN
        return inst.round_price(value, rounding)

    async def _fetch_mid(self, inst: Instrument, m: Market) -> int:
        book = msgs.BOOK.decode(await self.state.rest.info({"type": "l2Book", "coin": m.coin}))
        if not book.levels[0] or not book.levels[1]:
            raise OrderRejectedError(f"{inst.id}: no book to price a market order", venue="hl")
        bid = px_rounded(inst, book.levels[0][0].px)
        ask = px_rounded(inst, book.levels[1][0].px)
        return (bid + ask) // 2

    async def amend(self, request: AmendRequest) -> None:
        ts = self.state.clock_ns()
        inst = request.instrument
        base: dict[str, Any] = {
            "ts_exchange": ts,
            "ts_local": ts,
            "instrument_id": inst.id,
            "client_id": request.client_id,
            "venue_order_id": request.venue_order_id,
        }
        executor = self.state.need_executor()
        m = self.state.market(inst)
        lo = self.state.tracker.get(request.client_id) or await self._adopted(request)
        if lo is None:
            reason, kind = "order not found", ErrorKind.UNKNOWN_ORDER
            self.state.emit(OrderAmendRejected(**base, reason=reason, kind=kind))
            return
        if lo.amending or lo.unresolved:
            reason, kind = "an earlier amend is not settled yet", ErrorKind.DUPLICATE
            self.state.emit(OrderAmendRejected(**base, reason=reason, kind=kind))
            return
        new_cid = request.new_client_id
        price = request.price if request.price is not None else lo.price
        left = request.quantity - lo.filled
        if price is None or left <= 0:
            reason = "nothing left to amend" if left <= 0 else "a market order cannot be amended"
            self.state.emit(
                OrderAmendRejected(**base, reason=reason, kind=ErrorKind.INVALID_REQUEST)
            )
            return
        if new_cid is not None:
            try:
                check_cloid(new_cid)
            except ValueError as exc:
                kind = ErrorKind.INVALID_REQUEST
                self.state.emit(OrderAmendRejected(**base, reason=str(exc), kind=kind))
                return
        target: int | str = lo.oid if lo.oid is not None else lo.client_id
        tif = _TIFS.get(lo.tif, "Gtc")
        size = size_wire(inst, left)
        wire = order_wire(
            m.asset,
            lo.side is Side.BUY,
            price_wire(inst, price),
            size,
            lo.reduce_only,
            limit_type(tif),  # type: ignore[arg-type]
            new_cid,
        )
        successor = lo
        if new_cid is not None:
            successor = LiveOrder(
                new_cid,
                inst,
                lo.side,
                price,
                request.quantity,
                lo.tif,
                reduce_only=lo.reduce_only,
                filled=lo.filled,
                accepted=True,
                inflight=True,
            )
            successor.filled_before = lo.filled
            self.state.tracker.add(successor)
        pending = PendingAmend(
            order=lo,
            successor=successor,
            new_cid=new_cid,
            price=price,
            quantity=request.quantity,
            client_id=request.client_id,
            venue_order_id=request.venue_order_id,
            filled_at_send=lo.filled,
            old_oid=lo.oid,
            size_wire=size,
        )
        lo.amending = True
        lo.gone_reason = None
        try:
            statuses = await executor.submit(
                batch_modify_action([(target, wire)]),
                check_cloids=[new_cid] if new_cid else (),
                spent=True,
            )
        except (OrderRejectedError, PrecisionError) as exc:
            statuses = [{"error": str(exc)}]
        except (VenueTimeoutError, VenueConnectionError) as exc:
            # unanswered: the replacement may exist. Keep it tracked (by its new cloid)
            # and settle it by orderStatus, in the background and at the next reconnect
            if new_cid is not None:
                successor.inflight = False
            log.warning("amend unanswered: settling later", client_id=lo.client_id, error=str(exc))
            self._amends[successor.client_id.lower()] = pending
            self._settle_later(successor)
            return
        except BaseException:
            lo.amending = False
            if new_cid is not None:
                self._forget(successor, new_cid)
            raise
        if new_cid is not None:
            successor.inflight = False
        status = statuses[0] if statuses else {"error": "the venue returned no status"}
        await self._finish_amend(pending, status, self.state.clock_ns())

    async def _finish_amend(self, p: PendingAmend, status: Any, now: int) -> None:
        """Report an amend's outcome from its status (the answer, or orderStatus)."""
        lo, successor, new_cid = p.order, p.successor, p.new_cid
        inst = lo.instrument
        base: dict[str, Any] = {
            "ts_exchange": now,
            "ts_local": now,
            "instrument_id": inst.id,
            "client_id": p.client_id,
            "venue_order_id": p.venue_order_id,
        }
        lo.amending = False
        error = status_error(status)
        if error is not None or not isinstance(status, dict):
            if new_cid is not None:
                self._forget(successor, new_cid)
            reason = error or "no oid"
            self.state.emit(OrderAmendRejected(**base, reason=reason, kind=error_kind(reason)))
            if lo.gone_reason is not None:  # it was canceled meanwhile (or by the failed modify)
                reason, lo.gone_reason = lo.gone_reason, None
                self.ledger.cancelled(lo, reason, now)
            return
        lo.gone_reason = None  # the cancel seen meanwhile was the modify's own
        oid = None
        for key in ("resting", "filled", "canceled"):
            body = status.get(key)
            if isinstance(body, dict) and "oid" in body:
                oid = int(body["oid"])
        if new_cid is None:  # no new cloid: the same record carries on under a new oid
            lo.price, lo.quantity = p.price, p.quantity
            if oid is not None:
                if p.old_oid is not None and p.old_oid != oid:
                    self.state.tracker.unbind(lo, p.old_oid)
                self.state.tracker.bind(lo, oid)
        else:
            lo.replaced_by = new_cid
            lo.done = True
            # fills on the old order while the modify was in flight count for the chain
            successor.filled += lo.filled - p.filled_at_send
            if oid is not None:
                self.state.tracker.bind(successor, oid)
        self.state.emit(
            OrderAmended(
                ts_exchange=now,
                ts_local=now,
                instrument_id=inst.id,
                client_id=p.client_id,
                venue_order_id=str(oid) if oid else None,
                price=p.price,
                quantity=p.quantity,
                new_client_id=new_cid,
            )
        )
        if isinstance(status.get("canceled"), dict):
            self.ledger.cancelled(successor, "canceled", now)
            return
        if lo.filled > p.filled_at_send and successor.oid is not None and not successor.done:
            # the replacement was sized before these fills: it is now too big
            await self._shrink(successor, p)

    async def _shrink(self, live: LiveOrder, p: PendingAmend) -> None:
        """Bring a replacement back to the amended total: amend it down to what is left,
        or cancel it when nothing is."""
        executor = self.state.need_executor()
        inst = live.instrument
        m = self.state.market(inst)
        oid = live.oid
        assert oid is not None
        remaining = p.quantity - live.filled
        if remaining <= 0:
            try:
                statuses = await executor.submit(cancel_action([(m.asset, oid)]), cancel=True)
            except Exception as exc:
                log.warning("overfilled replacement not canceled", error=describe_error(exc))
                return
            if statuses and status_error(statuses[0]) is None:
                self.ledger.cancelled(
                    live, "amended quantity already filled", self.state.clock_ns()
                )
            return
        wire = order_wire(
            m.asset,
            live.side is Side.BUY,
            price_wire(inst, p.price),
            size_wire(inst, remaining),
            live.reduce_only,
            limit_type(_TIFS.get(live.tif, "Gtc")),  # type: ignore[arg-type]
            p.new_cid,
        )
        live.amending = True
        try:
            statuses = await executor.submit(batch_modify_action([(oid, wire)]))
        except Exception as exc:
            statuses = [{"error": describe_error(exc)}]
        finally:
            live.amending = False
        status = statuses[0] if statuses else {"error": "the venue returned no status"}
        now = self.state.clock_ns()
        error = status_error(status)
        if error is not None or not isinstance(status, dict):
            log.warning("replacement not amended down", client_id=live.client_id, error=error)
            if live.gone_reason is not None:
                reason, live.gone_reason = live.gone_reason, None
                self.ledger.cancelled(live, reason, now)
            return
        live.gone_reason = None
        for key in ("resting", "filled", "canceled"):
            body = status.get(key)
            if isinstance(body, dict) and "oid" in body:
                self.state.tracker.unbind(live, oid)
                self.state.tracker.bind(live, int(body["oid"]))
        if isinstance(status.get("canceled"), dict):
            self.ledger.cancelled(live, "canceled", now)

    def _forget(self, order: LiveOrder, cid: str | None) -> None:
        if cid is not None and self.state.tracker.get(cid) is order:
            self.state.tracker.by_cid.pop(cid.lower(), None)

    async def _adopted(self, request: AmendRequest | CancelRequest) -> LiveOrder | None:
        """An order placed before this session: learn it from the venue by oid."""
        vid = request.venue_order_id
        executor = self.state.executor
        if executor is None or not vid or not vid.isdigit():
            return None
        info = await executor.order_status(int(vid))
        if info.order is None:
            return None
        o = info.order.order
        inst = request.instrument
        left = sz_rounded(inst, o.sz)
        placed = sz_rounded(inst, o.orig_sz) if o.orig_sz else left
        tif = TimeInForce.POST_ONLY if o.tif == "Alo" else TimeInForce.GTC
        lo = LiveOrder(
            request.client_id,
            inst,
            Side.BUY if o.side == "B" else Side.SELL,
            px_rounded(inst, o.limit_px),
            placed,
            tif,
            reduce_only=o.reduce_only,
            oid=o.oid,
            filled=placed - left,
            accepted=True,
        )
        return self.state.tracker.add(lo)

    async def cancel(self, request: CancelRequest) -> None:
        ts = self.state.clock_ns()
        executor = self.state.need_executor()
        inst = request.instrument
        m = self.state.market(inst)
        lo = self.state.tracker.get(request.client_id) if request.client_id else None
        oid = lo.oid if lo is not None else None
        if oid is None and request.venue_order_id and request.venue_order_id.isdigit():
            oid = int(request.venue_order_id)
        if oid is not None:
            action = cancel_action([(m.asset, oid)])
        elif request.client_id:
            action = cancel_by_cloid_action([(m.asset, request.client_id)])
        else:
            raise InvalidRequestError("cancel needs a client or venue order id", venue="hl")
        try:
            statuses = await executor.submit(action, cancel=True, spent=True)
        except OrderRejectedError as exc:
            statuses = [{"error": str(exc)}]
        status = statuses[0] if statuses else {"error": "the venue returned no status"}
        error = status_error(status)
        now = self.state.clock_ns()
        if error is None:
            if lo is not None:
                self.ledger.cancelled(lo, "canceled", now)
            else:
                self.state.emit(
                    OrderCanceled(
                        ts_exchange=ts,
                        ts_local=now,
                        instrument_id=inst.id,
                        client_id=request.client_id,
                        venue_order_id=str(oid) if oid else None,
                        reason="canceled",
                    )
                )
            return
        self.state.emit(
            OrderCancelRejected(
                ts_exchange=ts,
                ts_local=now,
                instrument_id=inst.id,
                client_id=request.client_id,
                venue_order_id=str(oid) if oid is not None else request.venue_order_id,
                reason=error,
                kind=error_kind(error),
            )
        )

    # --- leverage, dead man's switch, transfers -------------------------------------------

    async def update_leverage(self, instrument: Instrument, leverage: int, is_cross: bool) -> None:
        m = self.state.market(instrument)
        if m.kind is not InstrumentKind.PERP:
            raise InvalidRequestError(f"{instrument.id}: leverage is for perps", venue="hl")
        await self.state.need_executor().submit(update_leverage_action(m.asset, is_cross, leverage))

    async def pin_leverage(self, leverage: int) -> None:
        """At connect, per configured perp: builder dexes and isolated-only coins are
        isolated, the rest cross. A refusal because of an open position or margin is
        logged and tolerated (the seed's rule); any other is fatal."""
        for inst in self.state.instruments.values():
            m = self.state.market(inst)
            if m.kind is not InstrumentKind.PERP:
                continue
            lev = min(leverage, m.max_leverage) if m.max_leverage else leverage
            try:
                await self.update_leverage(inst, lev, is_cross=not m.only_isolated)
            except OrderRejectedError as exc:
                if any(word in str(exc).lower() for word in _LEVERAGE_TOLERATED):
                    log.warning("leverage not changed", symbol=inst.symbol, error=str(exc))
                    continue
                raise

    def start_dead_man(self, horizon_s: float) -> None:
        self._dead_man = asyncio.get_running_loop().create_task(
            self._run_dead_man(horizon_s), name="hl-dead-man"
        )

    async def stop_dead_man(self) -> None:
        """At close: stop the refreshes, then clear the switch (best effort)."""
        if self._dead_man is None:
            return
        self._dead_man.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._dead_man
        if self.state.executor is not None:
            with contextlib.suppress(Exception):  # best effort: clear the switch
                action = schedule_cancel_action(None)
                await asyncio.wait_for(self.state.executor.submit(action), 3)

    async def _run_dead_man(self, horizon_s: float) -> None:
        """Keep pushing the scheduled cancel-all ahead while we run: if this process
        dies, the venue cancels our orders `horizon_s` later."""
        horizon_s = max(horizon_s, MIN_DEAD_MAN_S)
        executor = self.state.need_executor()
        while True:
            try:
                at = self.state.clock_ns() // MS + int(horizon_s * 1000)
                await executor.submit(schedule_cancel_action(at))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.state.counts["dead_man_errors"] += 1
                log.warning("scheduleCancel refresh failed", error=describe_error(exc))
            await asyncio.sleep(max(horizon_s / 3, 1.0))

    async def usd_class_transfer(self, amount: Decimal, to_perp: bool) -> None:
        """Move USDC between the spot and perp balances."""
        executor = self.state.need_executor()
        action = usd_class_transfer_action(
            amount, to_perp, self.state.nonces.next(), self.state.settings.vault_address
        )
        await executor.submit_user(action, USD_CLASS_TRANSFER_TYPE, USD_CLASS_TRANSFER_FIELDS)


def _refusal_kind(exc: OrderRejectedError) -> ErrorKind:
    """The adapter's own kind if it set one, else the venue text's."""
    return exc.kind if exc.kind is not ErrorKind.OTHER else error_kind(str(exc))
