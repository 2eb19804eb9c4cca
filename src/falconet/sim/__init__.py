"""The simulated venue: a compiled matching kernel (queue position, latency, fees) shared by
backtests, paper trading and the venue emulators, and a market simulator."""
