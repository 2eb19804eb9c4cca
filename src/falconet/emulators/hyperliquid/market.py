"""One coin's market in the emulator: a simulator (`SymbolSession` from the paper venue)
fed by the market generator in chunks of simulated time, or by a recorded events file.
Every user's orders rest in it and fill against the simulated flow; they never match
each other (the simulator has one trader's view)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from falconet.core.enums import Side, TimeInForce
from falconet.core.events import OrderEvent
from falconet.data.format import EventTable
from falconet.sim import market as market_sim
from falconet.sim.asset import SimAsset
from falconet.sim.models import FeeModel, LatencyModel, SimConfig, VenueProfile
from falconet.venues.paper.session import PaperOrder, SymbolSession

NS = 1_000_000_000
BOOK_USD_PER_LEVEL = 20_000.0  # depth the generated book is held around, per level
SIM_PROFILE = VenueProfile("hyperliquid-emulator", post_only_reject=True)
TIFS = {"Gtc": TimeInForce.GTC, "Alo": TimeInForce.POST_ONLY, "Ioc": TimeInForce.IOC}


@dataclass(frozen=True)
class Coin:
    """A tradable coin as the venue lists it."""

    name: str  # "BTC", "xyz:XYZ100", "PURR/USDC", "@107"
    asset: int  # the asset id orders name
    sz_decimals: int
    spot: bool
    base: str  # token name (perps: the coin)
    quote: str
    start: Decimal
    max_leverage: int = 1
    dex: str = ""


@dataclass
class SimTrade:
    ts_ms: int
    is_buy: bool  # aggressor side
    px: Decimal
    sz: Decimal


@dataclass
class Candle:
    t: int
    o: Decimal
    h: Decimal
    low: Decimal
    c: Decimal
    v: Decimal = Decimal(0)
    n: int = 0

    def add(self, px: Decimal, sz: Decimal, count: int) -> None:
        self.h, self.low, self.c = max(self.h, px), min(self.low, px), px
        self.v += sz
        self.n += count


def increments(price: Decimal, sz_decimals: int) -> tuple[str, str]:
    """A tick of five significant figures at the price's magnitude (so generated prices lie
    on the venue's grid), and the coin's lot."""
    digits = math.floor(math.log10(float(price)))
    tick = Decimal(1).scaleb(digits - 4)
    return f"{tick:f}", f"{Decimal(1).scaleb(-sz_decimals):f}"


@dataclass
class CoinMarket:
    coin: Coin
    session: SymbolSession
    seed: int
    volatility: float
    chunk_s: float
    replay: bool
    candles: dict[int, Candle] = field(default_factory=dict)  # minute start (ms) -> candle
    recent_trades: list[SimTrade] = field(default_factory=list)
    unsent_trades: list[SimTrade] = field(default_factory=list)  # for the trades channel
    last_minute: int = 0  # newest candle's minute (ms)

    @classmethod
    def simulated(
        cls,
        coin: Coin,
        *,
        seed: int,
        volatility: float,
        chunk_s: float,
        start_ns: int,
        first_chunk_s: float | None = None,
    ) -> CoinMarket:
        """`first_chunk_s`: a shorter first chunk, so coins roll at different times
        (generating a chunk stalls the pump for a moment)."""
        first = first_chunk_s or chunk_s
        table = _generate(coin, coin.start, seed, volatility, first, start_ns, 0)
        return cls(coin, _session(table, 0, start_ns, coin.start), seed, volatility, chunk_s, False)

    @classmethod
    def replayed(cls, coin: Coin, table: EventTable) -> CoinMarket:
        start = int(table.column("ts_local")[0]) if len(table) else 0
        return cls(coin, _session(table, 0, start, coin.start), 0, 0.0, 0.0, True)

    @property
    def sim(self) -> SimAsset:
        return self.session.sim

    # --- time -----------------------------------------------------------------------

    def advance(self, now_ns: int) -> list[OrderEvent]:
        """Run the market to `now_ns`; our orders' events (fills numbered later)."""
        events: list[OrderEvent] = []
        session = self.session
        while not self.replay and now_ns > session.end_ns:
            session.send_deferred()
            session.advance(session.end_ns)
            events += session.order_events(0)
            self._collect_trades()
            session = self._roll()
        session.send_deferred()
        session.advance(now_ns)
        events += session.order_events(0)
        self._collect_trades()
        mid = self.mid()
        if mid is not None:
            self._candle(now_ns // 1_000_000, mid, Decimal(0), 0)
        return events

    def _roll(self) -> SymbolSession:
        old = self.session
        price = old.sim.best_bid() or old.sim.best_ask()
        start = old.sim.instrument.price_decimal(price) if price else old.start_price
        start_ns = old.end_ns + 1
        table = _generate(
            self.coin, start, self.seed, self.volatility, self.chunk_s, start_ns, old.chunk + 1
        )
        nxt = _session(table, old.chunk + 1, start_ns, start)
        old.carry_into(nxt)
        self.session = nxt
        return nxt

    def _collect_trades(self) -> None:
        inst = self.sim.instrument
        for t in self.session.trades():
            px, sz = inst.price_decimal(t.price), inst.size_decimal(t.size)
            trade = SimTrade(t.ts_exchange // 1_000_000, t.aggressor is Side.BUY, px, sz)
            self.recent_trades.append(trade)
            self.unsent_trades.append(trade)
            self._candle(trade.ts_ms, px, sz, 1)
        if len(self.recent_trades) > 2_000:
            del self.recent_trades[:-1_000]
        if len(self.unsent_trades) > 500:
            del self.unsent_trades[:-500]

    def _candle(self, ts_ms: int, px: Decimal, sz: Decimal, count: int) -> None:
        minute = ts_ms - ts_ms % 60_000
        self.last_minute = max(self.last_minute, minute)
        candle = self.candles.get(minute)
        if candle is None:
            self.candles[minute] = Candle(minute, px, px, px, px, sz, count)
            if len(self.candles) > 20_000:
                for key in sorted(self.candles)[:5_000]:
                    del self.candles[key]
        else:
            candle.add(px, sz, count)

    # --- the book -------------------------------------------------------------------

    def levels(self, n: int = 20) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        inst = self.sim.instrument
        return tuple(
            [(inst.price_decimal(p), inst.size_decimal(q)) for p, q in self.sim.levels(side, n)]
            for side in (Side.BUY, Side.SELL)
        )

    def bbo(self) -> tuple[Decimal | None, Decimal | None]:
        inst = self.sim.instrument
        bid, ask = self.sim.best_bid(), self.sim.best_ask()
        return (
            None if bid is None else inst.price_decimal(bid),
            None if ask is None else inst.price_decimal(ask),
        )

    def mid(self) -> Decimal | None:
        bid, ask = self.bbo()
        if bid is None or ask is None:
            return bid or ask
        mid = (bid + ask) / 2
        return mid.quantize(Decimal(1).scaleb(-self._price_decimals() - 1)).normalize()

    def _price_decimals(self) -> int:
        return self.sim.instrument.price_decimals

    # --- orders (keyed by the venue's oid) -------------------------------------------

    def submit(self, oid: int, is_buy: bool, px: Decimal, sz: Decimal, tif: str) -> None:
        inst = self.sim.instrument
        tick = self.sim.tick_units
        exact = px.scaleb(inst.price_decimals) / tick
        # a valid venue price may lie between the simulator's ticks: round it inwards
        ticks = int(exact.to_integral_value(ROUND_FLOOR if is_buy else ROUND_CEILING))
        units = int(sz.scaleb(inst.size_decimals))
        order = PaperOrder(
            str(oid), str(oid), Side.BUY if is_buy else Side.SELL, ticks * tick, units, TIFS[tif]
        )
        self.session.submit(order)

    def cancel(self, oid: int) -> None:
        order = self.session.orders.get(str(oid))
        if order is not None:
            self.session.cancel(order)

    def size_decimal(self, units: int) -> Decimal:
        return self.sim.instrument.size_decimal(units)

    def price_decimal(self, units: int) -> Decimal:
        return self.sim.instrument.price_decimal(units)


def _session(table: EventTable, chunk: int, start_ns: int, start: Decimal) -> SymbolSession:
    config = SimConfig(
        latency=LatencyModel.constant(0.0, 0.0),
        fees=FeeModel(0.0, 0.0),  # the emulator charges its own fees per user
        venue=SIM_PROFILE,
        partial_fills=True,
    )
    sim = SimAsset(table, config)
    inst = sim.instrument
    return SymbolSession(inst, sim, chunk, start_ns, start, Decimal(0), Decimal(0))


def _generate(
    coin: Coin,
    price: Decimal,
    seed: int,
    volatility: float,
    chunk_s: float,
    start_ns: int,
    chunk: int,
) -> EventTable:
    tick, lot = increments(coin.start, coin.sz_decimals)
    t = Decimal(tick)
    start = (price / t).to_integral_value() * t
    level = max(20.0, BOOK_USD_PER_LEVEL / (float(start) * float(Decimal(lot))))
    symbol = coin.name.replace(":", "_").replace("/", "-").replace("@", "SPOT")
    params = market_sim.MarketParams(
        symbol=symbol,
        venue="hyperliquid",
        base=coin.base.replace(":", "_"),
        quote=coin.quote,
        kind="spot" if coin.spot else "perp",
        tick=tick,
        lot=lot,
        start_price=f"{start:f}",
        volatility=volatility,
        duration_s=chunk_s,
        start_ns=start_ns,
        mean_level_size=level,
        limit_size_mean=level / 8,
        market_size_mean=level / 5,
        limit_rate=60.0,
        cancel_rate=52.0,
        market_rate=7.0,
        seed=seed * 100_003 + chunk * 7919 + sum(map(ord, coin.name)),
    )
    return market_sim.generate(params)


def replayed_coin(table: EventTable, coins: dict[str, Coin]) -> str:
    """The listed coin a recorded market drives: its base token's perp, else its spot."""
    base = table.instrument.base.upper()
    for coin in coins.values():
        if coin.name.upper() == base and not coin.spot:
            return coin.name
    for coin in coins.values():
        if coin.base.upper() == base:
            return coin.name
    raise ValueError(f"no listed coin for the recorded market's base {base!r}")
