"""The risk layer: trading states, pre-trade rules, order-rate budgets, the engine-wide
PnL and its loss limits, the kill switch (docs/risk.md)."""

from falconet.risk.engine import EntryRisk, RiskEngine
from falconet.risk.rules import Exposure, Proposal, Refusal
from falconet.risk.states import GLOBAL, TradingState

__all__ = [
    "GLOBAL",
    "EntryRisk",
    "Exposure",
    "Proposal",
    "Refusal",
    "RiskEngine",
    "TradingState",
]
