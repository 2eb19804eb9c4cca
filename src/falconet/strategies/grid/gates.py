"""The grid's balance gates: `asset_low`, `capital_low` and the expected base credit.

Both flags recover on events rather than on timers: `capital_low` clears only when the
available quote rises above the figure stamped on the cycle after the flag was set (a
fill or a cancel must have freed funds), `asset_low` when the sellable base covers the
next sell again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from falconet.observe.log import get_logger

log = get_logger("grid")


@dataclass
class BalanceGates:
    # Base bought but not yet in the reported balance; shrinks as the balance catches up.
    anticipated: Decimal = Decimal(0)
    last_base: Decimal | None = None
    asset_low: bool = False
    asset_low_base: Decimal | None = None  # base total when asset_low was set
    capital_low: bool = False
    capital_snapshot: Decimal | None = None  # stamped on the cycle after capital_low
    resuming: bool = False  # a balance flag just cleared
    just_filled_buy: bool = False

    def observe_base(self, base_total: Decimal | None) -> None:
        """Decay the anticipated credit by what the balance gained since last cycle."""
        if base_total is None:
            return
        if self.last_base is not None and base_total > self.last_base:
            gained = base_total - self.last_base
            self.anticipated = max(Decimal(0), self.anticipated - gained)
        self.last_base = base_total

    def expect_base(self, qty: Decimal) -> None:
        self.anticipated += qty

    # --- asset_low ------------------------------------------------------------------------

    def set_asset_low(self, base_total: Decimal | None, why: str) -> None:
        if not self.asset_low:
            log.info("asset_low set", reason=why)
        self.asset_low = True
        self.asset_low_base = base_total

    def recover_asset(
        self,
        available: Decimal | None,
        need: Decimal,
        base_total: Decimal | None,
        *,
        requires_change: bool,
    ) -> bool:
        """Clear `asset_low` if the sellable base covers `need` (and, where the venue
        asks for it, the base balance grew since the flag was set). True if cleared."""
        if not self.asset_low or available is None or available < need:
            return False
        if requires_change and (
            base_total is None
            or (self.asset_low_base is not None and base_total <= self.asset_low_base)
        ):
            return False
        self.asset_low = False
        self.asset_low_base = None
        self.resuming = True
        log.info("asset_low cleared", available=available)
        return True

    # --- capital_low ----------------------------------------------------------------------

    def set_capital_low(self) -> None:
        if not self.capital_low:
            log.info("capital_low set")
        self.capital_low = True
        self.capital_snapshot = None  # stamped next cycle, once the balance has settled

    def check_capital(self, available: Decimal | None) -> bool:
        """Stamp or test the snapshot; True if `capital_low` just cleared."""
        if not self.capital_low:
            return False
        if self.capital_snapshot is None:
            if available is not None:
                self.capital_snapshot = available
            return False
        if available is not None and available > self.capital_snapshot:
            self.capital_low = False
            self.capital_snapshot = None
            self.resuming = True
            log.info("capital_low cleared", available=available)
            return True
        return False

    def blocks(self, available: Decimal | None, need: Decimal) -> bool:
        """While `capital_low` holds, the cycle is skipped unless `need` is affordable."""
        return self.capital_low and (available is None or available < need)

    def after_sell(self) -> None:
        self.just_filled_buy = False
        self.resuming = False
