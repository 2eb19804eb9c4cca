"""What the Hyperliquid emulator serves: its universe of coins, the starting balances of
every new address, fees, limits, and where its market comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True)
class PerpSpec:
    name: str  # "BTC", or "xyz:XYZ100" on a builder-deployed (HIP-3) dex
    sz_decimals: int
    max_leverage: int
    price: Decimal  # where the simulated market starts
    dex: str = ""  # "" = the first perp dex


@dataclass(frozen=True)
class TokenSpec:
    name: str
    index: int
    sz_decimals: int
    wei_decimals: int


@dataclass(frozen=True)
class SpotSpec:
    name: str  # "PURR/USDC" or "@<index>"
    index: int
    base: str  # token names
    quote: str
    price: Decimal


DEFAULT_PERPS = (
    PerpSpec("BTC", 5, 40, Decimal("61234")),
    PerpSpec("ETH", 4, 25, Decimal("3012.3")),
    PerpSpec("SOL", 2, 20, Decimal("151.23")),
    PerpSpec("HYPE", 2, 10, Decimal("25.123")),
    PerpSpec("xyz:XYZ100", 4, 20, Decimal("24567"), dex="xyz"),
)
DEFAULT_TOKENS = (
    TokenSpec("USDC", 0, 8, 8),
    TokenSpec("PURR", 1, 0, 5),
    TokenSpec("HYPE", 150, 2, 8),
)
DEFAULT_SPOTS = (
    SpotSpec("PURR/USDC", 0, "PURR", "USDC", Decimal("0.18765")),
    SpotSpec("@107", 107, "HYPE", "USDC", Decimal("25.123")),
)


def _default_spot_balances() -> dict[str, Decimal]:
    return {"USDC": Decimal(100_000), "HYPE": Decimal(1_000), "PURR": Decimal(100_000)}


@dataclass
class EmulatorSettings:
    market: str = "sim"  # "sim", or a falconet events file replayed for its coin
    chain: Literal["testnet", "mainnet"] = "testnet"  # the SDK signs testnet off mainnet
    seed: int = 7
    speed: float = 1.0  # simulated seconds per wall second
    perps: tuple[PerpSpec, ...] = DEFAULT_PERPS
    tokens: tuple[TokenSpec, ...] = DEFAULT_TOKENS
    spots: tuple[SpotSpec, ...] = DEFAULT_SPOTS
    spot_balances: dict[str, Decimal] = field(default_factory=_default_spot_balances)
    perp_usdc: Decimal = Decimal(100_000)
    # any recovered signer becomes a funded account; False: only `fund`ed addresses exist
    # (then a bad signature is refused as an unknown user, as on the venue)
    auto_accounts: bool = True
    perp_maker_fee: Decimal = Decimal("0.00015")
    perp_taker_fee: Decimal = Decimal("0.00045")
    spot_maker_fee: Decimal = Decimal("0.0004")
    spot_taker_fee: Decimal = Decimal("0.0007")
    default_leverage: int = 20  # cross, capped by each coin's maxLeverage
    volatility: float = 0.8
    chunk_s: float = 900.0  # simulated market generated this many seconds at a time
    ip_weight_per_min: int = 1200
    address_initial_budget: int = 10_000  # actions before volume has bought more
    silence_s: float = 60.0  # a WebSocket silent this long is closed
    pump_s: float = 0.05  # wall seconds between simulator advances
