"""The adapter's state and how it reports: order lifecycle events told once, fills
de-duplicated, positions and balances reported when they change.
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec

from falconet.core.enums import InstrumentKind, Side, TimeInForce
from falconet.core.errors import ErrorKind
from falconet.core.events import (
    BalanceUpdate,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PositionUpdate,
)
from falconet.core.instrument import Instrument
from falconet.engine.errors import InvalidRequestError, describe_error
from falconet.engine.health.monitor import HealthMonitor
from falconet.engine.venue import (
    OrderReport,
    Sink,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.errors import error_kind
from falconet.venues.hyperliquid.execution import (
    Executor,
    SignerLike,
    status_error,
)
from falconet.venues.hyperliquid.instruments import (
    Market,
    Universe,
    dexes_needed,
)
from falconet.venues.hyperliquid.nonces import NonceSource
from falconet.venues.hyperliquid.orders import LiveOrder, OrderTracker, PendingAmend
from falconet.venues.hyperliquid.ratelimit import AddressBudget, WeightLimiter
from falconet.venues.hyperliquid.rest import RestClient
from falconet.venues.hyperliquid.settings import HyperliquidSettings
from falconet.venues.hyperliquid.signing import Signer
from falconet.venues.hyperliquid.units import MS, sz_rounded
from falconet.venues.hyperliquid.ws import HyperliquidSocket

log = get_logger("hyperliquid")

FILL_MEMORY = 50_000  # fill keys remembered for de-duplication
BALANCE_REFRESH_S = 1.0


class VenueCore:
    """State shared by the adapter's parts, and the helpers that report to the engine."""

    def __init__(
        self,
        settings: HyperliquidSettings,
        *,
        signer: SignerLike | None = None,
        nonces: NonceSource | None = None,
        monitor: HealthMonitor | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.settings = settings
        if signer is None and settings.private_key is not None:
            signer = Signer(settings.private_key, mainnet=settings.is_mainnet)
        self.signer = signer
        # the account queried and traded: a vault or sub-account, the main wallet, or the
        # signer itself when it is the main wallet
        self.user: str | None = (
            settings.vault_address
            or settings.account_address
            or (signer.address if signer is not None else None)
        )
        self._clock_ns = clock_ns
        self.limiter = WeightLimiter()
        self.budget = AddressBudget()
        self.rate_budget = self.budget  # spent by the engine's OMS (engine.venue.RateBudget)
        self.rest = RestClient(
            settings.rest_url, timeout_s=settings.request_timeout_s, limiter=self.limiter
        )
        self.socket = HyperliquidSocket(
            settings.ws_url,
            on_frame=self._on_frame,
            on_lost=self._on_lost,
            on_data=self._on_data,
            clock_ns=clock_ns,
        )
        self.monitor = monitor if monitor is not None else HealthMonitor()
        self._own_monitor = monitor is None
        self.nonces = nonces if nonces is not None else NonceSource()
        self.executor: Executor | None = None
        if signer is not None and self.user is not None:
            self.executor = Executor(
                signer=signer,
                nonces=self.nonces,
                rest=self.rest,
                socket=self.socket,
                user=self.user,
                vault_address=settings.vault_address,
                use_ws=settings.ws_post,
                timeout_s=settings.request_timeout_s,
                limiter=self.limiter,
                budget=self.budget,
            )
        self.tracker = OrderTracker()
        self._amends: dict[str, PendingAmend] = {}  # replacement cid -> unanswered amend
        self.universe = Universe(())
        self.instruments: dict[str, Instrument] = {}  # config symbol -> instrument
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._sink: Sink | None = None
        self._fill_keys: set[str] = set()
        self._fill_order: deque[str] = deque()
        self._watermark_ms = 0
        self._positions: dict[str, PositionUpdate] = {}  # coin -> last reported
        self._balances: dict[str, tuple[Decimal, Decimal]] = {}
        self._mids: dict[str, int] = {}  # coin -> mid price units, from books
        self._fees: msgs.UserFees | None = None
        self._cloid_of_oid: dict[int, str | None] = {}
        self._listed: list[OrderReport] = []
        self._listed_ns = 0  # when that list was asked for
        self._listed_ok = False  # the list was read on this connection
        self._spot_streamed = False  # webData2 carries spot balances (spotState)
        self._balance_refresh: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._dead_man: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False
        self.counts = {
            "decode_errors": 0,
            "reconnects": 0,
            "duplicate_fills": 0,
            "recover_errors": 0,
            "dead_man_errors": 0,
            "snapshot_fills_skipped": 0,
        }

    # the stream handlers, defined by the venue
    def _on_frame(self, channel: str, data: msgspec.Raw, raw: bytes, ts: int) -> None:
        raise NotImplementedError

    def _on_lost(self, reason: str) -> None:
        raise NotImplementedError

    def _on_data(self) -> None:
        raise NotImplementedError

    # defined by the trading and recovery parts
    async def _settle_order(self, lo: LiveOrder) -> None:
        raise NotImplementedError

    async def _flip_problem(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> str | None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"HyperliquidVenue(base_url={self.settings.base_url!r}, user={self.user!r})"

    def _market(self, inst: Instrument) -> Market:
        try:
            return self.universe.by_asset[int(inst.venue_ref)]
        except (KeyError, ValueError):
            raise InvalidRequestError(
                f"hyperliquid: {inst.id} is not a Hyperliquid market", venue="hyperliquid"
            ) from None

    def _dexes(self) -> list[str]:
        return ["", *sorted(dexes_needed(self.settings.symbols))]

    def fee_rates(self, instrument: Instrument) -> tuple[str, str] | None:
        if self._fees is None:
            return None
        return account.fee_pair(self._fees, instrument.kind)

    def _emit(self, event: Event) -> None:
        if self._sink is not None:
            self._sink(event)

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- fills --------------------------------------------------------------------------

    def _first_time(self, key: str) -> bool:
        if key in self._fill_keys:
            self.counts["duplicate_fills"] += 1
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
            if msg.is_snapshot and f.time < self._watermark_ms:
                self.counts["snapshot_fills_skipped"] += 1
                continue
            if self._first_time(account.fill_key(f)):
                self._emit_fill(f, ts)

    def _emit_fill(self, f: msgs.UserFill, ts: int) -> None:
        inst = self.universe.instrument_for_coin(f.coin)
        if inst is None:
            log.warning("fill for an unknown coin", coin=f.coin, oid=f.oid)
            return
        self._watermark_ms = max(self._watermark_ms, f.time)
        lo = self.tracker.find(f.oid, f.cloid)
        client_id = self.tracker.current_client_id(lo) if lo is not None else (f.cloid or "")
        event = account.fill_event(inst, f, client_id, ts)
        if lo is not None:
            lo.filled += event.size
        self.budget.traded(float(inst.notional(event.price, event.size)))
        self._emit(event)
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
                self._apply_balances(await self._spot_balances())
            except Exception as exc:
                log.info("balance refresh failed", error=describe_error(exc))

        self._balance_refresh = asyncio.get_running_loop().create_task(refresh())
        self._tasks.add(self._balance_refresh)
        self._balance_refresh.add_done_callback(self._tasks.discard)

    async def _spot_balances(self) -> list[BalanceUpdate]:
        raw = await self.rest.info({"type": "spotClearinghouseState", "user": self._need_user()})
        return account.spot_balances(msgs.SPOT_STATE.decode(raw), self._clock_ns())

    # --- order updates ------------------------------------------------------------------

    def _on_order_update(self, update: msgs.OrderUpdate, ts: int) -> None:
        o, status = update.order, update.status
        lo = self.tracker.find(o.oid, o.cloid)
        if lo is not None and lo.oid is None:
            self.tracker.bind(lo, o.oid)
        if status in ("open", "triggered"):
            if lo is not None:
                self._accept(lo, ts)
            return
        if status == "filled":
            return  # the fills say it, with prices and fees
        if lo is not None and lo.oid is not None and o.oid != lo.oid:
            return  # an oid the order no longer has (the old half of a same-id amend)
        rejected = status == "rejected" or status.endswith("Rejected")
        if lo is None:
            # not ours this session (placed before a restart, or by hand): tell the
            # engine by venue id, it knows adopted orders by it
            inst = self.universe.instrument_for_coin(o.coin)
            if inst is not None and not rejected:
                self._emit(
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
            self._reject(lo, status, ts)
        else:
            self._cancelled(lo, status, ts)

    def _base(self, lo: LiveOrder, ts: int) -> dict[str, Any]:
        return {
            "ts_exchange": ts,
            "ts_local": ts,
            "instrument_id": lo.instrument.id,
            "client_id": self.tracker.current_client_id(lo),
            "venue_order_id": str(lo.oid) if lo.oid is not None else None,
        }

    def _accept(self, lo: LiveOrder, ts: int) -> None:
        if lo.accepted or lo.done:
            return
        lo.accepted = True
        lo.accepted_ns = ts
        self._emit(OrderAccepted(**self._base(lo, ts)))

    def _reject(self, lo: LiveOrder, reason: str, ts: int, kind: ErrorKind | None = None) -> None:
        if lo.done or lo.accepted:
            return
        lo.done = True
        kind = error_kind(reason) if kind is None else kind
        self._emit(OrderRejected(**self._base(lo, ts), reason=reason, kind=kind))

    def _cancelled(self, lo: LiveOrder, reason: str, ts: int) -> None:
        if lo.done:
            return
        lo.done = True
        self._emit(OrderCanceled(**self._base(lo, ts), reason=reason))

    def _apply_status(self, lo: LiveOrder, status: Any, ts: int) -> None:
        """One entry of an order request's `statuses`: the real verdict (the envelope's
        "ok" only says the request was read)."""
        error = status_error(status)
        if error is not None:
            self._reject(lo, error, ts)
            return
        if isinstance(status, dict):
            for key in ("resting", "filled", "canceled"):
                body = status.get(key)
                if isinstance(body, dict) and "oid" in body:
                    self.tracker.bind(lo, int(body["oid"]))
            self._accept(lo, ts)
            filled = status.get("filled")
            if isinstance(filled, dict) and lo.tif is TimeInForce.IOC:
                total = sz_rounded(lo.instrument, str(filled.get("totalSz", "0")))
                if lo.filled_before + total < lo.quantity:
                    # the venue dropped the rest of an IOC; its fills follow on userFills
                    self._cancelled(lo, "ioc remainder canceled", ts)
            canceled = status.get("canceled")
            if isinstance(canceled, dict):
                self._cancelled(lo, str(canceled.get("status", "canceled")), ts)
        else:  # "waitingForFill", "waitingForTrigger": accepted, not resting yet
            self._accept(lo, ts)

    # --- account state ------------------------------------------------------------------

    def _on_web_data(self, data: msgs.WebData2, ts: int) -> None:
        if data.clearinghouse_state is not None:
            state = data.clearinghouse_state
            self._apply_positions(account.positions(self.universe, state, ts), {""}, ts)
            perp = account.perp_balance(state, ts)
            if perp is not None:
                self._apply_balances([perp])
        if data.spot_state is not None:
            self._spot_streamed = True
            self._apply_balances(account.spot_balances(data.spot_state, ts))

    def _apply_positions(
        self, current: dict[str, PositionUpdate], dexes: set[str], ts: int
    ) -> list[PositionUpdate]:
        """Report what changed; a coin we reported that the venue no longer lists is flat
        there: report 0 (the reconcile sweep)."""
        out = []
        for coin, upd in current.items():
            last = self._positions.get(coin)
            if last is None or (last.size, last.entry_price) != (upd.size, upd.entry_price):
                self._positions[coin] = upd
                out.append(upd)
        for coin in list(self._positions):
            m = self.universe.by_coin.get(coin)
            if coin in current or m is None or m.dex not in dexes:
                continue
            gone = self._positions.pop(coin)
            out.append(
                PositionUpdate(
                    ts_exchange=ts, ts_local=ts, instrument_id=gone.instrument_id, size=0
                )
            )
        for upd in out:
            self._emit(upd)
        return out

    def _apply_balances(self, rows: list[BalanceUpdate]) -> None:
        for b in rows:
            key = (b.total, b.free)
            if self._balances.get(b.asset) != key:
                self._balances[b.asset] = key
                self._emit(b)

    def _need_user(self) -> str:
        if self.user is None:
            raise InvalidRequestError(
                "hyperliquid: no account address (set a private key or account address)",
                venue="hyperliquid",
            )
        return self.user

    def _need_executor(self) -> Executor:
        if self.executor is None:
            raise InvalidRequestError(
                "hyperliquid: read-only (no private key configured)", venue="hyperliquid"
            )
        return self.executor
