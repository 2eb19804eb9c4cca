"""Account and market queries over POST /info."""

import contextlib
from typing import Any

import msgspec

from falconet.core.events import (
    BalanceUpdate,
    Bar,
    Fill,
    PositionUpdate,
)
from falconet.core.instrument import Instrument
from falconet.engine.errors import (
    VenueError,
    describe_error,
)
from falconet.engine.venue import (
    OrderReport,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account, feed
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.core import VenueCore
from falconet.venues.hyperliquid.units import MS

log = get_logger("hyperliquid")

FILL_PAGE = 2000  # userFillsByTime answers at most this many fills


class Queries(VenueCore):
    """REST reads: open orders, fills (paginated), balances, positions, candles."""

    async def _fetch_positions(self) -> dict[str, PositionUpdate]:
        out: dict[str, PositionUpdate] = {}
        ts = self._clock_ns()
        for dex in self._dexes():
            state = await self._clearinghouse(dex)
            out.update(account.positions(self.universe, state, ts))
        return out

    async def _clearinghouse(self, dex: str) -> msgs.ClearinghouseState:
        body: dict[str, Any] = {"type": "clearinghouseState", "user": self._need_user()}
        if dex:
            body["dex"] = dex
        return msgs.CLEARINGHOUSE.decode(await self.rest.info(body))

    async def _sync_budget(self) -> None:
        """The address budget as the venue counts it (userRateLimit); a failed query
        leaves our own count, which errs on the side of the venue's start."""
        try:
            raw = await self.rest.info({"type": "userRateLimit", "user": self._need_user()})
            row = msgspec.json.decode(raw)
            self.budget.sync(int(row["nRequestsUsed"]), int(row["nRequestsCap"]))
        except Exception as exc:  # the budget is a guard, not a precondition
            log.warning("address budget not read", error=describe_error(exc))

    async def _refresh_account(self) -> None:
        ts = self._clock_ns()
        self._apply_positions(await self._fetch_positions(), set(self._dexes()), ts)
        self._apply_balances(await self.balances())

    # --- queries ------------------------------------------------------------------------

    async def open_orders(self) -> list[OrderReport]:
        user = self._need_user()
        out = []
        for dex in self._dexes():
            body: dict[str, Any] = {"type": "frontendOpenOrders", "user": user}
            if dex:
                body["dex"] = dex
            for o in msgs.OPEN_ORDERS.decode(await self.rest.info(body)):
                inst = self.universe.instrument_for_coin(o.coin)
                if inst is None:
                    continue
                lo = self.tracker.find(o.oid, o.cloid)
                if lo is not None and lo.oid is None:
                    self.tracker.bind(lo, o.oid)
                cid = self.tracker.current_client_id(lo) if lo is not None else o.cloid
                out.append(account.order_report(inst, o, cid))
        return out

    async def fills_since(self, since_ns: int) -> list[Fill]:
        rows = await self._fetch_fills(since_ns // MS)
        ts = self._clock_ns()
        out = []
        for f in rows:
            inst = self.universe.instrument_for_coin(f.coin)
            if inst is None:
                continue
            lo = self.tracker.find(f.oid, f.cloid)
            if lo is not None:
                cid = self.tracker.current_client_id(lo)
            else:
                cid = f.cloid or await self._cloid_by_oid(f.oid) or ""
            out.append(account.fill_event(inst, f, cid, ts))
        return out

    async def _fetch_fills(self, since_ms: int) -> list[msgs.UserFill]:
        """userFillsByTime, paginated (2000 per answer), oldest first, each fill once."""
        user = self._need_user()
        start, end = since_ms, self._clock_ns() // MS
        seen: dict[str, msgs.UserFill] = {}
        for _ in range(100):  # the venue keeps only the latest 10,000 fills anyway
            body = {
                "type": "userFillsByTime",
                "user": user,
                "startTime": start,
                "endTime": end,
                "aggregateByTime": False,
            }
            page = msgs.FILL_LIST.decode(await self.rest.info(body))
            self.limiter.charge(len(page) // 20)
            new = 0
            for f in page:
                key = account.fill_key(f)
                if key not in seen:
                    seen[key] = f
                    new += 1
            if len(page) < FILL_PAGE or new == 0:
                break
            times = [f.time for f in page]
            if times[0] >= times[-1]:  # newest first: continue below the oldest
                end = min(times)
            else:
                start = max(times)
        return sorted(seen.values(), key=lambda f: (f.time, f.tid))

    async def _cloid_by_oid(self, oid: int) -> str | None:
        """The cloid of an order we did not place this session (fills do not carry it)."""
        if oid in self._cloid_of_oid:
            return self._cloid_of_oid[oid]
        cloid = None
        if self.executor is not None or self.user is not None:
            with contextlib.suppress(VenueError, msgspec.DecodeError, msgspec.ValidationError):
                body = {"type": "orderStatus", "user": self._need_user(), "oid": oid}
                info = msgs.ORDER_STATUS.decode(await self.rest.info(body))
                if info.order is not None:
                    cloid = info.order.order.cloid
        self._cloid_of_oid[oid] = cloid
        return cloid

    async def balances(self) -> list[BalanceUpdate]:
        out = await self._spot_balances()
        perp = account.perp_balance(await self._clearinghouse(""), self._clock_ns())
        if perp is not None:
            out.append(perp)
        return out

    async def positions(self) -> list[PositionUpdate]:
        return list((await self._fetch_positions()).values())

    async def candles(
        self, instrument: Instrument, interval: str, start_ms: int, end_ms: int
    ) -> list[Bar]:
        """History for warm-up (candleSnapshot; the venue keeps the latest 5000 bars)."""
        coin = self._market(instrument).coin
        body = {
            "type": "candleSnapshot",
            "req": {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms},
        }
        rows = msgs.CANDLES.decode(await self.rest.info(body))
        self.limiter.charge(len(rows) // 60)
        return feed.bars(instrument, rows, self._clock_ns())
