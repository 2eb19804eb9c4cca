"""Strategies: pure logic reacting to events through the context API (`api.py`)."""

from falconet.strategies.api import Context, OpenOrder, Quote, Strategy, Wakeup
from falconet.strategies.registry import STRATEGIES, make_strategy

__all__ = ["STRATEGIES", "Context", "OpenOrder", "Quote", "Strategy", "Wakeup", "make_strategy"]
