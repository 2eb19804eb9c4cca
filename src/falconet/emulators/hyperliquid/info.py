"""The emulator's `POST /info` answers (also WebSocket `post` info requests): one function
per request type over the emulated venue's state, in the shapes the venue sends."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from falconet.emulators.hyperliquid import universe
from falconet.emulators.hyperliquid.accounts import ZERO, Account
from falconet.emulators.hyperliquid.numbers import wire

if TYPE_CHECKING:
    from falconet.emulators.hyperliquid.venue import EmulatedVenue


def merge_levels(
    side: list[tuple[Decimal, Decimal]], sig: int, *, down: bool
) -> list[dict[str, Any]]:
    out: dict[Decimal, list[Any]] = {}
    for px, sz in side:
        q = Decimal(1).scaleb(px.adjusted() - sig + 1)
        bucket = px.quantize(q, rounding=ROUND_FLOOR if down else ROUND_CEILING)
        row = out.setdefault(bucket, [ZERO, 0])
        row[0] += sz
        row[1] += 1
    return [{"px": wire(p), "sz": wire(v[0]), "n": v[1]} for p, v in out.items()]


Handler = Callable[["EmulatedVenue", dict[str, Any]], Any]


def _fees(v: EmulatedVenue, body: dict[str, Any]) -> dict[str, Any]:
    s = v.settings
    return {
        "userCrossRate": wire(s.perp_taker_fee),
        "userAddRate": wire(s.perp_maker_fee),
        "userSpotCrossRate": wire(s.spot_taker_fee),
        "userSpotAddRate": wire(s.spot_maker_fee),
        "activeReferralDiscount": "0.0",
        "dailyUserVlm": [],
        "feeSchedule": {"cross": wire(s.perp_taker_fee), "add": wire(s.perp_maker_fee),
                        "spotCross": wire(s.spot_taker_fee), "spotAdd": wire(s.spot_maker_fee)},
    }  # fmt: skip


def _rate_limit(v: EmulatedVenue, body: dict[str, Any]) -> dict[str, Any]:
    acct = v.accounts.get(v._user(body))
    used = acct.n_requests if acct else 0
    vol = acct.cum_volume if acct else ZERO
    return {"cumVlm": wire(vol), "nRequestsUsed": used,
            "nRequestsCap": v.settings.address_initial_budget + int(vol)}  # fmt: skip


def _fills_by_time(v: EmulatedVenue, body: dict[str, Any]) -> list[dict[str, Any]]:
    start, end = int(body["startTime"]), body.get("endTime")
    return [
        f for f in v.user_fills(v._user(body))
        if f["time"] >= start and (end is None or f["time"] <= int(end))
    ]  # fmt: skip


def _historical(v: EmulatedVenue, body: dict[str, Any]) -> list[dict[str, Any]]:
    user = v._user(body)
    rows = [v.order_status(user, oid)["order"] for oid in v.orders if v.orders[oid].user == user]
    rows += [
        {"order": o.frontend(), "status": status, "statusTimestamp": ts}
        for o, status, ts in v.history.values()
        if o.user == user
    ]
    rows.sort(key=lambda r: -int(r["order"]["oid"]))
    return rows[:2000]


def _active_asset_data(v: EmulatedVenue, body: dict[str, Any]) -> dict[str, Any]:
    user, coin = v._user(body), v.coins[str(body["coin"])]
    acct = v.accounts.get(user) or Account(user, {}, ZERO)
    cross, lev = v._leverage(acct, coin)
    mid = v.markets[coin.name].mid() or coin.start
    value, used = v._summary(acct)[2:]
    room = max(value - used, ZERO) * lev
    size = (room / mid).quantize(Decimal(1).scaleb(-coin.sz_decimals)) if mid else ZERO
    return {
        "user": user,
        "coin": coin.name,
        "leverage": {"type": "cross" if cross else "isolated", "value": lev},
        "maxTradeSzs": [wire(size), wire(size)],
        "availableToTrade": [wire(room.quantize(Decimal("0.01")))] * 2,
        "markPx": wire(mid),
    }


def _ledger(v: EmulatedVenue, body: dict[str, Any]) -> list[dict[str, Any]]:
    acct = v.accounts.get(v._user(body))
    start, end = int(body.get("startTime") or 0), body.get("endTime")
    return [
        e for e in (acct.ledger if acct else [])
        if e["time"] >= start and (end is None or e["time"] <= int(end))
    ]  # fmt: skip


def _agents(v: EmulatedVenue, body: dict[str, Any]) -> list[dict[str, Any]]:
    acct = v.accounts.get(v._user(body))
    agents = acct.agents.items() if acct else []
    return [{"name": n, "address": a, "validUntil": 2**53} for a, n in agents]


def _meta_ctxs(v: EmulatedVenue, body: dict[str, Any]) -> list[Any]:
    dex = str(body.get("dex") or "")
    return [universe.meta(v.settings, dex), [v.asset_ctx(c) for c in v._dex_coins(dex)]]


def _spot_ctxs(v: EmulatedVenue, body: dict[str, Any]) -> list[Any]:
    return [universe.spot_meta(v.settings), [v.asset_ctx(c) for c in v.coins.values() if c.spot]]


HANDLERS: dict[str, Handler] = {
    "meta": lambda v, b: universe.meta(v.settings, str(b.get("dex") or "")),
    "spotMeta": lambda v, b: universe.spot_meta(v.settings),
    "metaAndAssetCtxs": _meta_ctxs,
    "spotMetaAndAssetCtxs": _spot_ctxs,
    "perpDexs": lambda v, b: universe.perp_dexs_doc(v.settings),
    "allMids": lambda v, b: v.all_mids(str(b.get("dex") or "")),
    "l2Book": lambda v, b: v.l2_book(str(b["coin"]), b.get("nSigFigs")),
    "candleSnapshot": lambda v, b: v.candles(b["req"]),
    "clearinghouseState": lambda v, b: v.clearinghouse(v._user(b), str(b.get("dex") or "")),
    "spotClearinghouseState": lambda v, b: v.spot_clearinghouse(v._user(b)),
    "openOrders": lambda v, b: v.open_orders_of(v._user(b)),
    "frontendOpenOrders": lambda v, b: v.open_orders_of(v._user(b), frontend=True),
    "userFills": lambda v, b: v.user_fills(v._user(b)),
    "userFillsByTime": _fills_by_time,
    "orderStatus": lambda v, b: v.order_status(v._user(b), b["oid"]),
    "userRateLimit": _rate_limit,
    "userFees": _fees,
    "historicalOrders": _historical,
    "activeAssetData": _active_asset_data,
    "userNonFundingLedgerUpdates": _ledger,
    "userFunding": lambda v, b: [],
    "fundingHistory": lambda v, b: [],
    "extraAgents": _agents,
    "userRole": lambda v, b: {"role": "user" if v._user(b) in v.accounts else "missing"},
    "exchangeStatus": lambda v, b: {"time": v.wall_ms(), "specialStatuses": None},
}
