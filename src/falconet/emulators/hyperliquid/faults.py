"""Faults injected on command: from tests (`emulator.faults.lose_acks(1)`) or over HTTP
(`POST /_faults {"drop_ws": true, "delay_acks": 2, "lose_acks": 1, ...}`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    ack_delay_s: float = 0.0  # every /exchange answer waits this long
    acks_to_lose: int = 0  # the next N actions run but are never answered
    fills_to_duplicate: int = 0  # the next N userFills messages are sent twice
    requests_to_limit: int = 0  # the next N requests get the rate-limit answer
    _drop: list[Callable[[], None]] = field(default_factory=list)

    def drop_ws(self) -> None:
        """Close every WebSocket connection now."""
        for drop in self._drop:
            drop()

    def delay_acks(self, seconds: float) -> None:
        self.ack_delay_s = max(0.0, seconds)

    def lose_acks(self, n: int) -> None:
        self.acks_to_lose = max(0, n)

    def duplicate_fills(self, n: int) -> None:
        self.fills_to_duplicate = max(0, n)

    def rate_limit(self, n: int) -> None:
        self.requests_to_limit = max(0, n)

    def clear(self) -> None:
        self.ack_delay_s = 0.0
        self.acks_to_lose = self.fills_to_duplicate = self.requests_to_limit = 0

    def take_lost_ack(self) -> bool:
        if self.acks_to_lose > 0:
            self.acks_to_lose -= 1
            return True
        return False

    def take_limited(self) -> bool:
        if self.requests_to_limit > 0:
            self.requests_to_limit -= 1
            return True
        return False

    def take_duplicate(self) -> bool:
        if self.fills_to_duplicate > 0:
            self.fills_to_duplicate -= 1
            return True
        return False

    def command(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply an HTTP fault command; answers the state after it."""
        if body.get("clear"):
            self.clear()
        if "delay_acks" in body:
            self.delay_acks(float(body["delay_acks"]))
        if "lose_acks" in body:
            self.lose_acks(int(body["lose_acks"]))
        if "duplicate_fills" in body:
            self.duplicate_fills(int(body["duplicate_fills"]))
        if "rate_limit" in body:
            self.rate_limit(int(body["rate_limit"]))
        if body.get("drop_ws"):
            self.drop_ws()
        return self.state()

    def state(self) -> dict[str, Any]:
        return {
            "delay_acks": self.ack_delay_s,
            "lose_acks": self.acks_to_lose,
            "duplicate_fills": self.fills_to_duplicate,
            "rate_limit": self.requests_to_limit,
        }
