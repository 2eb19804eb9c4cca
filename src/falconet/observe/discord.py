"""Fill notifications to a Discord webhook, off the hot path.

    notifier = DiscordNotifier.from_settings(env)    # disabled (one info line) without a URL
    await notifier.start()
    notifier.notify(FillInfo.from_fill(fill, venue=..., symbol=..., ...))   # never blocks
    await notifier.stop()

`notify` puts the fill in a ring of 1024 (the oldest is dropped when full) after
de-duplicating on (order id, trade id) over the last 512 fills. One consumer task drains
the ring: fills older than 300 s when read are dropped (a reconnect replaying old fills
must not flood the channel), the rest are sent in messages of at most 10 fills. A token
bucket of 5 tokens refilled one per 0.4 s paces the POSTs (Discord allows 5 per 2 s per
webhook). A 429 waits for its Retry-After (2 s if absent, at most 60 s), any other
failure 5 s; a message is dropped after 3 attempts. A crashed consumer restarts after
10 s. Call `notify` from the event loop's thread.

The webhook URL contains the webhook's token: it is a `Secret`, and it is never logged
or put into an error message (failures are reported by status code or exception type).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import msgspec

from falconet.config.secrets import Secret
from falconet.observe.discord_payload import FillInfo, batches, webhook_payload
from falconet.observe.log import get_logger
from falconet.observe.redact import register_secret

log = get_logger("discord")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

QUEUE_SIZE = 1024
DEDUP_SIZE = 512
MAX_AGE_S = 300.0
BUCKET_TOKENS = 5
BUCKET_REFILL_S = 0.4
MAX_ATTEMPTS = 3
RETRY_AFTER_DEFAULT_S = 2.0
RETRY_AFTER_MAX_S = 60.0
FAILURE_DELAY_S = 5.0
RESTART_DELAY_S = 10.0
GATHER_S = 0.05  # fills that arrive this close together share a message
REQUEST_TIMEOUT_S = 10.0
_TOKEN_EPSILON = 1e-9


class _WebhookSettings(Protocol):
    @property
    def discord_webhook_url(self) -> Secret | None: ...


class TokenBucket:
    """`capacity` tokens, one more every `refill_s`; `acquire` waits for a whole one."""

    def __init__(
        self,
        capacity: int = BUCKET_TOKENS,
        refill_s: float = BUCKET_REFILL_S,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.capacity = capacity
        self.refill_s = refill_s
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(capacity)
        self._last = clock()

    def available(self) -> float:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) / self.refill_s)
        self._last = now
        return self._tokens

    async def acquire(self) -> float:
        """Take one token; returns the seconds waited for it."""
        waited = 0.0
        # The tolerance stops float rounding from asking for ever-smaller sleeps.
        while self.available() < 1 - _TOKEN_EPSILON:
            delay = (1 - self._tokens) * self.refill_s
            await self._sleep(delay)
            waited += delay
        self._tokens = max(self._tokens - 1, 0.0)
        return waited


def retry_after_s(header: str | None) -> float:
    """The wait a 429 asks for: its Retry-After in seconds, 2 s if absent or unreadable,
    at most 60 s."""
    try:
        value = float(header) if header is not None else RETRY_AFTER_DEFAULT_S
    except ValueError:
        value = RETRY_AFTER_DEFAULT_S
    if math.isnan(value) or value < 0:
        value = RETRY_AFTER_DEFAULT_S
    return min(value, RETRY_AFTER_MAX_S)


@dataclass
class NotifierStats:
    duplicates: int = 0  # notify() calls for a fill already seen
    overflowed: int = 0  # fills pushed out of a full ring before being read
    stale: int = 0  # fills older than max_age_s when read
    sent_messages: int = 0
    sent_fills: int = 0
    failed_attempts: int = 0  # POSTs that did not succeed (429s included)
    dropped_messages: int = 0  # given up after MAX_ATTEMPTS
    dropped_fills: int = 0
    restarts: int = 0  # consumer crashes


class DiscordNotifier:
    """Sends fills to one webhook; disabled (every call a no-op) without a URL."""

    def __init__(
        self,
        webhook_url: Secret | None,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        max_age_s: float = MAX_AGE_S,
        gather_s: float = GATHER_S,
        restart_delay_s: float = RESTART_DELAY_S,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._url = webhook_url
        self._sleep = sleep
        self._wall_clock = wall_clock
        self.max_age_s = max_age_s
        self.gather_s = gather_s
        self.restart_delay_s = restart_delay_s
        self.request_timeout_s = request_timeout_s
        self.stats = NotifierStats()
        self._bucket = TokenBucket(clock=clock, sleep=sleep)
        self._pending: deque[FillInfo] = deque()
        self._seen: set[tuple[str, str]] = set()
        self._seen_order: deque[tuple[str, str]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._session = session
        self._owns_session = session is None
        if webhook_url is None:
            log.info("Discord fill notifications off: DISCORD_WEBHOOK_URL is not set")
        else:
            # The token alone (an HTTP library's log may show only the path) is masked too.
            register_secret(urlsplit(webhook_url.reveal()).path.rstrip("/").rpartition("/")[2])

    @classmethod
    def from_settings(cls, settings: _WebhookSettings, **options: Any) -> DiscordNotifier:
        return cls(settings.discord_webhook_url, **options)

    @property
    def enabled(self) -> bool:
        return self._url is not None

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"<DiscordNotifier {state} pending={len(self._pending)}>"

    # --- producer side ------------------------------------------------------------------

    def notify(self, fill: FillInfo) -> bool:
        """Queue a fill for notification; False if disabled or a duplicate."""
        if self._url is None:
            return False
        key = fill.dedup_key
        if key in self._seen:
            self.stats.duplicates += 1
            return False
        self._seen.add(key)
        self._seen_order.append(key)
        if len(self._seen_order) > DEDUP_SIZE:
            self._seen.discard(self._seen_order.popleft())
        if len(self._pending) >= QUEUE_SIZE:
            self._pending.popleft()
            self.stats.overflowed += 1
        self._pending.append(fill)
        self._idle.clear()
        self._wake.set()
        return True

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._url is None or self._task is not None:
            return
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.request_timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
        self._task = asyncio.create_task(self._supervise(), name="discord-notifier")
        log.info("Discord fill notifications enabled")

    async def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until every queued fill is sent or dropped; False on timeout."""
        if self._task is None:
            return not self._pending
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self, drain_timeout_s: float = 5.0) -> None:
        """Send what is queued (for at most `drain_timeout_s`), then stop."""
        if self._task is not None:
            await self.drain(drain_timeout_s)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    # --- consumer -----------------------------------------------------------------------

    async def _supervise(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.restarts += 1
                log.error(
                    "Discord notifier crashed; restarting",
                    error=self._scrub(f"{type(exc).__name__}: {exc}"),
                    restart_in_s=self.restart_delay_s,
                )
                await self._sleep(self.restart_delay_s)

    async def _consume(self) -> None:
        while True:
            while not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            if self.gather_s > 0:
                await self._sleep(self.gather_s)
            fills = list(self._pending)
            self._pending.clear()
            now = self._wall_clock()
            fresh = [f for f in fills if now - f.timestamp <= self.max_age_s]
            if len(fresh) < len(fills):
                self.stats.stale += len(fills) - len(fresh)
                log.info(
                    "old fills not notified",
                    count=len(fills) - len(fresh),
                    max_age_s=self.max_age_s,
                )
            for batch in batches(fresh):
                await self._send(batch)

    async def _send(self, batch: list[FillInfo]) -> bool:
        body = msgspec.json.encode(webhook_payload(batch, self._wall_clock()))
        outcome = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await self._bucket.acquire()
            status, retry_after, problem = await self._post(body)
            if status is not None and 200 <= status < 300:
                self.stats.sent_messages += 1
                self.stats.sent_fills += len(batch)
                return True
            self.stats.failed_attempts += 1
            outcome = f"HTTP {status}" if status is not None else problem
            if attempt == MAX_ATTEMPTS:
                break
            delay = retry_after_s(retry_after) if status == 429 else FAILURE_DELAY_S
            log.warning(
                "Discord webhook post failed; retrying",
                attempt=attempt,
                outcome=outcome,
                retry_in_s=delay,
            )
            await self._sleep(delay)
        self.stats.dropped_messages += 1
        self.stats.dropped_fills += len(batch)
        log.error(
            "Discord message dropped",
            attempts=MAX_ATTEMPTS,
            fills=len(batch),
            outcome=outcome,
            dropped_total=self.stats.dropped_fills,
        )
        return False

    async def _post(self, body: bytes) -> tuple[int | None, str | None, str]:
        """(status, Retry-After header, problem) of one POST; never raises for network
        trouble, and never lets the URL into what it returns."""
        assert self._session is not None and self._url is not None
        headers = {"Content-Type": "application/json"}
        try:
            async with self._session.post(
                self._url.reveal(), data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                return response.status, response.headers.get("Retry-After"), ""
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, None, type(exc).__name__

    def _scrub(self, text: str) -> str:
        # Exception texts can quote the URL; the redaction registry would mask it too,
        # this does not depend on it.
        return text.replace(self._url.reveal(), "<webhook>") if self._url else text
