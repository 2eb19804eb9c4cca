"""After a reconnect: reconcile orders, replay missed fills, settle orders the venue no
longer lists, refresh positions and balances; and the flip guard, which asks the venue
before an order opens or closes a perp position.
"""

import asyncio
from collections.abc import Awaitable, Callable

from falconet.core.enums import InstrumentKind, Side
from falconet.core.events import PositionUpdate
from falconet.core.instrument import Instrument
from falconet.engine.errors import (
    VenueError,
    describe_error,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid.queries import Queries
from falconet.venues.hyperliquid.units import sz_rounded

log = get_logger("hyperliquid")

FILL_CATCH_UP_MARGIN_MS = 2_000  # re-read a little before the watermark: clocks differ
RECOVER_ATTEMPTS = 6  # rounds of the reconcile steps after a reconnect, failed ones again
RECOVER_BACKOFF_S = 1.0  # first wait before a failed step runs again (doubling)
RECOVER_BACKOFF_MAX_S = 30.0


class Recovery(Queries):
    """What a reconnect needs, and the flip guard."""

    # --- flip guard ---------------------------------------------------------------------

    async def flip_guard(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> bool:
        """True when the venue's position allows the order (see `_flip_problem`)."""
        return await self._flip_problem(instrument, side, quantity, exit=exit) is None

    async def _flip_problem(
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
        m = self._market(instrument)
        try:
            state = await self._clearinghouse(m.dex)
        except Exception as exc:
            log.warning("flip guard: position query failed", error=describe_error(exc))
            return "position query failed"
        live = 0
        for row in state.asset_positions:
            if row.position.coin == m.coin:
                live = sz_rounded(instrument, row.position.szi)
        flat = account.is_dust(instrument, live)
        memory = self._positions.get(m.coin)
        problem = None
        if not exit and not flat:
            problem = "entry_but_live_nonzero"
        elif exit and flat:
            problem = "exit_but_live_flat"
        elif exit and self._wrong_sign(live, side, memory):
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
        ts = self._clock_ns()
        self._apply_positions(account.positions(self.universe, state, ts), {m.dex}, ts)
        return problem

    @staticmethod
    def _wrong_sign(live: int, side: Side, memory: PositionUpdate | None) -> bool:
        """An exit must sell a long (buy a short), of the sign memory has."""
        if (live > 0) == (side is Side.BUY):
            return True
        return memory is not None and memory.size != 0 and (live > 0) != (memory.size > 0)

    # --- recovery after a reconnect -------------------------------------------------------

    async def _recover(self) -> None:
        """Resubscription is done by the socket; here: orders, missed fills, settling,
        positions and balances, then the hooks. Each step runs on its own: one that fails
        does not stop the others, and is retried with back-off (at most
        RECOVER_ATTEMPTS times) until it succeeds or the socket drops again (the next
        connection recovers afresh)."""
        if self.user is not None:
            connection = self.socket.stats["connects"]
            self._listed_ok = False
            steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("orders", self._reconcile_orders),
                ("fills", self._catch_up_fills),
                ("settle", self._settle_orders),
                ("account", self._refresh_account),
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
                        self.counts["recover_errors"] += 1
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
        if not self._same_connection(self.socket.stats["connects"]):
            return
        for hook in list(self.on_reconnect):
            try:
                await hook()
            except Exception as exc:
                log.error("on_reconnect hook failed", error=describe_error(exc))

    def _same_connection(self, connection: int) -> bool:
        return (
            not self._closed
            and self.socket.connected
            and self.socket.stats["connects"] == connection
        )

    async def _reconcile_orders(self) -> None:
        listed_ns = self._clock_ns()
        self._listed = await self.open_orders()
        self._listed_ns = listed_ns
        self._listed_ok = True
        listed = {int(r.venue_order_id) for r in self._listed}
        ts = self._clock_ns()
        for lo in list(self.tracker.by_cid.values()):
            if lo.oid in listed and not lo.accepted and not lo.done:
                self._accept(lo, ts)

    async def _catch_up_fills(self) -> None:
        since_ms = max(self._watermark_ms - FILL_CATCH_UP_MARGIN_MS, 0)
        rows = await self._fetch_fills(since_ms)
        ts = self._clock_ns()
        for f in rows:
            if self._first_time(account.fill_key(f)):
                self._emit_fill(f, ts)

    async def _settle_orders(self) -> None:
        """Orders we think are resting that the venue no longer lists (and that did not
        fill) were canceled while we were away (only once this connection's list was
        read); orders and amends sent but never answered are looked up by cloid."""
        if self._listed_ok:
            listed = {int(r.venue_order_id) for r in self._listed}
            ts = self._clock_ns()
            for lo in self.tracker.open():
                # an order accepted after the list was asked for may simply not be on it
                if lo.accepted_ns >= self._listed_ns:
                    continue
                busy = lo.inflight or lo.amending or lo.unresolved
                if lo.oid not in listed and not busy:
                    self._cancelled(lo, "not open at the venue after reconnect", ts)
        if self.executor is None:
            return
        error: Exception | None = None
        for lo in list(self.tracker.by_cid.values()):
            if lo.unresolved or not (lo.accepted or lo.done or lo.inflight):
                try:
                    await self._settle_order(lo)
                except Exception as exc:  # the others are still settled; retried after
                    error = exc
        if error is not None:
            raise error
        if not self._listed_ok:  # the sweep needs this connection's list: again later
            raise VenueError("open orders not listed yet: sweep postponed", venue="hyperliquid")
