"""Hyperliquid's factory: an account's client from its entries, the config's `hyperliquid`
block and the account's variables (`HYPERLIQUID_PRIVATE_KEY`, or `..._<LABEL>` for a
labelled account)."""

from __future__ import annotations

from collections.abc import Sequence

from falconet.config.secrets import env_name
from falconet.core.enums import Venue
from falconet.core.errors import ConfigError
from falconet.engine.venue import VenueClient
from falconet.venues.hyperliquid.settings import MAINNET_URL, TESTNET_URL
from falconet.venues.registry import AccountPlan, register


class HyperliquidFactory:
    venue = Venue.HYPERLIQUID

    def hedge_symbol(self, symbol: str) -> str | None:
        """A spot pair is hedged with the perp of its coin ("HYPE/USDC" → "HYPE")."""
        return symbol.split("/", 1)[0].upper() if "/" in symbol else None

    def check(self, plans: Sequence[AccountPlan]) -> None:
        seen: dict[str, AccountPlan] = {}
        for plan in plans:
            if len({e.testnet for e in plan.entries}) > 1:
                raise ConfigError(
                    f"{plan.config.source}: hyperliquid entries{_on(plan)} mix testnet true "
                    "and false; one account trades one Hyperliquid network"
                )
            user = _trading_address(plan)
            other = seen.setdefault(user, plan) if user else plan
            if other is not plan:
                raise ConfigError(
                    f"{plan.config.source}: the hyperliquid accounts {_name(other)} and "
                    f"{_name(plan)} trade the same address {user}: they would share one "
                    "position and one request budget; give each its own account"
                )

    def build_data(self, plan: AccountPlan) -> VenueClient | None:
        return None  # one WebSocket carries the market and the account

    def build(self, plan: AccountPlan) -> VenueClient:
        # imported here: a paper-only run need not load the signing stack
        from falconet.venues.hyperliquid.settings import HyperliquidSettings  # noqa: PLC0415
        from falconet.venues.hyperliquid.venue import HyperliquidVenue  # noqa: PLC0415

        hl, label, block = plan.env.hyperliquid, plan.label, plan.config.hyperliquid
        if hl.private_key is None:
            raise ConfigError(
                f"{env_name('HYPERLIQUID_PRIVATE_KEY', label)} is not set: trading on "
                f"hyperliquid{_on(plan)} needs the key of the account's API (agent) wallet, "
                "or of the account itself"
            )
        return HyperliquidVenue(
            HyperliquidSettings(
                base_url=_base_url(plan),
                private_key=hl.private_key,
                account_address=hl.wallet_address,
                vault_address=hl.vault_address,
                symbols=plan.symbols,
                leverage=block.leverage,
                dead_man_s=float(block.dead_man_s) if block.dead_man_s is not None else None,
            )
        )


def _base_url(plan: AccountPlan) -> str:
    testnet = all(e.testnet for e in plan.entries)
    wanted = TESTNET_URL if testnet else MAINNET_URL
    other = MAINNET_URL if testnet else TESTNET_URL
    given = plan.env.hyperliquid.base_url
    if given is not None and given.rstrip("/") == other:
        raise ConfigError(
            f"{env_name('HYPERLIQUID_BASE_URL', plan.label)} is {other} but the hyperliquid "
            f'entries{_on(plan)} say "testnet": {str(testnet).lower()}; fix one of them'
        )
    return (given or wanted).rstrip("/")


def _trading_address(plan: AccountPlan) -> str | None:
    """The address an account trades for: its vault, its wallet, or its key's own."""
    hl = plan.env.hyperliquid
    if hl.vault_address or hl.wallet_address:
        return (hl.vault_address or hl.wallet_address or "").lower()
    if hl.private_key is None:
        return None
    from eth_account import Account  # noqa: PLC0415 - only with a key to check

    return str(Account.from_key(hl.private_key.reveal()).address).lower()


def _name(plan: AccountPlan) -> str:
    return plan.label or "(default)"


def _on(plan: AccountPlan) -> str:
    return f" of account {plan.label}" if plan.label else ""


register(HyperliquidFactory())
