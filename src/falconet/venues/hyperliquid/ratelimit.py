"""Hyperliquid's request budgets, kept on our side so the venue never has to refuse.

Per IP: 1200 weight per minute. An /exchange action weighs 1 + floor(batch/40); info
requests weigh 2 (l2Book, allMids, clearinghouseState, orderStatus,
spotClearinghouseState, exchangeStatus), 60 (userRole) or 20 (the rest), plus
item-count surcharges we do not know in advance (charged after the answer).

Per address (actions only): one request per 1 USDC traded, starting from 10,000; when
spent, one request per 10 s. Cancels may go further: min(limit + 100,000, 2 × limit).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

IP_WEIGHT_PER_MIN = 1200
LIGHT_INFO = frozenset(
    {
        "l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState",
        "exchangeStatus",
    }
)  # fmt: skip
HEAVY_INFO = {"userRole": 60}
DEFAULT_INFO_WEIGHT = 20
ADDRESS_START_BUFFER = 10_000
ADDRESS_LIMITED_INTERVAL_S = 10.0
CANCEL_EXTRA = 100_000
BACKOFF_START_S = 1.0
BACKOFF_CAP_S = 30.0


def info_weight(info_type: str) -> int:
    if info_type in LIGHT_INFO:
        return 2
    return HEAVY_INFO.get(info_type, DEFAULT_INFO_WEIGHT)


def info_surcharge(info_type: str, items: int) -> int:
    """Extra weight for long answers: per 20 fills, per 60 candles."""
    if info_type in ("userFills", "userFillsByTime", "historicalOrders", "userFunding"):
        return items // 20
    if info_type == "candleSnapshot":
        return items // 60
    return 0


def action_weight(batch_len: int) -> int:
    return 1 + batch_len // 40


@dataclass
class LimitStats:
    waits: int = 0
    waited_s: float = 0.0
    backoffs: int = 0
    limit_errors: int = 0


class WeightLimiter:
    """A token bucket of `capacity` refilled evenly over `window_s`; `acquire` waits
    until the weight fits. After a limit error from the venue `backoff` waits, doubling
    up to a cap, until a request succeeds again."""

    def __init__(
        self,
        capacity: int = IP_WEIGHT_PER_MIN,
        window_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / window_s
        self.tokens = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._backoff_s = 0.0
        self.stats = LimitStats()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self, weight: int) -> None:
        weight = min(weight, int(self.capacity))
        self._refill()
        while self.tokens < weight:
            wait = (weight - self.tokens) / self.rate
            self.stats.waits += 1
            self.stats.waited_s += wait
            await self._sleep(wait)
            self._refill()
        self.tokens -= weight

    def charge(self, weight: int) -> None:
        """Weight learned after the fact (long answers); may go negative: later calls wait."""
        if weight > 0:
            self._refill()
            self.tokens -= weight

    async def backoff(self, hint_s: float | None = None) -> float:
        """The venue said we are over its limit: wait, longer each time in a row."""
        self.stats.limit_errors += 1
        self.stats.backoffs += 1
        self._backoff_s = min(BACKOFF_CAP_S, max(BACKOFF_START_S, self._backoff_s * 2))
        wait = max(self._backoff_s, hint_s or 0.0)
        self.stats.waited_s += wait
        await self._sleep(wait)
        return wait

    def succeeded(self) -> None:
        self._backoff_s = 0.0


class AddressBudget:
    """Actions per address: 10,000 + 1 per USDC traded; when spent, one per 10 s.

    The adapter describes the counter and keeps it in sync (the venue's own count at
    connect, the volume its fills trade, the actions it sends by itself); the engine's
    OMS spends it for every order, amend and cancel it sends (`engine.venue.RateBudget`),
    refusing an order the venue would refuse rather than holding it back."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.used = 0
        self.traded_usdc = 0.0  # since the last sync
        self._base_cap = ADDRESS_START_BUFFER
        self._clock = clock
        self._sleep = sleep
        self._last_limited = -1e18
        self.stats = LimitStats()
        self.refused = 0

    @property
    def cap(self) -> int:
        return self._base_cap + int(self.traded_usdc)

    def cancel_cap(self) -> int:
        return min(self.cap + CANCEL_EXTRA, 2 * self.cap)

    def sync(self, used: int, cap: int) -> None:
        """The venue's own count (userRateLimit: nRequestsUsed, nRequestsCap); volume
        traded from now on raises the cap from there."""
        self.used = used
        self._base_cap = cap
        self.traded_usdc = 0.0

    def traded(self, notional_usdc: float) -> None:
        self.traded_usdc += notional_usdc

    def try_spend(self, n: int = 1) -> str | None:
        """Spend `n` requests for an order or amend; why not (nothing spent) when the
        budget is used up and the one request per 10 s was taken."""
        if self.used + n <= self.cap:
            self.used += n
            return None
        now = self._clock()
        if now - self._last_limited >= ADDRESS_LIMITED_INTERVAL_S:
            self._last_limited = now
            self.used += n
            return None
        self.refused += 1
        return (
            f"address request budget spent ({self.used} of {self.cap}): one request per "
            f"{ADDRESS_LIMITED_INTERVAL_S:g} s until more volume trades"
        )

    def spent_at_venue(self) -> None:
        """The venue refused an action for the address budget: it is spent, and the one
        request per 10 s was just taken (whatever our own count said)."""
        self.used = max(self.used, self.cap)
        self._last_limited = self._clock()

    def charge(self, n: int = 1, *, cancel: bool = False) -> None:
        """Count requests that go whatever the budget says (cancels, the kill switch, the
        adapter's own actions and retries): the venue counts them too."""
        cap = self.cancel_cap() if cancel else self.cap
        if self.used + n > cap:
            self._last_limited = self._clock()
        self.used += n
