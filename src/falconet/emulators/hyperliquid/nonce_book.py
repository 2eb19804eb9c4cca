"""Per-signer nonces as the venue keeps them: the 100 highest seen; a new one must be
above the smallest kept, unused, and near the current time."""

from __future__ import annotations

import bisect

KEEP = 100
PAST_MS = 2 * 86_400_000
FUTURE_MS = 86_400_000


class NonceBook:
    def __init__(self) -> None:
        self._kept: dict[str, list[int]] = {}

    def check(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """Record `nonce` for `signer`, or say why the venue refuses it."""
        if not now_ms - PAST_MS < nonce < now_ms + FUTURE_MS:
            return f"Invalid nonce: {nonce} is outside the allowed time window"
        kept = self._kept.setdefault(signer, [])
        i = bisect.bisect_left(kept, nonce)
        if i < len(kept) and kept[i] == nonce:
            return f"Invalid nonce: duplicate nonce {nonce}"
        if len(kept) >= KEEP and nonce <= kept[0]:
            return f"Invalid nonce: {nonce} is lower than the smallest of the 100 highest"
        kept.insert(i, nonce)
        if len(kept) > KEEP:
            del kept[0]
        return None
