"""`HlState`: what the adapter's parts share (connections, limits, the order tracker, the
market universe, the engine's sink), and the small helpers every part uses. It holds no
venue logic: the parts (feed, ledger, queries, trading, recovery) do, each given this
object and the other parts it needs.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from falconet.core.events import Event
from falconet.core.instrument import Instrument
from falconet.engine.errors import InvalidRequestError
from falconet.engine.health.monitor import HealthMonitor
from falconet.engine.venue import Sink
from falconet.venues.hyperliquid.execution import Executor, SignerLike
from falconet.venues.hyperliquid.instruments import Market, Universe, dexes_needed
from falconet.venues.hyperliquid.nonces import NonceSource
from falconet.venues.hyperliquid.orders import OrderTracker
from falconet.venues.hyperliquid.ratelimit import AddressBudget, WeightLimiter
from falconet.venues.hyperliquid.rest import RestClient
from falconet.venues.hyperliquid.settings import HyperliquidSettings
from falconet.venues.hyperliquid.signing import Signer
from falconet.venues.hyperliquid.ws import FrameHandler, HyperliquidSocket


class HlState:
    """State shared by the adapter's parts. The socket's callbacks are given by the
    venue, which routes frames to the part that reads them."""

    def __init__(
        self,
        settings: HyperliquidSettings,
        *,
        on_frame: FrameHandler,
        on_lost: Callable[[str], None],
        on_data: Callable[[], None],
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
        self.clock_ns = clock_ns
        self.limiter = WeightLimiter()
        self.budget = AddressBudget()
        self.rest = RestClient(
            settings.rest_url, timeout_s=settings.request_timeout_s, limiter=self.limiter
        )
        self.socket = HyperliquidSocket(
            settings.ws_url, on_frame=on_frame, on_lost=on_lost, on_data=on_data, clock_ns=clock_ns
        )
        self.monitor = monitor if monitor is not None else HealthMonitor()
        self.own_monitor = monitor is None
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
        self.universe = Universe(())
        self.instruments: dict[str, Instrument] = {}  # config symbol -> instrument
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self.sink: Sink | None = None
        self.tasks: set[asyncio.Task[None]] = set()  # background work, cancelled at close
        self.started = False
        self.closed = False
        self.counts = {
            "decode_errors": 0,
            "reconnects": 0,
            "duplicate_fills": 0,
            "recover_errors": 0,
            "dead_man_errors": 0,
            "snapshot_fills_skipped": 0,
        }

    def market(self, inst: Instrument) -> Market:
        try:
            return self.universe.by_asset[int(inst.venue_ref)]
        except (KeyError, ValueError):
            raise InvalidRequestError(
                f"hyperliquid: {inst.id} is not a Hyperliquid market", venue="hyperliquid"
            ) from None

    def dexes(self) -> list[str]:
        return ["", *sorted(dexes_needed(self.settings.symbols))]

    def emit(self, event: Event) -> None:
        if self.sink is not None:
            self.sink(event)

    def spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def need_user(self) -> str:
        if self.user is None:
            raise InvalidRequestError(
                "hyperliquid: no account address (set a private key or account address)",
                venue="hyperliquid",
            )
        return self.user

    def need_executor(self) -> Executor:
        if self.executor is None:
            raise InvalidRequestError(
                "hyperliquid: read-only (no private key configured)", venue="hyperliquid"
            )
        return self.executor
