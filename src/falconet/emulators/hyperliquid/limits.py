"""Per-IP REST weight in a sliding minute, with the venue's weights per request."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

LIGHT_INFO = {
    "l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState",
    "exchangeStatus",
}  # fmt: skip
RATE_LIMITED = "429 Too Many Requests"


def info_weight(body: Any) -> int:
    kind = body.get("type") if isinstance(body, dict) else None
    if kind in LIGHT_INFO:
        return 2
    if kind == "userRole":
        return 60
    return 20


def exchange_weight(body: Any) -> int:
    action = body.get("action") if isinstance(body, dict) else None
    batch = 1
    if isinstance(action, dict):
        items = action.get("orders") or action.get("cancels") or action.get("modifies")
        batch = len(items) if isinstance(items, list) else 1
    return 1 + batch // 40


class IpWeights:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._spent: dict[str, deque[tuple[float, int]]] = {}
        self._total: dict[str, int] = {}

    def spend(self, ip: str, weight: int) -> bool:
        """Charge `weight` to `ip`; False (nothing charged) if the minute's budget is out."""
        now = self.clock()
        q = self._spent.setdefault(ip, deque())
        total = self._total.get(ip, 0)
        while q and q[0][0] <= now - 60.0:
            total -= q.popleft()[1]
        if total + weight > self.per_minute:
            self._total[ip] = total
            return False
        q.append((now, weight))
        self._total[ip] = total + weight
        return True
