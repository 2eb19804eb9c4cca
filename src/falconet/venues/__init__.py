"""Venue adapters: one package per venue, each a `engine.venue.VenueClient`."""

from falconet.core.enums import Venue

# Venues this version has an adapter for; entries on the others are accepted in config
# files (and paper-traded with `falconet run --paper`) but cannot trade them yet.
TRADABLE_VENUES = frozenset({Venue.PAPER, Venue.HYPERLIQUID})
