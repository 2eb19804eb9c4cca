"""Hyperliquid: spot and perps over one WebSocket, with REST as fallback."""

from falconet.venues.hyperliquid.settings import HyperliquidSettings
from falconet.venues.hyperliquid.venue import HyperliquidVenue

__all__ = ["HyperliquidSettings", "HyperliquidVenue"]
