"""After a reconnect: reconcile orders, replay missed fills, settle orders the venue no
longer lists, refresh positions and balances, then run the `on_reconnect` hooks.
"""

import asyncio
from collections.abc import Awaitable, Callable

from falconet.engine.errors import (
    VenueError,
    describe_error,
)
from falconet.engine.venue import OrderReport
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid.ledger import Ledger
from falconet.venues.hyperliquid.queries import Queries
from falconet.venues.hyperliquid.state import HlState
from falconet.venues.hyperliquid.trading import Trading

log = get_logger("hyperliquid")

FILL_CATCH_UP_MARGIN_MS = 2_000  # re-read a little before the watermark: clocks differ
RECOVER_ATTEMPTS = 6  # rounds of the reconcile steps after a reconnect, failed ones again
RECOVER_BACKOFF_S = 1.0  # first wait before a failed step runs again (doubling)
RECOVER_BACKOFF_MAX_S = 30.0


class Recovery:
    """The reconnect part: it reads through `queries`, reports through the ledger and
    settles unanswered orders through `trading`. It owns the open-order list read on the
    current connection."""

    def __init__(self, state: HlState, ledger: Ledger, queries: Queries, trading: Trading) -> None:
        self.state = state
        self.ledger = ledger
        self.queries = queries
        self.trading = trading
        self._listed: list[OrderReport] = []
        self._listed_ns = 0  # when that list was asked for
        self._listed_ok = False  # the list was read on this connection

    async def recover(self) -> None:
        """Resubscription is done by the socket; here: orders, missed fills, settling,
        positions and balances, then the hooks. Each step runs on its own: one that fails
        does not stop the others, and is retried with back-off (at most
        RECOVER_ATTEMPTS times) until it succeeds or the socket drops again (the next
        connection recovers afresh)."""
        socket = self.state.socket
        if self.state.user is not None:
            connection = socket.stats["connects"]
            self._listed_ok = False
            steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("orders", self._reconcile_orders),
                ("fills", self._catch_up_fills),
                ("settle", self._settle_orders),
                ("account", self.ledger.refresh_account),
            ]
            delay = RECOVER_BACKOFF_S
            for attempt in range(1, RECOVER_ATTEMPTS + 1):
                failed = []
                for name, step in steps:
                    if not self._same_connection(connection):
                        return
                    try:
                        await step()
                    except Exception as exc:
                        self.state.counts["recover_errors"] += 1
                        log.error(
                            "reconcile step failed",
                            step=name,
                            attempt=attempt,
                            error=describe_error(exc),
                        )
                        failed.append((name, step))
                steps = failed
                if not steps or attempt == RECOVER_ATTEMPTS:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECOVER_BACKOFF_MAX_S)
            if steps:
                log.error("reconcile gave up", steps=[name for name, _ in steps])
        if not self._same_connection(socket.stats["connects"]):
            return
        for hook in list(self.state.on_reconnect):
            try:
                await hook()
            except Exception as exc:
                log.error("on_reconnect hook failed", error=describe_error(exc))

    def _same_connection(self, connection: int) -> bool:
        socket = self.state.socket
        return not self.state.closed and socket.connected and socket.stats["connects"] == connection

    async def _reconcile_orders(self) -> None:
        listed_ns = self.state.clock_ns()
        self._listed = await self.queries.open_orders()
        self._listed_ns = listed_ns
        self._listed_ok = True
        listed = {int(r.venue_order_id) for r in self._listed}
        ts = self.state.clock_ns()
        for lo in list(self.state.tracker.by_cid.values()):
            if lo.oid in listed and not lo.accepted and not lo.done:
                self.ledger.accept(lo, ts)

    async def _catch_up_fills(self) -> None:
        since_ms = max(self.ledger.watermark_ms - FILL_CATCH_UP_MARGIN_MS, 0)
        rows = await self.queries.fetch_fills(since_ms)
        ts = self.state.clock_ns()
        for f in rows:
            if self.ledger.first_time(account.fill_key(f)):
                self.ledger.emit_fill(f, ts)

    async def _settle_orders(self) -> None:
        """Orders we think are resting that the venue no longer lists (and that did not
        fill) were canceled while we were away (only once this connection's list was
        read); orders and amends sent but never answered are looked up by cloid."""
        tracker = self.state.tracker
        if self._listed_ok:
            listed = {int(r.venue_order_id) for r in self._listed}
            ts = self.state.clock_ns()
            for lo in tracker.open():
                # an order accepted after the list was asked for may simply not be on it
                if lo.accepted_ns >= self._listed_ns:
                    continue
                busy = lo.inflight or lo.amending or lo.unresolved
                if lo.oid not in listed and not busy:
                    self.ledger.cancelled(lo, "not open at the venue after reconnect", ts)
        if self.state.executor is None:
            return
        error: Exception | None = None
        for lo in list(tracker.by_cid.values()):
            if lo.unresolved or not (lo.accepted or lo.done or lo.inflight):
                try:
                    await self.trading.settle_order(lo)
                except Exception as exc:  # the others are still settled; retried after
                    error = exc
        if error is not None:
            raise error
        if not self._listed_ok:  # the sweep needs this connection's list: again later
            raise VenueError("open orders not listed yet: sweep postponed", venue="hyperliquid")
