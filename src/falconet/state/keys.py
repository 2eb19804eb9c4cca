"""State keys: `"{strategy}:{symbol}:{venue}"`, e.g. `Grid:HYPE/USDC:hyperliquid`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

MIGRATED_PREFIX = "migrated"


def state_key(strategy: str, symbol: str, venue: str | Enum) -> str:
    venue_name = venue.value if isinstance(venue, Enum) else venue
    return f"{strategy}:{symbol}:{venue_name}"


def key_symbol(key: str) -> str | None:
    """The symbol part of a three-part key (symbols may contain `/` but not `:`)."""
    parts = key.split(":")
    return parts[1] if len(parts) == 3 else None


def legacy_key_map(
    symbols: Iterable[str], keys: Mapping[str, str] | Iterable[str]
) -> dict[str, str]:
    """Where each symbol of the legacy flat file goes.

    `keys` is either an explicit symbol → key mapping, or the configured keys: a symbol
    goes to the one configured key with that symbol, and to `migrated:{symbol}` when
    there is none or more than one (the state cannot be attributed, so it is kept aside
    rather than guessed).
    """
    if isinstance(keys, Mapping):
        explicit: Mapping[str, str] = keys
        return {s: explicit.get(s, f"{MIGRATED_PREFIX}:{s}") for s in symbols}
    by_symbol: dict[str, list[str]] = {}
    for key in keys:
        symbol = key_symbol(key)
        if symbol is not None:
            by_symbol.setdefault(symbol, []).append(key)
    out = {}
    for symbol in symbols:
        matches = sorted(set(by_symbol.get(symbol, [])))
        out[symbol] = matches[0] if len(matches) == 1 else f"{MIGRATED_PREFIX}:{symbol}"
    return out
