"""Auto-hedge: a spot entry's fills hedged with a perp short on the same account."""

from falconet.strategies.hedge.strategy import HedgeState, HedgeStrategy

__all__ = ["HedgeState", "HedgeStrategy"]
