"""The live runtime: per-asset runners, supervisor, OMS, connection health, shutdown."""
