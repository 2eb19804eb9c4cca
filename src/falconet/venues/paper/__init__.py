"""The paper venue: the simulator as a venue, fed by a recorded or simulated market."""

from falconet.venues.paper.venue import PaperVenue

__all__ = ["PaperVenue"]
