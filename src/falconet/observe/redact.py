"""Process-wide registry of secret values, scrubbed from every text falconet prints.

Secrets are registered once when they are loaded (config/secrets.py); logs, error
messages, dashboards and crash output pass their text through `redact` before it leaves
the process.
"""

from __future__ import annotations

import re
import threading

MASK = "***"
# Values shorter than this are not treated as secrets: masking "0" or "paper" everywhere
# would destroy logs without protecting anything.
MIN_SECRET_LEN = 6


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.secrets: set[str] = set()
        self.pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        with self.lock:
            if value in self.secrets:
                return
            self.secrets.add(value)
            # Longest first so a secret that contains another is masked whole.
            ordered = sorted(self.secrets, key=len, reverse=True)
            self.pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def clear(self) -> None:
        with self.lock:
            self.secrets.clear()
            self.pattern = None


_registry = _Registry()


def register_secret(value: str | None) -> None:
    """Remember `value` so that `redact` masks it from now on."""
    if value and len(value) >= MIN_SECRET_LEN:
        _registry.add(value)


def redact(text: str) -> str:
    """Return `text` with every registered secret replaced by `***`."""
    pattern = _registry.pattern
    if pattern is None:
        return text
    return pattern.sub(MASK, text)


def has_secrets() -> bool:
    return _registry.pattern is not None


def clear_secrets() -> None:
    """Forget every registered secret (tests only)."""
    _registry.clear()
