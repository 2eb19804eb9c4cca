"""The Fear & Greed index: where strategies read it, and how the engine fetches it.

Strategies see a `FearGreedSource`: `value()` is the latest real reading (None when there
is none) and `request_refresh()` asks the engine for a new one. The engine owns a
`CachedFearGreed` and refreshes it with `CoinMarketCapClient` off the hot path. Only real
readings are cached, so "no reading" stays distinct from a neutral 50; strategies resolve
their ranges to the midpoint while there is no reading.

A `[lo, hi]` setting is resolved by linear interpolation: fear (0) gives `lo`, greed
(100) gives `hi`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import aiohttp

from falconet.config.values import DecimalRange
from falconet.observe.log import get_logger

log = get_logger("fng")

CMC_BASE_URL = "https://pro-api.coinmarketcap.com"
CMC_FNG_PATH = "/v3/fear-and-greed/latest"
CMC_KEY_HEADER = "X-CMC_PRO_API_KEY"
CMC_TIMEOUT_S = 5.0
REFRESH_POLL_S = 1.0


class FearGreedSource(Protocol):
    def value(self) -> float | None:
        """The latest reading (0 = extreme fear, 100 = extreme greed), None if none."""
        ...

    def request_refresh(self) -> None:
        """Ask for a fresh reading soon; never blocks."""
        ...


class FixedFearGreed:
    """A constant reading (or none): backtests, tests, and a manual override."""

    def __init__(self, value: float | None) -> None:
        self._value = value
        self.refresh_requests = 0

    def value(self) -> float | None:
        return self._value

    def request_refresh(self) -> None:
        self.refresh_requests += 1


class CachedFearGreed:
    """The process-wide reading the engine keeps fresh. Thread-safe: strategy runners
    read it and ask for refreshes, a background task writes it."""

    def __init__(self, value: float | None = None) -> None:
        self._lock = threading.Lock()
        self._value = _finite(value)
        self._refresh = False

    def value(self) -> float | None:
        with self._lock:
            return self._value

    def set(self, value: float) -> None:
        """Store a real reading (non-finite values are ignored)."""
        reading = _finite(value)
        if reading is None:
            return
        with self._lock:
            self._value = reading

    def request_refresh(self) -> None:
        with self._lock:
            self._refresh = True

    @property
    def refresh_requested(self) -> bool:
        with self._lock:
            return self._refresh

    def take_refresh_request(self) -> bool:
        """True once per request: reading the flag clears it."""
        with self._lock:
            wanted, self._refresh = self._refresh, False
            return wanted


def interpolate(bounds: DecimalRange, index: float | Decimal) -> Decimal:
    """`lo + clamp(index, 0, 100) × (hi − lo) / 100`, exact."""
    idx = index if isinstance(index, Decimal) else Decimal(repr(index))
    if not idx.is_finite():
        raise ValueError(f"Fear & Greed index must be finite, got {index!r}")
    idx = min(max(idx, Decimal(0)), Decimal(100))
    return bounds.lo + idx * (bounds.hi - bounds.lo) / 100


def midpoint(bounds: DecimalRange) -> Decimal:
    return (bounds.lo + bounds.hi) / 2


def resolve(bounds: DecimalRange, index: float | None) -> Decimal:
    """The value of a range for a reading; the midpoint when there is no reading."""
    if index is None or not math.isfinite(index):
        return midpoint(bounds)
    return interpolate(bounds, index)


def parse_reading(doc: Any) -> float | None:
    """`data.value` of CoinMarketCap's answer (the key `"value "` is tolerated), or None
    if the answer holds no finite number."""
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        return None
    raw = data.get("value", data.get("value "))
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _finite(float(raw))
    if isinstance(raw, str):
        try:
            return _finite(float(Decimal(raw.strip())))
        except (InvalidOperation, ValueError):
            return None
    return None


class CoinMarketCapClient:
    """Fetches the index from CoinMarketCap. `base_url` points elsewhere in tests."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = CMC_BASE_URL,
        timeout_s: float = CMC_TIMEOUT_S,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._key = api_key
        self._url = base_url.rstrip("/") + CMC_FNG_PATH
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._owns_session = session is None

    async def fetch(self) -> float | None:
        """One reading, or None on any failure (logged): a missing reading is never
        replaced by a made-up neutral value."""
        try:
            session = self._session_or_new()
            async with session.get(
                self._url, headers={CMC_KEY_HEADER: self._key}, timeout=self._timeout
            ) as resp:
                if resp.status != 200:
                    log.warning("fear & greed request failed", status=resp.status)
                    return None
                doc = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("fear & greed request failed", error=type(exc).__name__)
            return None
        reading = parse_reading(doc)
        if reading is None:
            log.warning("fear & greed answer has no value")
        return reading

    async def refresh(self, cache: CachedFearGreed) -> float | None:
        """Fetch and, if there is a reading, store it in `cache`."""
        reading = await self.fetch()
        if reading is not None:
            cache.set(reading)
        return reading

    async def run(
        self, cache: CachedFearGreed, stop: asyncio.Event, *, poll_s: float = REFRESH_POLL_S
    ) -> None:
        """Fetch once, then serve refresh requests (checked every `poll_s`) until `stop`."""
        await self.refresh(cache)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_s)
            if not stop.is_set() and cache.take_refresh_request():
                await self.refresh(cache)

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
