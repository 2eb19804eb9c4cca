"""`falconet hl transfer AMOUNT --to perp|spot`: move USDC between the Hyperliquid spot
and perp balances of the configured account (the seed's `fund_perp` tool)."""

from __future__ import annotations

import argparse
import asyncio
import json
from decimal import Decimal, InvalidOperation

from falconet.config.environment import load_env_settings
from falconet.core.errors import ConfigError
from falconet.core.events import margin_asset
from falconet.venues.hyperliquid import HyperliquidSettings, HyperliquidVenue
from falconet.venues.hyperliquid.settings import MAINNET_URL, TESTNET_URL


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "hl",
        help="Hyperliquid account tools (USDC transfer between spot and perps)",
        description=__doc__,
    )
    tools = p.add_subparsers(dest="tool", required=True, metavar="TOOL")
    t = tools.add_parser(
        "transfer",
        help="move USDC between the spot and perp balances",
        description=(
            "Signs a usdClassTransfer with HYPERLIQUID_PRIVATE_KEY, which must be the "
            "account's own key (the venue refuses transfers signed by an API wallet), on "
            "HYPERLIQUID_BASE_URL, else mainnet (--testnet: testnet). Prints both balances "
            "after the transfer."
        ),
    )
    t.add_argument("amount", help="USDC to move, e.g. 250 or 12.5")
    t.add_argument("--to", choices=("perp", "spot"), required=True, help="destination")
    t.add_argument("--testnet", action="store_true", help="the testnet, not mainnet")
    t.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        amount = Decimal(args.amount)
    except InvalidOperation:
        raise SystemExit(f"falconet: error: amount: not a number: {args.amount!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise SystemExit("falconet: error: amount: must be > 0")
    env = load_env_settings(dotenv_path=".env").hyperliquid
    if env.private_key is None:
        raise ConfigError("HYPERLIQUID_PRIVATE_KEY is not set: it signs the transfer")
    wanted = TESTNET_URL if args.testnet else MAINNET_URL
    if env.base_url is not None and env.base_url.rstrip("/") in {MAINNET_URL, TESTNET_URL} - {
        wanted
    }:
        given = "--testnet" if args.testnet else "no --testnet"
        raise ConfigError(f"HYPERLIQUID_BASE_URL is {env.base_url} but {given} was given")
    settings = HyperliquidSettings(
        base_url=env.base_url or wanted,
        private_key=env.private_key,
        account_address=env.wallet_address,
        vault_address=env.vault_address,
    )
    result = asyncio.run(_transfer(settings, amount, to_perp=args.to == "perp"))
    print(json.dumps(result))
    return 0


async def _transfer(
    settings: HyperliquidSettings, amount: Decimal, *, to_perp: bool
) -> dict[str, object]:
    venue = HyperliquidVenue(settings)
    try:
        await venue.connect()
        await venue.usd_class_transfer(amount, to_perp)
        balances = {b.asset: b.total for b in await venue.balances()}
    finally:
        await venue.close()
    return {
        "transferred": f"{amount:f}",
        "to": "perp" if to_perp else "spot",
        "spot_usdc": f"{balances.get('USDC', Decimal(0)):f}",
        "perp_usdc": f"{balances.get(margin_asset('USDC'), Decimal(0)):f}",
    }
