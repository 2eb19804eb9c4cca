"""Local servers that speak venues' real protocols, backed by the simulator."""
