"""Converters from recorded market data to the `falconet.l2/1` event format, one module per
source. Each takes the source files, `ConvertOptions` and an optional progress sink, and
returns an `EventTable` ready for `write_events`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from falconet.data.convert.binance import convert_binance
from falconet.data.convert.common import ConvertError, ConvertOptions, ProgressSink
from falconet.data.convert.futures_top5 import convert_futures_top5
from falconet.data.convert.hyperliquid import convert_hyperliquid
from falconet.data.convert.lobster import convert_lobster
from falconet.data.convert.synthetic import convert_synthetic
from falconet.data.format import EventTable

Converter = Callable[[Sequence[str | Path], ConvertOptions | None, ProgressSink | None], EventTable]

CONVERTERS: dict[str, Converter] = {
    "binance": convert_binance,
    "hyperliquid": convert_hyperliquid,
    "futures-top5": convert_futures_top5,
    "lobster": convert_lobster,
    "synthetic": convert_synthetic,
}


def convert(
    source_format: str,
    sources: Sequence[str | Path],
    options: ConvertOptions | None = None,
    progress: ProgressSink | None = None,
) -> EventTable:
    """Convert `sources` of one instrument with the converter named `source_format`."""
    converter = CONVERTERS.get(source_format)
    if converter is None:
        raise ConvertError(
            f"unknown source format {source_format!r}: expected one of {', '.join(CONVERTERS)}"
        )
    return converter(sources, options, progress)


__all__ = ["CONVERTERS", "ConvertError", "ConvertOptions", "ProgressSink", "convert"]
