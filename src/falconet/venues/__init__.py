"""Venue adapters: one package per venue, each a `engine.venue.VenueClient` built by the
factory it registers in `venues.registry`."""
