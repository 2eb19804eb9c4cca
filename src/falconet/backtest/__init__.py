"""Replay of recorded or simulated markets through the simulator, with results."""
