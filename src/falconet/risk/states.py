"""Trading states: ACTIVE, REDUCING (only orders that reduce exposure), HALTED (none).

A state is held per scope: the whole engine, one venue account, one trading entry. What
applies to an entry is the most severe of the three. Each state remembers why and since
when, so a halt is never silent; a state moved by a rule stays until it is reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

GLOBAL = "global"


class TradingState(IntEnum):
    ACTIVE = 0
    REDUCING = 1
    HALTED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass
class ScopeState:
    state: TradingState = TradingState.ACTIVE
    reason: str = ""
    rule: str = ""
    since_ns: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.label,
            "reason": self.reason,
            "rule": self.rule,
            "since_ns": self.since_ns,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScopeState:
        return cls(
            TradingState[str(data.get("state", "active")).upper()],
            str(data.get("reason", "")),
            str(data.get("rule", "")),
            int(data.get("since_ns", 0)),
        )


class StateBoard:
    """The states of every scope. Keys: "global", "account:<account id>" (the venue's name
    for its default account, "<venue>:<label>" for a labelled one), "entry:<key>"."""

    def __init__(self) -> None:
        self.scopes: dict[str, ScopeState] = {GLOBAL: ScopeState()}

    def get(self, scope: str) -> ScopeState:
        return self.scopes.setdefault(scope, ScopeState())

    def set(self, scope: str, state: TradingState, *, reason: str, rule: str, now_ns: int) -> bool:
        """Move `scope` to `state`; True if that changed it. A scope only moves to a more
        severe state by rule; `reset` brings it back."""
        current = self.get(scope)
        if state <= current.state:
            return False
        self.scopes[scope] = ScopeState(state, reason, rule, now_ns)
        return True

    def reset(self, scope: str, now_ns: int) -> None:
        self.scopes[scope] = ScopeState(TradingState.ACTIVE, "reset", "", now_ns)

    def effective(self, *scopes: str) -> tuple[str, ScopeState]:
        """The most severe state among `scopes` (and global), with the scope holding it."""
        worst_scope, worst = GLOBAL, self.get(GLOBAL)
        for scope in scopes:
            s = self.scopes.get(scope)
            if s is not None and s.state > worst.state:
                worst_scope, worst = scope, s
        return worst_scope, worst

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {scope: s.to_dict() for scope, s in self.scopes.items()}

    def restore(self, data: dict[str, Any]) -> None:
        """States saved by an earlier run: a halt survives a restart."""
        for scope, raw in data.items():
            if isinstance(raw, dict):
                self.scopes[str(scope)] = ScopeState.from_dict(raw)
