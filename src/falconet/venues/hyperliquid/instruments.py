"""Hyperliquid markets: `meta`, `spotMeta` and the HIP-3 dexes' `meta(dex)` turned into
falconet instruments, and config symbols resolved to the venue's coin names.

Config symbols: "HYPE/USDC" (a spot pair by token names, the SDK's rule: the first pair
with those names wins), "@107" (a spot coin name), "PURR/USDC" (both: the one pair
whose coin name is its pair name), "BTC" (a perp on the first dex), "xyz:XYZ100" (a perp
on the HIP-3 dex "xyz").

Asset ids: perp = index in the dex's universe; spot = 10000 + spotMeta index; HIP-3 =
100000 + perpDexs position * 10000 + index. The docs write it that way; the SDK writes
110000 + i * 10000 with i counted from the first builder dex, which is the same number
because perpDexs lists the first dex as null at position 0.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from falconet.core.enums import InstrumentKind, Venue
from falconet.core.errors import FalconetError, PrecisionError
from falconet.core.instrument import Instrument
from falconet.core.precision import SigFigRule

SPOT_OFFSET = 10_000
BUILDER_DEX_OFFSET = 100_000
BUILDER_DEX_STRIDE = 10_000
PERP_QUOTE = "USDC"
MIN_NOTIONAL = Decimal(10)  # USDC: the smallest order value, spot and perps
PERP_MAX_DECIMALS = 6
SPOT_MAX_DECIMALS = 8


class UnknownSymbolError(FalconetError):
    """A config symbol the venue does not list."""


@dataclass(frozen=True, slots=True)
class Market:
    """One tradable coin as the venue names it on the wire."""

    coin: str  # wire name: "BTC", "xyz:XYZ100", "@107", "PURR/USDC"
    asset: int
    kind: InstrumentKind
    base: str
    quote: str
    sz_decimals: int
    dex: str = ""  # perp dex name ("" = the first dex); "" for spot
    max_leverage: int | None = None
    only_isolated: bool = False
    pair_name: str = ""  # spot "BASE/QUOTE" by token names

    @property
    def canonical_symbol(self) -> str:
        """The symbol an unconfigured market is reported under."""
        return self.pair_name or self.coin


class Universe:
    """Every market the venue lists, by coin, with the config-symbol lookups."""

    def __init__(self, markets: Iterable[Market]) -> None:
        self.by_coin: dict[str, Market] = {}
        self.by_pair: dict[str, Market] = {}
        for m in markets:
            self.by_coin.setdefault(m.coin, m)
            if m.pair_name:
                self.by_pair.setdefault(m.pair_name, m)
        self.by_asset = {m.asset: m for m in self.by_coin.values()}
        self._instruments: dict[str, Instrument] = {}  # coin -> the reported instrument

    def resolve(self, symbol: str) -> Market:
        """The market a config symbol names; UnknownSymbolError with close matches if none."""
        m = self.by_coin.get(symbol)
        if m is None and "/" in symbol:
            m = self.by_pair.get(symbol) or self.by_pair.get(symbol.upper())
        if m is None:
            m = self.by_coin.get(symbol.upper()) if ":" not in symbol else None
        if m is None:
            names = list(self.by_coin) + list(self.by_pair)
            close = difflib.get_close_matches(symbol, names, n=5, cutoff=0.6)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise UnknownSymbolError(
                f"hyperliquid: no market {symbol!r} ({len(self.by_coin)} markets listed){hint}"
            )
        return m

    def bind(self, symbol: str) -> Instrument:
        """The instrument for a config symbol; incoming messages for its coin use it."""
        m = self.resolve(symbol)
        inst = make_instrument(symbol, m)
        self._instruments[m.coin] = inst
        return inst

    def instrument_for_coin(self, coin: str) -> Instrument | None:
        """The instrument messages about `coin` are reported with: the configured one, or
        one under the coin's canonical symbol (another market on the same account)."""
        inst = self._instruments.get(coin)
        if inst is None:
            m = self.by_coin.get(coin)
            if m is None:
                return None
            inst = self._instruments[coin] = make_instrument(m.canonical_symbol, m)
        return inst

    def __len__(self) -> int:
        return len(self.by_coin)


def hl_instrument(
    symbol: str,
    *,
    base: str,
    quote: str,
    kind: InstrumentKind,
    sz_decimals: int,
    asset_id: int,
) -> Instrument:
    """5 significant figures, at most 6 (perp) / 8 (spot) minus szDecimals decimals,
    integer prices always valid; sizes in steps of 10**-szDecimals."""
    max_decimals = SPOT_MAX_DECIMALS if kind is InstrumentKind.SPOT else PERP_MAX_DECIMALS
    price_decimals = max_decimals - sz_decimals
    if price_decimals < 0:
        raise PrecisionError(f"{symbol}: szDecimals {sz_decimals} exceeds {max_decimals}")
    return Instrument(
        venue=Venue.HYPERLIQUID,
        symbol=symbol,
        base=base,
        quote=quote,
        kind=kind,
        price_decimals=price_decimals,
        size_decimals=sz_decimals,
        price_rule=SigFigRule(5),
        lot=1,
        min_size=1,
        min_notional=MIN_NOTIONAL,
        venue_ref=str(asset_id),
    )


def make_instrument(symbol: str, m: Market) -> Instrument:
    return hl_instrument(
        symbol, base=m.base, quote=m.quote, kind=m.kind, sz_decimals=m.sz_decimals,
        asset_id=m.asset,
    )  # fmt: skip


def perp_markets(meta: Mapping[str, Any], *, dex: str = "", dex_index: int = 0) -> list[Market]:
    """Markets of one perp dex. Delisted coins keep their index (asset ids are positions)."""
    offset = 0 if dex_index == 0 else BUILDER_DEX_OFFSET + dex_index * BUILDER_DEX_STRIDE
    out = []
    for i, row in enumerate(meta.get("universe", [])):
        name = str(row["name"])
        if dex and ":" not in name:
            name = f"{dex}:{name}"
        out.append(
            Market(
                coin=name,
                asset=offset + i,
                kind=InstrumentKind.PERP,
                base=name.partition(":")[2] if ":" in name else name,
                quote=PERP_QUOTE,
                sz_decimals=int(row["szDecimals"]),
                dex=dex,
                max_leverage=int(row["maxLeverage"]) if "maxLeverage" in row else None,
                # builder dexes trade isolated only; a native coin may say so itself
                only_isolated=bool(row.get("onlyIsolated", False)) or bool(dex),
            )
        )
    return out


def spot_markets(spot_meta: Mapping[str, Any]) -> list[Market]:
    """Spot pairs; a pair's szDecimals is its base token's (as the SDK does)."""
    tokens = {int(t["index"]): t for t in spot_meta.get("tokens", [])}
    out = []
    for row in spot_meta.get("universe", []):
        base_i, quote_i = (int(x) for x in row["tokens"])
        base, quote = tokens.get(base_i), tokens.get(quote_i)
        if base is None or quote is None:
            continue  # a pair whose token is not listed cannot be priced
        out.append(
            Market(
                coin=str(row["name"]),
                asset=SPOT_OFFSET + int(row["index"]),
                kind=InstrumentKind.SPOT,
                base=str(base["name"]),
                quote=str(quote["name"]),
                sz_decimals=int(base["szDecimals"]),
                pair_name=f"{base['name']}/{quote['name']}",
            )
        )
    return out


def build_universe(
    meta: Mapping[str, Any],
    spot_meta: Mapping[str, Any] | None,
    dex_metas: Sequence[tuple[str, int, Mapping[str, Any]]] = (),
) -> Universe:
    """`dex_metas`: (dex name, position in perpDexs, its meta) for each builder dex."""
    markets = perp_markets(meta)
    if spot_meta is not None:
        markets += spot_markets(spot_meta)
    for name, index, dex_meta in dex_metas:
        markets += perp_markets(dex_meta, dex=name, dex_index=index)
    return Universe(markets)


def dexes_needed(symbols: Iterable[str]) -> set[str]:
    """Builder dex names the config symbols mention ("xyz:XYZ100" → "xyz")."""
    return {s.partition(":")[0] for s in symbols if ":" in s}
