"""The paper venue's factory: one simulated account per label, each with its own files."""

from __future__ import annotations

from collections.abc import Sequence

from falconet.core.enums import Venue
from falconet.engine.venue import VenueClient
from falconet.venues.registry import AccountPlan, register

ACCOUNTS_DIR = (
    "paper-accounts"  # a labelled paper account's files: <data dir>/paper-accounts/<LABEL>
)


class PaperFactory:
    venue = Venue.PAPER

    def hedge_symbol(self, symbol: str) -> str | None:
        return None  # the simulator has no perps to hedge with

    def check(self, plans: Sequence[AccountPlan]) -> None:
        pass

    def build_data(self, plan: AccountPlan) -> VenueClient | None:
        return None  # the simulated market is the venue's own

    def build(self, plan: AccountPlan) -> VenueClient:
        from falconet.venues.paper.venue import PaperVenue  # noqa: PLC0415

        state_dir = plan.data_dir
        if plan.label is not None:
            state_dir = plan.data_dir / ACCOUNTS_DIR / plan.label
            state_dir.mkdir(parents=True, exist_ok=True)
        return PaperVenue(plan.config.paper, list(plan.symbols), state_dir=state_dir)


register(PaperFactory())
