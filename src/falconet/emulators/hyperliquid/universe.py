"""The coins the emulator lists, with asset ids as the venue numbers them, and the
`meta` / `spotMeta` / `perpDexs` documents that describe them."""

from __future__ import annotations

from typing import Any

from falconet.emulators.hyperliquid.market import Coin
from falconet.emulators.hyperliquid.settings import EmulatorSettings

SPOT_OFFSET = 10_000
BUILDER_DEX_OFFSET = 100_000  # + dex index x 10,000 + index in that dex's meta


def perp_dexs(settings: EmulatorSettings) -> list[str]:
    """ "" (the first dex) then the builder-deployed dexs, in listing order."""
    return ["", *list(dict.fromkeys(p.dex for p in settings.perps if p.dex))]


def coins(settings: EmulatorSettings) -> list[Coin]:
    out: list[Coin] = []
    dexs = perp_dexs(settings)
    for d, dex in enumerate(dexs):
        listed = [p for p in settings.perps if p.dex == dex]
        for i, p in enumerate(listed):
            asset = i if d == 0 else BUILDER_DEX_OFFSET + d * 10_000 + i
            out.append(
                Coin(p.name, asset, p.sz_decimals, False, p.name, "USDC", p.price,
                     p.max_leverage, dex)
            )  # fmt: skip
    tokens = {t.name: t for t in settings.tokens}
    for s in settings.spots:
        base = tokens[s.base]
        out.append(Coin(s.name, SPOT_OFFSET + s.index, base.sz_decimals, True, s.base, s.quote,
                        s.price))  # fmt: skip
    return out


def meta(settings: EmulatorSettings, dex: str) -> dict[str, Any]:
    return {
        "universe": [
            {"szDecimals": p.sz_decimals, "name": p.name, "maxLeverage": p.max_leverage,
             "marginTableId": p.max_leverage}
            for p in settings.perps
            if p.dex == dex
        ],
        "marginTables": [],
    }  # fmt: skip


def spot_meta(settings: EmulatorSettings) -> dict[str, Any]:
    tokens = {t.name: t for t in settings.tokens}
    return {
        "universe": [
            {"tokens": [tokens[s.base].index, tokens[s.quote].index], "name": s.name,
             "index": s.index, "isCanonical": s.name == f"{s.base}/{s.quote}"}
            for s in settings.spots
        ],
        "tokens": [
            {"name": t.name, "szDecimals": t.sz_decimals, "weiDecimals": t.wei_decimals,
             "index": t.index, "tokenId": "0x" + f"{t.index:032x}", "isCanonical": True,
             "evmContract": None, "fullName": None}
            for t in settings.tokens
        ],
    }  # fmt: skip


def perp_dexs_doc(settings: EmulatorSettings) -> list[dict[str, Any] | None]:
    return [None] + [
        {"name": dex, "fullName": dex.upper(), "deployer": "0x" + "0" * 39 + "1",
         "oracleUpdater": None}
        for dex in perp_dexs(settings)[1:]
    ]  # fmt: skip
