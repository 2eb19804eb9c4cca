"""Converted tables of the shared data, built once per test run (conversions take seconds)."""

from __future__ import annotations

import functools
from pathlib import Path

from falconet.data.convert import convert
from falconet.data.convert.common import ConvertOptions
from falconet.data.format import EventTable

BINANCE_WINDOWS = {
    "usdm_0718": ("usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"),
    "usdm_0808": ("usdm_btcusdt_20240808.gz",),
    "spot_0808": ("spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"),
    "cm_0808": ("cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"),
}


@functools.cache
def converted(source_format: str, files: tuple[Path, ...], **options: object) -> EventTable:
    return convert(source_format, list(files), ConvertOptions(**options))  # type: ignore[arg-type]
