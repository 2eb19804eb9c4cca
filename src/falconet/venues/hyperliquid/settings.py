"""Hyperliquid connection settings (built by `factory.py` from config and environment)."""

from __future__ import annotations

from dataclasses import dataclass

from falconet.config.secrets import Secret

MAINNET_URL = "https://api.hyperliquid.xyz"
TESTNET_URL = "https://api.hyperliquid-testnet.xyz"


@dataclass(frozen=True)
class HyperliquidSettings:
    base_url: str  # MAINNET_URL, TESTNET_URL or an emulator "http://127.0.0.1:N"
    private_key: Secret | None  # agent (API) wallet or main wallet key; None = read-only
    account_address: str | None  # the trading account; None = the signer's own address
    vault_address: str | None = None
    mainnet: bool | None = None  # None: like the SDK, mainnet iff base_url is MAINNET_URL
    symbols: tuple[str, ...] = ()
    leverage: int | None = None  # pinned per perp at connect (updateLeverage); None = leave
    dead_man_s: float | None = None  # scheduleCancel horizon, refreshed while running
    ws_post: bool = True  # orders over the WebSocket `post`, REST as fallback
    ping_s: float = 50.0
    silence_s: float = 60.0
    request_timeout_s: float = 10.0
    # l2Book frames become TopOfBook (best level only, ~9x cheaper to read, see
    # benchmarks/hl_decode.py) instead of full BookSnapshots
    top_of_book_only: bool = False

    @property
    def is_mainnet(self) -> bool:
        """Which chain actions are signed for: the SDK signs as testnet for any URL other
        than the mainnet one, and so do we unless told."""
        if self.mainnet is not None:
            return self.mainnet
        return self.base_url.rstrip("/") == MAINNET_URL

    @property
    def rest_url(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def ws_url(self) -> str:
        """The SDK's rule: "ws" + base_url[4:] + "/ws" (https → wss, http → ws)."""
        return "ws" + self.rest_url[len("http") :] + "/ws"
