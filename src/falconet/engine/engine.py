"""The engine: venues, the OMS of each, one runner per trading entry, the supervisor,
the state store and the journal, started and stopped in the order that keeps every
order, fill and accumulated amount.

Start: open the store and journal → connect venues → build runners → reconcile open
orders (adopt ours, report or cancel the rest) → load balances → subscribe → start the
runners → replay to each strategy the fills it missed while down.

Stop: refuse new orders → cancel ours if the config says so → close the venues' feeds →
let each runner finish what it received, then stop it → flush and close state and journal.
"""

from __future__ import annotations

import asyncio
import fcntl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from falconet.config.schema import Config
from falconet.config.secrets import EnvSettings
from falconet.core.clock import Clock, LiveClock
from falconet.core.errors import FalconetError
from falconet.core.events import Fill, OrderEvent
from falconet.core.ids import ClientIdFactory
from falconet.core.instrument import Instrument
from falconet.core.orders import OrderStatus
from falconet.engine.build import EntryPlan, hedge_plans, make_clients, plan, strategy_factory
from falconet.engine.context import LiveContext, fee_rates
from falconet.engine.errors import describe_error
from falconet.engine.market import Account, MarketState
from falconet.engine.oms import FillGate, Managed, OrderManager, Owner
from falconet.engine.reconcile import ReconcileReport, reconcile_orders, replay_fills
from falconet.engine.router import Router
from falconet.engine.runner import Replay, Runner
from falconet.engine.safety import Holding, kill_all
from falconet.engine.supervisor import Supervisor
from falconet.engine.venue import VenueClient
from falconet.observe.log import get_logger
from falconet.observe.metrics import MetricsRegistry, Sample, counters_from, sample
from falconet.risk import GLOBAL, EntryRisk, RiskEngine, TradingState
from falconet.state.journal import Journal
from falconet.state.paths import ensure_dir, journal_path, state_path
from falconet.state.store import StateStore
from falconet.strategies.api import LinkedFill, Strategy
from falconet.strategies.fear_greed import FearGreedSource, FixedFearGreed
from falconet.strategies.grid.reservations import QuoteReservations

log = get_logger("engine")

FillListener = Callable[[EntryPlan, Instrument, Fill], None]
CANCEL_WAIT_S = 1.0  # how long a shutdown waits for cancel acknowledgements
SHUTDOWN_CANCEL_S = 0.5  # how long a strategy's own orders get to end before on_shutdown
STARTUP_WAIT_S = 10.0
HOUSEKEEPING_S = 10.0
RISK_EVERY_S = 0.25  # the loss rules look at the marked PnL this often
RISK_STATE_KEY = "risk"
KEEP_CLOSED_ORDERS = 1000  # finished orders the OMS remembers (the journal keeps all)


@dataclass
class Slot:
    """One trading entry at run time."""

    plan: EntryPlan
    instrument: Instrument
    owner: Owner
    runner: Runner
    market: MarketState
    risk: EntryRisk  # the risk engine's view of the entry


@dataclass
class VenueRuntime:
    """One venue account: its client, OMS, balances and the slots trading on it."""

    account_id: str  # "paper", "paper:MAIN"
    client: VenueClient
    oms: OrderManager
    account: Account
    router: Router
    data: VenueClient  # where its market data comes from: usually `client` itself
    slots: list[Slot] = field(default_factory=list)
    reservations: QuoteReservations = field(default_factory=QuoteReservations)


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        data_dir: Path,
        paper: bool = False,
        venues: Mapping[str, VenueClient] | None = None,
        fear_greed: FearGreedSource | None = None,
        env: EnvSettings | None = None,
        data_venues: Mapping[str, VenueClient] | None = None,
    ) -> None:
        self.config = config
        self.data_dir = ensure_dir(data_dir)
        self.plans = plan(config, paper=paper)
        self.hedge_plans = hedge_plans(config, self.plans)
        self._lock = lock_data_dir(self.data_dir)
        # by account id; a venue's default account's id is the venue's name
        if venues is None:
            built = make_clients(config, self.plans + self.hedge_plans, data_dir, env)
            venues, data_venues = built.execution, built.data
        self.clients: dict[str, VenueClient] = {str(k): v for k, v in venues.items()}
        # market data from another client than the account's own (where a venue says so)
        self.data_clients = {str(k): v for k, v in (data_venues or {}).items()}
        self.fear_greed = fear_greed if fear_greed is not None else FixedFearGreed(None)
        self.store = StateStore(state_path(self.data_dir))
        self.journal = Journal(journal_path(self.data_dir))
        self.metrics = MetricsRegistry()  # every component reports here; snapshot() reads it
        self.risk = RiskEngine(config.risk, clock=time.time_ns)
        self._restore_risk()
        self.risk.on_change = self._save_risk
        self.risk.kill_handler = self._on_kill
        self._kills: set[asyncio.Task[int]] = set()
        self.supervisor = Supervisor(
            reconcile=self._after_restart, on_halt=self._on_halt, metrics=self.metrics
        )
        self.venues: dict[str, VenueRuntime] = {}  # by account id
        self.slots: list[Slot] = []  # the trading entries'
        self.hedges: dict[str, Slot] = {}  # hedge runners, by the hedged entry's key
        self._slot_by_owner: dict[str, Slot] = {}  # owner key -> slot, for every order event
        self.fill_listeners: list[FillListener] = []
        self.reconciled: dict[str, ReconcileReport] = {}  # by account id
        self.started_ns = 0
        self.stopping = False
        self._housekeeping: asyncio.Task[None] | None = None
        self._risk_watch: asyncio.Task[None] | None = None
        self._ids = ClientIdFactory(int(time.time() * 1000))

    # --- start ----------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()  # leave nothing half-running
            raise

    async def _start(self) -> None:
        for account, client in self.clients.items():
            oms = OrderManager(client, self._ids, fills=FillGate())
            balances = Account()
            data = self.data_clients.get(account, client)
            # books may be taken inline only if the client that emits them allows it
            inline = _inline_books(client) and _inline_books(data)
            router = Router(account, oms, balances, inline_books=inline)
            client.set_sink(router)
            if data is not client:
                data.set_sink(router)  # its books and trades update the same markets
            oms.observers.append(self._observe)
            self.venues[account] = VenueRuntime(account, client, oms, balances, router, data)
        for rt in self.venues.values():
            await rt.client.connect()
            if rt.data is not rt.client:
                await rt.data.connect()
        for p in self.plans + self.hedge_plans:
            self._build(p)
        for p in self.plans:
            if p.entry.hedge and p.key not in self.hedges:
                log.warning("hedge is not available for this entry's venue", entry=p.key)
        self._register_metrics()
        for account, rt in self.venues.items():
            self.reconciled[account] = await reconcile_orders(
                rt.oms,
                rt.client,
                self._owners(rt),
                self._instruments(rt),
                cancel_unknown=self.config.orders.unknown_orders == "cancel",
                now_ns=self.clock(account).now_ns(),
            )
            for update in await rt.client.balances():
                rt.account.apply(update)
            for position in await rt.client.positions():
                rt.account.apply(position)
            await rt.data.subscribe(list(self._instruments(rt).values()))
        self.started_ns = time.time_ns()
        self._housekeeping = asyncio.get_running_loop().create_task(self._keep_house())
        self._risk_watch = asyncio.get_running_loop().create_task(self._watch_risk())
        for slot in self.all_slots():
            self.supervisor.start(slot.runner)
        for slot in self.all_slots():  # started: its replay is done (a failing one is restarting)
            try:
                await asyncio.wait_for(slot.runner.started.wait(), STARTUP_WAIT_S)
            except TimeoutError:
                log.warning("runner not started yet", runner=slot.plan.key)
        for account in self.venues:
            r = self.reconciled[account]
            log.info(
                "venue ready",
                account=account,
                adopted=len(r.adopted),
                unknown=len(r.unknown),
                canceled_unknown=len(r.canceled),
                closed_missing=len(r.closed),
                replayed_fills=r.replayed,
            )

    def all_slots(self) -> list[Slot]:
        """Every runner's slot: the entries', then the hedges'."""
        return self.slots + list(self.hedges.values())

    def clock(self, account: str) -> Clock:
        client_clock = getattr(self.clients[account], "clock", None)
        return client_clock if client_clock is not None else LiveClock()

    def _build(self, p: EntryPlan) -> None:
        rt = self.venues[p.account]
        inst = rt.client.instrument(p.symbol)
        symbols = [p.symbol] + ([p.hedges.symbol] if p.hedges else [])
        instruments = {symbol: rt.client.instrument(symbol) for symbol in symbols}
        make = strategy_factory(self.config, p, instruments, self.fear_greed, rt.reservations)
        market = rt.router.markets.get(inst.id) or MarketState(inst)
        # a hedge works one order at a time by itself; an entry's duplicates are refused
        owner = Owner(p.key, p.code, inst, _unset_deliver, one_inflight_per_side=p.hedges is None)
        fees = fee_rates(p.entry.maker_fee, p.entry.taker_fee, rt.client.fee_rates(inst))
        clock = self.clock(p.account)
        ctx = LiveContext(owner, rt.oms, market, rt.account, clock, fees, _no_op)
        ctx.reduce_only_ungated = p.hedges is not None
        # a hedge trades another instrument than its entry: the engine-wide limits apply
        limits = self.config.risk.limits if p.hedges else self.config.limits_for(p.entry)
        risk = self.risk.add_entry(p.key, p.account, ctx, limits)
        ctx.attach_risk(self.risk, risk)
        runner = Runner(
            p.key,
            make,
            ctx,
            save_state=self.store.put,
            load_state=self.store.get,
            time_scale=float(getattr(rt.client, "time_scale", 1.0)),
        )
        owner.deliver = runner.push
        slot = Slot(p, inst, owner, runner, market, risk)
        runner.replay = self._replayer(rt, slot)
        rt.slots.append(slot)
        rt.router.add(runner, market)
        self._slot_by_owner[owner.key] = slot
        if p.hedges is not None:
            self.hedges[p.hedges.key] = slot
        else:
            self.slots.append(slot)

    def _owners(self, rt: VenueRuntime) -> list[Owner]:
        return [s.owner for s in rt.slots]

    def _instruments(self, rt: VenueRuntime) -> dict[str, Instrument]:
        return {s.instrument.id: s.instrument for s in rt.slots}

    def _replayer(self, rt: VenueRuntime, slot: Slot) -> Replay:
        async def replay(strategy: Strategy) -> list[Fill]:
            """The fills the strategy missed while down, from its own watermark."""
            since = strategy.replay_from()
            if since is None:
                return []
            fills = await replay_fills(rt.oms, rt.client, slot.owner, since)
            for fill in fills:
                try:
                    self._journal_fill(slot, fill)
                except Exception as exc:  # the strategy still gets it; the log says why
                    log.error("journal write failed", trade_id=fill.trade_id, error=str(exc))
            self.reconciled[rt.account_id].replayed += len(fills)
            if fills:
                log.info("fills replayed", runner=slot.plan.key, fills=len(fills))
            return fills

        return replay

    async def _after_restart(self, runner: Runner) -> None:
        """Before the supervisor starts `runner` again: reconcile its orders (the new life
        then replays the fills it missed)."""
        for rt in self.venues.values():
            for slot in rt.slots:
                if slot.runner is runner:
                    await reconcile_orders(
                        rt.oms,
                        rt.client,
                        self._owners(rt),
                        self._instruments(rt),
                        cancel_unknown=False,
                        now_ns=slot.runner.ctx.now_ns,
                        only=slot.owner,
                    )

    def _register_metrics(self) -> None:
        """Routers and runners adopt the engine's registry; the OMS's and the venue
        clients' own stats records are read through collectors at snapshot time, so
        their increment sites stay as they are."""
        for account, rt in self.venues.items():
            rt.router.register_metrics(self.metrics)
            self.metrics.collector(_oms_collector(account, rt.oms))
            self.metrics.collector(_client_collector(account, rt.client))
        for slot in self.all_slots():
            slot.runner.register_metrics(self.metrics)

    def _on_halt(self, runner_key: str, reason: str) -> None:
        """The supervisor halted an entry: its trading state is HALTED (visible in the
        risk snapshot) and its resting orders are canceled (the other entries' stay), as
        nothing will manage them any more."""
        self.risk.trip(
            f"entry:{runner_key}",
            TradingState.HALTED,
            reason=reason,
            rule="strategy_failed",
            now_ns=time.time_ns(),
        )
        slot = self._slot_by_owner.get(runner_key)
        if slot is None:
            log.error("entry halted", entry=runner_key, reason=reason)
            return
        rt = self.venues[slot.plan.account]
        now = self.clock(slot.plan.account).now_ns()
        orders = rt.oms.open_orders(slot.owner)
        log.error("entry halted; canceling its orders", entry=runner_key, orders=len(orders))
        for m in orders:
            if m.order.status is not OrderStatus.PENDING_CANCEL:
                rt.oms.cancel(m.owner, m.order.client_id, now)

    # --- risk --------------------------------------------------------------------------------

    def kill(self, reason: str = "kill switch by command", *, flatten: bool | None = None) -> None:
        """The kill switch: every entry HALTED, every order canceled, positions closed
        with reduce-only orders if `flatten` (default: the config's flatten_on_kill)."""
        self.risk.kill(reason, time.time_ns(), flatten=flatten)

    def reset_risk(self, scope: str = GLOBAL) -> None:
        """Back to ACTIVE (a latched halt, a loss rule's state)."""
        self.risk.reset(scope, time.time_ns())

    def _on_kill(self, reason: str, flatten: bool) -> None:
        log.error("kill switch", reason=reason, flatten=flatten)
        task = asyncio.get_running_loop().create_task(
            kill_all(
                [rt.oms for rt in self.venues.values()],
                self._holdings(),
                flatten=flatten,
                now_ns=time.time_ns,
            )
        )
        self._kills.add(task)
        task.add_done_callback(self._kills.discard)

    async def wait_kills(self) -> None:
        """Until every kill switch run has sent its orders."""
        while self._kills:
            await asyncio.gather(*list(self._kills), return_exceptions=True)

    def _holdings(self) -> list[Holding]:
        out: list[Holding] = []
        for rt in self.venues.values():
            for slot in rt.slots:  # a hedge's own owner closes its short
                inst, pnl = slot.instrument, slot.risk.pnl
                out.append(Holding(rt.oms, rt.account, slot.owner, inst, pnl))
        return out

    async def _watch_risk(self) -> None:
        while True:
            await asyncio.sleep(RISK_EVERY_S)
            try:
                self.risk.evaluate(time.time_ns())
            except Exception as exc:  # the next round tries again; trading goes on
                log.error("risk evaluation failed", error=describe_error(exc))

    def _save_risk(self) -> None:
        self.store.put(RISK_STATE_KEY, {"states": self.risk.board.snapshot()})

    def _restore_risk(self) -> None:
        saved = self.store.get(RISK_STATE_KEY)
        states = saved.get("states") if isinstance(saved, dict) else None
        if isinstance(states, dict):
            self.risk.board.restore(states)
            halted = [
                k for k, v in self.risk.board.scopes.items() if v.state is not TradingState.ACTIVE
            ]
            if halted:
                log.warning("trading states carried over from the last run", scopes=halted)

    async def _keep_house(self) -> None:
        """Memory stays flat over days: finished orders leave the OMS (not the journal)."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            for rt in self.venues.values():
                rt.oms.forget_closed(keep=KEEP_CLOSED_ORDERS)

    # --- what the OMS accepted -----------------------------------------------------------

    def _observe(self, m: Managed, event: OrderEvent) -> None:
        slot = self._slot_by_owner.get(m.owner.key)
        if slot is None:
            log.error("order event for no entry", owner=m.owner.key, client_id=m.order.client_id)
            return
        if isinstance(event, Fill):
            self._journal_fill(slot, event)
            self.risk.on_fill(slot.risk, event, time.time_ns())
            hedge = self.hedges.get(slot.plan.key)
            if hedge is not None:  # the hedge follows this entry's fills
                hedge.runner.push(LinkedFill(slot.plan.key, event))
            if slot.plan.hedges is None:
                self._tell_listeners(slot, event)
        inst = slot.instrument
        self.journal.record_order(
            m.order,
            venue=slot.plan.account,  # the account id: the venue's name for its default
            strategy=slot.plan.strategy_name,
            symbol=slot.plan.symbol,
            price_decimals=inst.price_decimals,
            size_decimals=inst.size_decimals,
        )

    def _tell_listeners(self, slot: Slot, event: Fill) -> None:
        for listener in self.fill_listeners:
            try:
                listener(slot.plan, slot.instrument, event)
            except Exception as exc:  # a view or notice must not cost the journal
                log.error("fill listener failed", error=f"{type(exc).__name__}: {exc}")

    def _journal_fill(self, slot: Slot, fill: Fill) -> None:
        inst = slot.instrument
        self.journal.record_fill(
            fill,
            venue=slot.plan.account,  # the account id: the venue's name for its default
            strategy=slot.plan.strategy_name,
            symbol=slot.plan.symbol,
            price_decimals=inst.price_decimals,
            size_decimals=inst.size_decimals,
        )

    # --- stop -----------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop trading and leave everything on disk. Safe to call twice."""
        if self.stopping:
            return
        self.stopping = True
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        if self._risk_watch is not None:
            self._risk_watch.cancel()
        await self._shut_down_strategies()  # before new orders are refused
        for rt in self.venues.values():
            rt.oms.shutting_down = True
        if self.config.orders.cancel_on_shutdown:
            await self._cancel_all()
        for rt in self.venues.values():
            await rt.oms.drain()
        # Feeds stop first, then each runner works through what it already received
        # (a fill that arrived during the cancels is counted now, not at the next start).
        for rt in self.venues.values():
            for client in [rt.data] + ([rt.client] if rt.client is not rt.data else []):
                try:
                    await client.close()
                except Exception as exc:  # keep closing the others
                    log.error("venue close failed", account=rt.account_id, error=str(exc))
        await self.supervisor.stop(timeout=0.5)
        self.flush()
        for close in (self.store.close, self.journal.close, self._lock.close):
            try:
                close()
            except Exception as exc:
                log.error("closing state failed", error=f"{type(exc).__name__}: {exc}")

    async def _shut_down_strategies(self) -> None:
        """Strategies with an `on_shutdown` (a hedge closing its short): their orders are
        canceled and get a moment to end, then each says its last word. A strategy that
        fails here is logged; the stop goes on."""
        wanting = [s for s in self.all_slots() if _wants_shutdown(s)]
        for slot in wanting:
            if not slot.runner.running:  # restarting or halted: nobody to ask
                log.error(
                    "strategy not running at the stop: its on_shutdown is skipped "
                    "(a hedge's short stays open: close it by hand or with the kill switch)",
                    runner=slot.plan.key,
                )
        slots = [s for s in wanting if s.runner.running]
        if not slots:
            return
        for slot in slots:
            rt = self.venues[slot.plan.account]
            for m in rt.oms.open_orders(slot.owner):
                rt.oms.cancel(slot.owner, m.order.client_id, self.clock(rt.account_id).now_ns())
        deadline = time.monotonic() + SHUTDOWN_CANCEL_S
        while time.monotonic() < deadline and any(
            self.venues[s.plan.account].oms.open_orders(s.owner) for s in slots
        ):
            await asyncio.sleep(0.01)
        done = await asyncio.gather(*(s.runner.shutdown(CANCEL_WAIT_S) for s in slots))
        for slot, ok in zip(slots, done, strict=True):
            if not ok:
                log.error("on_shutdown did not run", runner=slot.plan.key)

    def flush(self) -> None:
        """Everything the engine acknowledged, on disk now (also after an abandoned stop).
        Failures are logged: a stop must go on."""
        for name, flush in (("state", self.store.flush), ("journal", self._flush_journal)):
            try:
                flush()
            except Exception as exc:
                log.error("flush failed", what=name, error=f"{type(exc).__name__}: {exc}")

    def _flush_journal(self) -> None:
        self.journal.flush(timeout=0.5)

    async def _cancel_all(self) -> None:
        pending = 0
        for rt in self.venues.values():
            for m in rt.oms.open_orders():
                pending += 1
                if m.order.status is not OrderStatus.PENDING_CANCEL:
                    now = self.clock(rt.account_id).now_ns()
                    rt.oms.cancel(m.owner, m.order.client_id, now)
        if not pending:
            return
        deadline = time.monotonic() + CANCEL_WAIT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            if not any(rt.oms.open_orders() for rt in self.venues.values()):
                return
        left = [m.order for rt in self.venues.values() for m in rt.oms.open_orders()]
        log.warning(
            "orders still open at shutdown",
            orders=len(left),
            detail=", ".join(f"{o.client_id}:{o.status.value}" for o in left[:10]),
        )

    # --- views ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, object]:
        return {
            "runners": self.supervisor.snapshot(),
            "venues": {
                account: {
                    "orders_open": len(rt.oms.open_orders()),
                    "oms": vars(rt.oms.stats),
                    "router": vars(rt.router.stats),
                }
                for account, rt in self.venues.items()
            },
            "metrics": self.metrics.snapshot(),
            "risk": self.risk.snapshot(),
        }


def lock_data_dir(directory: Path) -> IO[bytes]:
    """One engine per data directory: two would overwrite each other's state."""
    handle = (directory / ".lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise FalconetError(
            f"{directory} is in use by another falconet process; stop it or choose "
            "another --data-dir"
        ) from None
    return handle


# OmsStats field -> the middle of its metric name (others: falconet_oms_<field>_total)
OMS_METRIC_NAMES = {"sent": "orders_sent", "rejected_locally": "orders_rejected_locally"}


def _oms_collector(venue: str, oms: OrderManager) -> Callable[[], list[Sample]]:
    def collect() -> list[Sample]:
        out = counters_from(oms.stats, "falconet_oms", OMS_METRIC_NAMES, venue=venue)
        out.append(sample("falconet_oms_orders_open", len(oms.open_orders()), "gauge", venue=venue))
        return out

    return collect


def _client_collector(venue: str, client: VenueClient) -> Callable[[], list[Sample]]:
    """A venue adapter's `stats` (a dict of counts, if it has one) as
    `falconet_venue_<key>_total`."""

    def collect() -> list[Sample]:
        stats = getattr(client, "stats", None)
        return [] if stats is None else counters_from(stats, "falconet_venue", venue=venue)

    return collect


def _inline_books(client: VenueClient) -> bool:
    capabilities = getattr(client, "capabilities", None)  # a data-only client may have none
    return bool(getattr(capabilities, "inline_books", False))


def _wants_shutdown(slot: Slot) -> bool:
    strategy = slot.runner.strategy
    return strategy is not None and type(strategy).wants("on_shutdown")


def _no_op() -> None:
    pass


def _unset_deliver(event: object) -> None:
    raise RuntimeError("owner has no runner yet")
