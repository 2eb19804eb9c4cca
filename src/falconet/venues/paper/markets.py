"""Where a paper venue's market comes from: the market simulator (per symbol, in chunks of
simulated time so sessions can run for days), or a recorded event file."""

from __future__ import annotations

import math
from decimal import Decimal

from falconet.config.runtime import PaperSettings
from falconet.sim.market import MarketParams

CHUNK_S = 3600.0
# Typical prices, so a simulated "BTC/USD" looks like BTC. Anything else starts at 100.
TYPICAL_PRICES = {
    "BTC": Decimal(60000),
    "ETH": Decimal(3000),
    "SOL": Decimal(150),
    "HYPE": Decimal(25),
    "SPY": Decimal(500),
    "TQQQ": Decimal(60),
}


def start_price(symbol: str, settings: PaperSettings) -> Decimal:
    if symbol in settings.prices:
        return settings.prices[symbol]
    base = symbol.replace("-", "/").split("/")[0].upper()
    return TYPICAL_PRICES.get(base, Decimal(100))


def increments(price: Decimal) -> tuple[str, str]:
    """(tick, lot) for a simulated instrument: five significant figures of price, and a
    lot worth between 0.01 and 0.1 of quote (fine enough for any configured size)."""
    digits = math.floor(math.log10(float(price)))
    tick = Decimal(1).scaleb(digits - 4)
    lot = Decimal(1).scaleb(-(math.ceil(math.log10(float(price))) + 1))
    return f"{tick:f}", f"{lot:f}"


def params(
    symbol: str,
    settings: PaperSettings,
    *,
    price: Decimal,
    tick: str,
    lot: str,
    start_ns: int,
    chunk: int,
) -> MarketParams:
    """One chunk of one symbol's simulated market, continuing at `price`."""
    base, _, quote = symbol.replace("-", "/").partition("/")
    # Book depth of about 3,000 quote units per level whatever the price.
    lot_value = float(price) * float(Decimal(lot))
    level = max(20.0, 3000.0 / lot_value)
    return MarketParams(
        symbol=symbol,
        venue="paper",
        base=base or symbol,
        quote=quote or "USD",
        kind="spot",
        tick=tick,
        lot=lot,
        start_price=f"{_on_tick(price, tick):f}",
        volatility=float(settings.volatility),
        duration_s=CHUNK_S,
        start_ns=start_ns,
        mean_level_size=level,
        limit_size_mean=level / 8,
        market_size_mean=level / 5,
        # a quieter tape than the simulator's default keeps long sessions light
        limit_rate=60.0,
        cancel_rate=52.0,
        market_rate=7.0,
        seed=settings.seed * 100_003 + chunk * 7919 + sum(map(ord, symbol)),
    )


def _on_tick(price: Decimal, tick: str) -> Decimal:
    t = Decimal(tick)
    return (price / t).to_integral_value() * t
