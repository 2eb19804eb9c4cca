"""Account queries over POST /info: the `Queries` part, reads only (it reports nothing)."""

import contextlib
from typing import Any

import msgspec

from falconet.core.events import (
    BalanceUpdate,
    Fill,
    PositionUpdate,
)
from falconet.engine.errors import (
    VenueError,
    describe_error,
)
from falconet.engine.venue import (
    OrderReport,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.state import HlState
from falconet.venues.hyperliquid.units import MS

log = get_logger("hyperliquid")

FILL_PAGE = 2000  # userFillsByTime answers at most this many fills


class Queries:
    """REST reads: open orders, fills (paginated), balances, positions, the address
    budget. Orders it lists are matched to the tracker's by oid or cloid."""

    def __init__(self, state: HlState) -> None:
        self.state = state
        self._cloid_of_oid: dict[int, str | None] = {}

    async def fetch_positions(self) -> dict[str, PositionUpdate]:
        out: dict[str, PositionUpdate] = {}
        ts = self.state.clock_ns()
        for dex in self.state.dexes():
            held = await self.clearinghouse(dex)
            out.update(account.positions(self.state.universe, held, ts))
        return out

    async def clearinghouse(self, dex: str) -> msgs.ClearinghouseState:
        body: dict[str, Any] = {"type": "clearinghouseState", "user": self.state.need_user()}
        if dex:
            body["dex"] = dex
        return msgs.CLEARINGHOUSE.decode(await self.state.rest.info(body))

    async def sync_budget(self) -> None:
        """The address budget as the venue counts it (userRateLimit); a failed query
        leaves our own count, which errs on the side of the venue's start."""
        try:
            body = {"type": "userRateLimit", "user": self.state.need_user()}
            row = msgspec.json.decode(await self.state.rest.info(body))
            self.state.budget.sync(int(row["nRequestsUsed"]), int(row["nRequestsCap"]))
        except Exception as exc:  # the budget is a guard, not a precondition
            log.warning("address budget not read", error=describe_error(exc))

    # --- queries ------------------------------------------------------------------------

    async def open_orders(self) -> list[OrderReport]:
        user = self.state.need_user()
        tracker = self.state.tracker
        out = []
        for dex in self.state.dexes():
            body: dict[str, Any] = {"type": "frontendOpenOrders", "user": user}
            if dex:
                body["dex"] = dex
            for o in msgs.OPEN_ORDERS.decode(await self.state.rest.info(body)):
                inst = self.state.universe.instrument_for_coin(o.coin)
                if inst is None:
                    continue
                lo = tracker.find(o.oid, o.cloid)
                if lo is not None and lo.oid is None:
                    tracker.bind(lo, o.oid)
                cid = tracker.current_client_id(lo) if lo is not None else o.cloid
                out.append(account.order_report(inst, o, cid))
        return out

    async def fills_since(self, since_ns: int) -> list[Fill]:
        rows = await self.fetch_fills(since_ns // MS)
        ts = self.state.clock_ns()
        tracker = self.state.tracker
        out = []
        for f in rows:
            inst = self.state.universe.instrument_for_coin(f.coin)
            if inst is None:
                continue
            lo = tracker.find(f.oid, f.cloid)
            if lo is not None:
                cid = tracker.current_client_id(lo)
            else:
                cid = f.cloid or await self._cloid_by_oid(f.oid) or ""
            out.append(account.fill_event(inst, f, cid, ts))
        return out

    async def fetch_fills(self, since_ms: int) -> list[msgs.UserFill]:
        """userFillsByTime, paginated (2000 per answer), oldest first, each fill once."""
        user = self.state.need_user()
        start, end = since_ms, self.state.clock_ns() // MS
        seen: dict[str, msgs.UserFill] = {}
        for _ in range(100):  # the venue keeps only the latest 10,000 fills anyway
            body = {
                "type": "userFillsByTime",
                "user": user,
                "startTime": start,
                "endTime": end,
                "aggregateByTime": False,
            }
            page = msgs.FILL_LIST.decode(await self.state.rest.info(body))
            self.state.limiter.charge(len(page) // 20)
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
        if self.state.executor is not None or self.state.user is not None:
            with contextlib.suppress(VenueError, msgspec.DecodeError, msgspec.ValidationError):
                body = {"type": "orderStatus", "user": self.state.need_user(), "oid": oid}
                info = msgs.ORDER_STATUS.decode(await self.state.rest.info(body))
                if info.order is not None:
                    cloid = info.order.order.cloid
        self._cloid_of_oid[oid] = cloid
        return cloid

    async def balances(self) -> list[BalanceUpdate]:
        out = await self.spot_balances()
        perp = account.perp_balance(await self.clearinghouse(""), self.state.clock_ns())
        if perp is not None:
            out.append(perp)
        return out

    async def spot_balances(self) -> list[BalanceUpdate]:
        body = {"type": "spotClearinghouseState", "user": self.state.need_user()}
        raw = await self.state.rest.info(body)
        return account.spot_balances(msgs.SPOT_STATE.decode(raw), self.state.clock_ns())

    async def positions(self) -> list[PositionUpdate]:
        return list((await self.fetch_positions()).values())
