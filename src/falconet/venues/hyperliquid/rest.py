"""POST /info and /exchange over aiohttp, within the IP weight budget.

HTTP failures become typed `engine.errors` (429 → RateLimitError, 5xx → server error,
other 4xx → invalid request); a 429 is waited out with back-off and retried a few
times, since the venue refused the request without acting on it.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import msgspec

from falconet.engine.errors import RateLimitError, VenueError, to_venue_error
from falconet.venues.hyperliquid.ratelimit import WeightLimiter, action_weight, info_weight

VENUE = "hyperliquid"
RATE_LIMIT_RETRIES = 3
_ENCODE = msgspec.json.Encoder()


class RestClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        limiter: WeightLimiter,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.limiter = limiter
        self._session = session
        self._own_session = session is None
        self.requests = 0

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    async def info(self, body: dict[str, Any]) -> bytes:
        """The raw JSON answer (callers decode it with the struct they expect)."""
        return await self._post("/info", body, info_weight(str(body.get("type", ""))))

    async def exchange(self, payload: dict[str, Any], batch_len: int = 1) -> bytes:
        return await self._post("/exchange", payload, action_weight(batch_len))

    async def _post(self, path: str, body: dict[str, Any], weight: int) -> bytes:
        data = _ENCODE.encode(body)
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire(weight)
            try:
                raw, status, retry_after = await self._send(path, data)
            except VenueError:
                raise
            except Exception as exc:  # transport failures leave the adapter typed
                raise to_venue_error(exc, venue=VENUE) from exc
            self.requests += 1
            if status == 429 and attempt <= RATE_LIMIT_RETRIES:
                await self.limiter.backoff(retry_after)
                continue
            if status >= 400:
                text = raw[:300].decode("utf-8", "replace")
                error = VenueError.from_status(status, f"{path}: {text}", venue=VENUE)
                if isinstance(error, RateLimitError):
                    error.retry_after_s = retry_after
                raise error
            self.limiter.succeeded()
            return raw

    async def _send(self, path: str, data: bytes) -> tuple[bytes, int, float | None]:
        session = self._get_session()
        headers = {"Content-Type": "application/json"}
        async with session.post(
            self.base_url + path, data=data, headers=headers, timeout=self.timeout
        ) as resp:
            raw = await resp.read()
            hint = resp.headers.get("Retry-After")
            retry_after = float(hint) if hint and hint.replace(".", "", 1).isdigit() else None
            return raw, resp.status, retry_after
