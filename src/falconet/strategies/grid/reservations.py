"""Quote held back for grid buys, shared by the grids of one venue account.

Each grid reports what its buys (resting, unacknowledged, or tracked but not yet seen)
could spend; a grid may spend the account's quote total minus what all of them hold. The
engine hands one instance to every grid on a venue; on its own a grid uses a private one.
"""

from __future__ import annotations

import threading
from decimal import Decimal


class QuoteReservations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, Decimal] = {}

    def set(self, owner: str, amount: Decimal) -> None:
        """Replace what `owner` holds (0 removes it)."""
        with self._lock:
            if amount > 0:
                self._held[owner] = amount
            else:
                self._held.pop(owner, None)

    def held(self, owner: str) -> Decimal:
        with self._lock:
            return self._held.get(owner, Decimal(0))

    def total(self) -> Decimal:
        with self._lock:
            return sum(self._held.values(), Decimal(0))
