"""Simulation settings from command-line values, with errors that name the option."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from falconet.sim.models import (
    FeeModel,
    Latency,
    LatencyModel,
    SimConfig,
    SimConfigError,
    parse_queue,
    venue_profile,
)

MS = 1_000_000


def latency_pair(option: str, text: str) -> Latency:
    """ "10" (entry = response = 10 ms) or "8,12" (entry 8 ms, response 12 ms)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise SimConfigError(f"{option} {text!r}: expected MS or ENTRY_MS,RESPONSE_MS") from None
    if len(values) not in (1, 2) or any(v < 0 for v in values):
        raise SimConfigError(f"{option} {text!r}: expected MS or ENTRY_MS,RESPONSE_MS (>= 0)")
    entry = values[0]
    resp = values[-1]
    return Latency(int(entry * MS), int(resp * MS))


def latency_model(
    *,
    latency_ms: str | None,
    place: str | None,
    amend: str | None,
    cancel: str | None,
    recording: Path | None,
) -> LatencyModel:
    base = latency_pair("--latency-ms", latency_ms) if latency_ms else Latency()
    if recording is not None:
        base = Latency.from_recording(recording)
    return LatencyModel(
        place=latency_pair("--place-latency-ms", place) if place else base,
        amend=latency_pair("--amend-latency-ms", amend) if amend else base,
        cancel=latency_pair("--cancel-latency-ms", cancel) if cancel else base,
    )


def funding_table(path: Path | None) -> np.ndarray | None:
    """CSV rows `ts_ns,rate` (rate as a fraction per funding period)."""
    if path is None:
        return None
    if not path.exists():
        raise SimConfigError(f"--funding {path}: no such file")
    try:
        raw = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise SimConfigError(f"--funding {path}: expected rows of ts_ns,rate ({exc})") from None
    if raw.shape[1] != 2:
        raise SimConfigError(f"--funding {path}: expected two columns ts_ns,rate")
    out = np.empty((raw.shape[0], 2), dtype=np.int64)
    out[:, 0] = raw[:, 0].astype(np.int64)
    out[:, 1] = np.round(raw[:, 1] * 1e12).astype(np.int64)
    return out[np.argsort(out[:, 0], kind="stable")]


def sim_config(
    *,
    queue: str,
    latency: LatencyModel,
    maker_fee: float,
    taker_fee: float,
    fee_model: str,
    fee_in_base: bool,
    venue: str,
    partial_fills: bool,
    balance: float | None,
    leverage: float,
    funding: np.ndarray | None,
    base: float = 0.0,
) -> SimConfig:
    if leverage <= 0:
        raise SimConfigError("--leverage must be > 0")
    if base < 0:
        raise SimConfigError("--base must be >= 0")
    return SimConfig(
        queue=parse_queue(queue),
        latency=latency,
        fees=FeeModel(maker_fee, taker_fee, fee_model, fee_in_base),
        venue=venue_profile(venue),
        partial_fills=partial_fills,
        initial_balance=balance,
        initial_base=base,
        leverage=leverage,
        funding=funding,
    )
