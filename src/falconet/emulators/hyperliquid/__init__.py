"""A local Hyperliquid: the venue's REST (/info, /exchange) and WebSocket (/ws) protocol on
loopback, backed by falconet's market simulator. The official SDK works against it
unchanged; see `server.HyperliquidEmulator`.

What differs from the venue (by design or not yet done):
* Users' orders rest in per-coin simulators and fill against the simulated flow; they
  never match each other, and they do not show in l2Book (which is the simulated book).
* Valid venue prices between the simulator's ticks are rounded inwards for matching
  (the order keeps its own price on the wire).
* No funding, liquidation, margin tiers, isolated-margin transfers, sub-accounts or vault
  permissions (a vaultAddress simply names the account acted on), no usdSend/withdraw.
* Market data times (trades, candles) are simulated time; account and order times are
  wall time (they differ with speed != 1 or a replayed file).
* Accounts: with `auto_accounts` (default) any recovered signer is a funded account, so a
  tampered signature only fails when it recovers nothing; turn it off and `fund` users
  to get the venue's "User or API Wallet ... does not exist." for unknown signers.
* Rate limits: per-IP REST/WS-post weight and the per-address action budget; not the
  WebSocket connection/subscription caps or the 1-per-10s allowance when limited.
"""

from falconet.emulators.hyperliquid.faults import Faults
from falconet.emulators.hyperliquid.server import HyperliquidEmulator
from falconet.emulators.hyperliquid.settings import (
    EmulatorSettings,
    PerpSpec,
    SpotSpec,
    TokenSpec,
)

__all__ = [
    "EmulatorSettings",
    "Faults",
    "HyperliquidEmulator",
    "PerpSpec",
    "SpotSpec",
    "TokenSpec",
]
