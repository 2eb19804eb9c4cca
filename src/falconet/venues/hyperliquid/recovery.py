"""After a reconnect: reconcile orders, replay missed fills, settle orders the venue no
longer lists, refresh positions and balances; and the flip guard, which asks the venue
before an order opens or closes a perp position.
"""

from falconet.core.enums import InstrumentKind, Side
from falconet.core.instrument import Instrument
from falconet.engine.errors import (
    describe_error,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import account
from falconet.venues.hyperliquid.execution import (
    status_from_order,
)
from falconet.venues.hyperliquid.queries import Queries
from falconet.venues.hyperliquid.units import sz_rounded

log = get_logger("hyperliquid")

FILL_CATCH_UP_MARGIN_MS = 2_000  # re-read a little before the watermark: clocks differ


class Recovery(Queries):
    """What a reconnect needs, and the flip guard."""

    # --- flip guard ---------------------------------------------------------------------

    async def flip_guard(
        self, instrument: Instrument, side: Side, quantity: int, *, exit: bool
    ) -> bool:
        """Ask the venue before an order that opens (exit=False) or closes (exit=True) a
        perp position. An entry needs the venue flat; an exit needs a venue position on
        the other side of `side` at least `quantity` large (so it cannot flip). Sub-lot
        dust counts as flat. On a mismatch the positions are re-read and reported (the
        reconcile sweep) and False is returned; a failed query also returns False."""
        if instrument.kind is not InstrumentKind.PERP:
            return True
        m = self._market(instrument)
        try:
            state = await self._clearinghouse(m.dex)
        except Exception as exc:
            log.warning("flip guard: position query failed", error=describe_error(exc))
            return False
        live = 0
        for row in state.asset_positions:
            if row.position.coin == m.coin:
                live = sz_rounded(instrument, row.position.szi)
        flat = account.is_dust(instrument, live)
        problem = None
        if not exit and not flat:
            problem = "entry_but_live_nonzero"
        elif exit and flat:
            problem = "exit_but_live_flat"
        elif exit and (live > 0) == (side is Side.BUY):
            problem = "exit_side_sign_mismatch"
        elif exit and quantity > abs(live) + instrument.lot:
            problem = "exit_would_flip"
        if problem is None:
            return True
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
        return False

    # --- recovery after a reconnect -------------------------------------------------------

    async def _recover(self) -> None:
        """Resubscription is done by the socket; here: orders, missed fills, positions and
        balances, then the hooks. Failures are logged: the streams carry on regardless."""
        if self.user is not None:
            try:
                await self._reconcile_orders()
                await self._catch_up_fills()
                await self._settle_orders()
                await self._refresh_account()
            except Exception as exc:
                self.counts["recover_errors"] += 1
                log.error("reconcile after reconnect failed", error=describe_error(exc))
        for hook in list(self.on_reconnect):
            try:
                await hook()
            except Exception as exc:
                log.error("on_reconnect hook failed", error=describe_error(exc))

    async def _reconcile_orders(self) -> None:
        self._listed_ns = self._clock_ns()
        self._listed = await self.open_orders()
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
        fill) were canceled while we were away; orders sent but never answered are
        looked up by cloid."""
        listed = {int(r.venue_order_id) for r in self._listed}
        ts = self._clock_ns()
        for lo in self.tracker.open():
            # an order accepted after the list was asked for may simply not be on it
            if lo.accepted_ns >= self._listed_ns:
                continue
            if lo.oid not in listed and not lo.inflight and not lo.amending:
                self._cancelled(lo, "not open at the venue after reconnect", ts)
        executor = self.executor
        if executor is None:
            return
        for lo in list(self.tracker.by_cid.values()):
            if lo.accepted or lo.done or lo.inflight:
                continue
            info = await executor.order_status(lo.client_id)
            if info.order is None:
                self._reject(lo, "never reached the venue", self._clock_ns())
            else:
                self._apply_status(lo, status_from_order(info.order), self._clock_ns())
