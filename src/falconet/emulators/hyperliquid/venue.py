"""The venue itself: accounts, orders and markets, the /exchange actions and the /info
queries. Transport (HTTP, WebSocket, faults, rate limits) lives in `server.py`; this
module only answers requests and tells its listeners what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eth_hash.auto import keccak

from falconet.core.enums import Liquidity
from falconet.core.events import Fill, OrderCanceled, OrderEvent, OrderExpired, OrderRejected
from falconet.data.format import EventTable
from falconet.emulators.hyperliquid import info as info_handlers
from falconet.emulators.hyperliquid import universe, verify
from falconet.emulators.hyperliquid.accounts import (
    ZERO,
    Account,
    FillResult,
    apply_perp_fill,
    apply_spot_fill,
    margin_summary,
)
from falconet.emulators.hyperliquid.candles import candle_rows
from falconet.emulators.hyperliquid.market import Coin, CoinMarket, replayed_coin
from falconet.emulators.hyperliquid.nonce_book import NonceBook
from falconet.emulators.hyperliquid.numbers import parse, valid_price, valid_size, wire
from falconet.emulators.hyperliquid.orders import Trigger, VenueOrder
from falconet.emulators.hyperliquid.settings import EmulatorSettings

MIN_NOTIONAL = Decimal(10)
SCHEDULE_CANCEL_MIN_MS = 5_000
HISTORY_KEEP = 200_000  # ended orders remembered for orderStatus and late fills
INTERVALS_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000,
}  # fmt: skip
DESERIALIZE = "Failed to deserialize the JSON body into the target type"


class RequestError(Exception):
    """A request the venue refuses as a whole: HTTP `status` with `text`."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass
class Listeners:
    """Where the venue's news goes (the WebSocket hub)."""

    fills: list[Callable[[str, list[dict[str, Any]]], None]] = field(default_factory=list)
    orders: list[Callable[[str, list[dict[str, Any]]], None]] = field(default_factory=list)
    user_events: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)

    def fill(self, user: str, fills: list[dict[str, Any]]) -> None:
        for f in self.fills:
            f(user, fills)
        for e in self.user_events:
            e(user, {"fills": fills})

    def order(self, user: str, updates: list[dict[str, Any]]) -> None:
        for f in self.orders:
            f(user, updates)


def _err(text: str) -> dict[str, Any]:
    return {"status": "err", "response": text}


def _ok(kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"type": kind}
    if data is not None:
        response["data"] = data
    return {"status": "ok", "response": response}


class EmulatedVenue:
    def __init__(
        self,
        settings: EmulatorSettings,
        *,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        sim_now_ns: Callable[[], int] = time.time_ns,
        recorded: EventTable | None = None,
    ) -> None:
        self.settings: EmulatorSettings = settings
        self.wall_ms: Callable[[], int] = wall_ms
        self.sim_now_ns = sim_now_ns
        self.mainnet = settings.chain == "mainnet"
        self.coins = {c.name: c for c in universe.coins(settings)}
        self.by_asset = {c.asset: c for c in self.coins.values()}
        self.markets: dict[str, CoinMarket] = {}
        now = sim_now_ns()
        replayed = replayed_coin(recorded, self.coins) if recorded is not None else None
        for i, coin in enumerate(self.coins.values()):
            if recorded is not None and coin.name == replayed:
                self.markets[coin.name] = CoinMarket.replayed(coin, recorded)
            else:
                self.markets[coin.name] = CoinMarket.simulated(
                    coin,
                    seed=settings.seed + i,
                    volatility=settings.volatility,
                    chunk_s=settings.chunk_s,
                    start_ns=now - 1_000_000_000,
                    first_chunk_s=settings.chunk_s * (i + 1) / len(self.coins),
                )
        for market in self.markets.values():
            market.advance(max(now, market.sim.now))
        self.accounts: dict[str, Account] = {}
        self.agents: dict[str, str] = {}  # agent address -> user
        self.nonces = NonceBook()
        self.orders: dict[int, VenueOrder] = {}  # open (resting or waiting for trigger)
        self.history: dict[int, tuple[VenueOrder, str, int]] = {}  # oid -> order, status, ts
        self.by_cloid: dict[tuple[str, str], int] = {}
        self.next_oid = 1_000_000
        self.next_tid = 500_000_000
        self.listeners = Listeners()
        self.book_changed: set[str] = set()
        self._last_top: dict[str, tuple[Decimal | None, Decimal | None]] = {}

    # --- accounts -------------------------------------------------------------------

    def fund(self, user: str) -> Account:
        """The account of `user` (lowercase address), created with the starting balances."""
        user = user.lower()
        acct = self.accounts.get(user)
        if acct is None:
            acct = Account(user, dict(self.settings.spot_balances), self.settings.perp_usdc)
            self.accounts[user] = acct
        return acct

    def account(self, user: str) -> Account | None:
        user = user.lower()
        acct = self.accounts.get(user)
        if acct is None and self.settings.auto_accounts:
            acct = self.fund(user)
        return acct

    def mids(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for name, market in self.markets.items():
            mid = market.mid()
            if mid is not None:
                out[name] = mid
        return out

    # --- time -----------------------------------------------------------------------

    def step(self) -> None:
        """Advance every market to now, settle what happened, fire triggers and
        dead man's switches."""
        now = self.sim_now_ns()
        for name, market in self.markets.items():
            self._settle(market, market.advance(max(now, market.sim.now)))
            top = market.bbo()
            if top != self._last_top.get(name):
                self._last_top[name] = top
                self.book_changed.add(name)
        self._fire_triggers()
        wall = self.wall_ms()
        for acct in self.accounts.values():
            if acct.dead_man_ms is not None and wall >= acct.dead_man_ms:
                acct.dead_man_ms = None
                for order in [o for o in self.orders.values() if o.user == acct.address]:
                    self._cancel(order, "scheduledCancel")

    def _catch_up(self, market: CoinMarket) -> None:
        self._settle(market, market.advance(max(self.sim_now_ns(), market.sim.now)))

    def _run_now(self, market: CoinMarket) -> None:
        """Let the simulator take what was just sent (it acts at its current instant)."""
        self._settle(market, market.advance(market.sim.now + 1))

    def _settle(self, market: CoinMarket, events: list[OrderEvent]) -> None:
        for event in events:
            oid = int(event.client_id)
            order = self.orders.get(oid)
            if order is None:
                known = self.history.get(oid)
                if known is None or not isinstance(event, Fill):
                    continue
                order = known[0]  # canceled as it filled: the fill still happened
            if isinstance(event, Fill):
                self._fill(market, order, event)
            elif isinstance(event, OrderExpired | OrderRejected | OrderCanceled):
                if order.tif == "Ioc":
                    status = "canceled" if order.filled else "iocCancelRejected"
                elif order.tif == "Alo" and isinstance(event, OrderRejected):
                    status = "badAloPxRejected"
                else:
                    status = "canceled"
                self._close(order, status)

    def _fill(self, market: CoinMarket, order: VenueOrder, event: Fill) -> None:
        coin = market.coin
        px, sz = market.price_decimal(event.price), market.size_decimal(event.size)
        sz = min(sz, order.sz)
        if order.reduce_only and not coin.spot:
            # never past flat: what is left of a reduce-only order past that is cancelled
            pos = self.fund(order.user).positions.get(coin.name)
            szi = pos.szi if pos else ZERO
            sz = min(sz, abs(szi)) if szi and (szi > 0) != order.is_buy else ZERO
        if sz <= 0:
            if order.oid in self.orders:
                self._cancel(order, "reduceOnlyCanceled")
            return
        maker = event.liquidity is Liquidity.MAKER
        acct = self.fund(order.user)
        s = self.settings
        result: FillResult
        if coin.spot:
            rate = s.spot_maker_fee if maker else s.spot_taker_fee
            result = apply_spot_fill(acct, coin.base, coin.quote, order.is_buy, px, sz, rate)
        else:
            rate = s.perp_maker_fee if maker else s.perp_taker_fee
            result = apply_perp_fill(acct, coin.name, order.is_buy, px, sz, rate)
        order.sz -= sz
        order.filled_notional += px * sz
        tid = self.next_tid
        self.next_tid += 1
        fill: dict[str, Any] = {
            "coin": coin.name,
            "px": wire(px),
            "sz": wire(sz),
            "side": order.side,
            "time": self.wall_ms(),
            "startPosition": wire(result.start_position),
            "dir": result.direction,
            "closedPnl": wire(result.closed_pnl),
            "hash": "0x" + bytes(keccak(tid.to_bytes(8, "big"))).hex(),
            "oid": order.oid,
            "crossed": not maker,
            "fee": wire(result.fee),
            "tid": tid,
            "feeToken": result.fee_token,
        }
        if order.cloid is not None:
            fill["cloid"] = order.cloid
        acct.fills.append(fill)
        if len(acct.fills) > 10_000:
            del acct.fills[:-5_000]
        self.listeners.fill(acct.address, [fill])
        if order.sz <= 0 and order.oid in self.orders:
            self._close(order, "filled")
        elif order.reduce_only and coin.name not in acct.positions and order.oid in self.orders:
            self._cancel(order, "reduceOnlyCanceled")

    def _close(self, order: VenueOrder, status: str) -> None:
        self.orders.pop(order.oid, None)
        if order.cloid is not None:
            self.by_cloid.pop((order.user, order.cloid), None)
        ts = self.wall_ms()
        self.history[order.oid] = (order, status, ts)
        if len(self.history) > HISTORY_KEEP:  # oldest first: dicts keep insertion order
            for oid in list(self.history)[: HISTORY_KEEP // 2]:
                del self.history[oid]
        self.listeners.order(order.user, [order.update(status, ts)])

    def _cancel(self, order: VenueOrder, status: str = "canceled") -> None:
        if order.trigger is None:
            self.markets[order.coin].cancel(order.oid)
        self._close(order, status)

    def _fire_triggers(self) -> None:
        mids = self.mids()
        for order in [o for o in self.orders.values() if o.trigger is not None]:
            trig = order.trigger
            mark = mids.get(order.coin)
            if trig is None or mark is None:
                continue
            above = (trig.tpsl == "tp") != order.is_buy
            if (mark >= trig.px) if above else (mark <= trig.px):
                self._trigger(order)

    def _trigger(self, order: VenueOrder) -> None:
        acct = self.fund(order.user)
        coin = self.coins[order.coin]
        if order.reduce_only and not coin.spot:
            pos = acct.positions.get(coin.name)
            szi = pos.szi if pos else ZERO
            if szi == 0 or (szi > 0) == order.is_buy:
                self._close(order, "reduceOnlyCanceled")
                return
            order.sz = order.orig_sz = min(order.sz, abs(szi))
        order.tif = "Ioc" if order.trigger and order.trigger.is_market else "Gtc"
        order.trigger = None
        self.listeners.order(order.user, [order.update("triggered", self.wall_ms())])
        market = self.markets[coin.name]
        self._catch_up(market)
        market.submit(order.oid, order.is_buy, order.limit_px, order.sz, order.tif)
        self._run_now(market)

    # --- /exchange ------------------------------------------------------------------

    def exchange(self, body: Any) -> dict[str, Any]:
        """Answer one POST /exchange body (also a WS post action payload)."""
        if not isinstance(body, dict) or not isinstance(body.get("action"), dict):
            raise RequestError(422, f"{DESERIALIZE}: missing field `action`")
        action: dict[str, Any] = body["action"]
        nonce, signature = body.get("nonce"), body.get("signature")
        vault, expires = body.get("vaultAddress"), body.get("expiresAfter")
        kind = action.get("type")
        if not isinstance(nonce, int) or not isinstance(signature, dict):
            raise RequestError(422, f"{DESERIALIZE}: missing field `nonce` or `signature`")
        if not isinstance(kind, str):
            raise RequestError(422, f"{DESERIALIZE}: missing field `type`")
        user_signed = kind in verify.USER_SIGNED
        try:
            if user_signed:
                chain = "Mainnet" if self.mainnet else "Testnet"
                if action.get("hyperliquidChain") != chain:
                    return _err(f"Invalid hyperliquidChain: expected {chain}")
                signer = verify.recover_user_signed(action, signature)
            else:
                signer = verify.recover_l1(
                    action,
                    signature,
                    vault=vault if isinstance(vault, str) else None,
                    nonce=nonce,
                    expires_after=expires if isinstance(expires, int) else None,
                    mainnet=self.mainnet,
                )
        except verify.SignatureError:
            return _err("Invalid signature")
        # API (agent) wallets act for their user in L1 actions only: transfers and other
        # user-signed actions must be signed by the user's own key
        user = signer if user_signed else self.agents.get(signer, signer)
        acct = self.account(user) if user == signer else self.fund(user)
        if acct is None:
            return _err(f"L1 error: User or API Wallet {signer} does not exist.")
        if isinstance(vault, str) and not user_signed:
            vault_acct = self.account(vault)
            if vault_acct is None:
                return _err(f"Vault {vault.lower()} does not exist.")
            acct = vault_acct
        now = self.wall_ms()
        if isinstance(expires, int) and expires < now:
            return _err(f"Action expired at {expires} (now {now})")
        problem = self.nonces.check(signer, nonce, now)
        if problem is not None:
            return _err(problem)
        handler = _ACTIONS.get(kind)
        if handler is None:
            raise RequestError(422, f"{DESERIALIZE}: unknown variant `{kind}`")
        weight = len(action.get("orders") or action.get("cancels") or action.get("modifies") or [1])
        cap = self.settings.address_initial_budget + int(acct.cum_volume)
        if acct.n_requests + weight > cap and not kind.startswith("cancel"):
            return _err(
                f"Too many cumulative requests sent ({acct.n_requests + weight} > {cap}) for "
                f"cumulative volume traded ${wire(acct.cum_volume.quantize(Decimal('0.01')))}."
            )
        acct.n_requests += weight
        try:
            return handler(self, acct, action, signer)
        except (KeyError, TypeError, ValueError) as exc:
            raise RequestError(422, f"{DESERIALIZE}: {exc}") from None

    def _order_status(self, acct: Account, w: Any) -> dict[str, Any]:
        """Place one order wire; its status as the venue answers it."""
        if not isinstance(w, dict):
            raise ValueError("order must be an object")
        asset = w["a"]
        coin = self.by_asset.get(asset) if isinstance(asset, int) else None
        if coin is None:
            return {"error": f"Invalid asset {asset}"}
        is_buy, px, sz = bool(w["b"]), parse(w["p"]), parse(w["s"])
        reduce_only = bool(w.get("r", False))
        order_type = w["t"]
        cloid = w.get("c")
        if not isinstance(order_type, dict):
            raise ValueError("t must be an object")
        if px is None or sz is None:
            raise ValueError("p and s must be decimal strings")
        tag = f" asset={coin.asset}"
        if not valid_size(sz, coin.sz_decimals):
            return {"error": "Order has invalid size."}
        if cloid is not None:
            if not isinstance(cloid, str) or len(cloid) != 34 or not cloid.startswith("0x"):
                return {"error": "Invalid cloid."}
            if (acct.address, cloid) in self.by_cloid:
                return {"error": "Duplicate cloid." + tag}
        trigger: Trigger | None = None
        tif: str | None = None
        if "trigger" in order_type:
            t = order_type["trigger"]
            tpx = parse(t["triggerPx"])
            if tpx is None:
                raise ValueError("triggerPx must be a decimal string")
            trigger = Trigger(tpx, bool(t["isMarket"]), str(t["tpsl"]))
        else:
            tif = str(order_type["limit"]["tif"])
            if tif not in ("Gtc", "Alo", "Ioc"):
                raise ValueError(f"unknown tif {tif}")
        # from here on the order has an oid: a refusal is recorded (orderStatus by cloid,
        # orderUpdates) under its `...Rejected` status, as the venue does
        oid = self.next_oid
        self.next_oid += 1
        order = VenueOrder(
            oid, acct.address, coin.name, coin.asset, is_buy, px, sz, sz, self.wall_ms(), tif,
            reduce_only, cloid, trigger,
        )  # fmt: skip

        def reject(status: str, text: str) -> dict[str, Any]:
            self._close(order, status)
            return {"error": text + tag}

        if not valid_price(px, coin.sz_decimals, spot=coin.spot):
            return reject("tickRejected", "Price must be divisible by tick size.")
        if trigger is not None and not valid_price(trigger.px, coin.sz_decimals, spot=coin.spot):
            return reject("badTriggerPxRejected", "Invalid TP/SL price.")
        market = self.markets[coin.name]
        self._catch_up(market)
        if not reduce_only and px * sz < MIN_NOTIONAL:
            return reject(
                "minTradeNtlRejected",
                "Order must have minimum value of 10 USDC."
                if coin.spot
                else "Order must have minimum value of $10.",
            )
        if reduce_only and not coin.spot:
            pos = acct.positions.get(coin.name)
            szi = pos.szi if pos else ZERO
            if szi == 0 or (szi > 0) == is_buy:
                return reject("reduceOnlyRejected", "Reduce only order would increase position.")
            order.sz = order.orig_sz = sz = min(sz, abs(szi))
        bid, ask = market.bbo()
        crosses = (is_buy and ask is not None and px >= ask) or (
            not is_buy and bid is not None and px <= bid
        )
        if tif == "Alo" and crosses:
            bbo = f"{wire(bid) if bid else '0'}@{wire(ask) if ask else '0'}"
            return reject(
                "badAloPxRejected",
                f"Post only order would have immediately matched, bbo was {bbo}.",
            )
        if tif == "Ioc" and not crosses:
            return reject(
                "iocCancelRejected", "Order could not immediately match against any resting orders."
            )
        short = self._shortfall(acct, coin, is_buy, px, sz, reduce_only)
        if short is not None:
            status = "insufficientSpotBalanceRejected" if coin.spot else "perpMarginRejected"
            return reject(status, short)
        self.orders[oid] = order
        if cloid is not None:
            self.by_cloid[(acct.address, cloid)] = oid
        # an order that takes liquidity is announced only if some of it comes to rest
        marketable = trigger is None and crosses
        if not marketable:
            self.listeners.order(acct.address, [order.update("open", order.timestamp)])
        if trigger is not None:
            return {"resting": {"oid": oid}}
        assert tif is not None
        market.submit(oid, is_buy, px, sz, tif)
        self._run_now(market)
        filled = order.orig_sz - order.sz
        if oid in self.orders:
            if marketable:
                self.listeners.order(acct.address, [order.update("open", order.timestamp)])
            return {"resting": {"oid": oid}}
        if filled > 0:
            avg = (order.filled_notional / filled).quantize(Decimal("0.00000001")).normalize()
            return {"filled": {"totalSz": wire(filled), "avgPx": wire(avg), "oid": oid}}
        ended = self.history.get(oid)
        if ended is not None and ended[1] == "badAloPxRejected":
            return {"error": "Post only order would have immediately matched." + tag}
        return {"error": "Order could not immediately match against any resting orders." + tag}

    def _shortfall(
        self, acct: Account, coin: Coin, is_buy: bool, px: Decimal, sz: Decimal, reduce_only: bool
    ) -> str | None:
        if coin.spot:
            asset, need = (coin.quote, px * sz) if is_buy else (coin.base, sz)
            free = acct.spot.get(asset, ZERO) - self._spot_hold(acct.address).get(asset, ZERO)
            return None if need <= free else "Insufficient spot balance"
        if reduce_only:
            return None
        pos = acct.positions.get(coin.name)
        szi = pos.szi if pos else ZERO
        if szi and (szi > 0) != is_buy:  # closing first: only the excess opens
            sz = max(ZERO, sz - abs(szi))
            if sz == 0:
                return None
        _, _, value, used = self._summary(acct)
        lev = self._leverage(acct, coin)[1]
        pending = sum(
            (o.limit_px * o.sz / self._leverage(acct, self.coins[o.coin])[1]
             for o in self.orders.values()
             if o.user == acct.address and not self.coins[o.coin].spot and not o.reduce_only),
            ZERO,
        )  # fmt: skip
        if px * sz / lev > value - used - pending:
            return "Insufficient margin to place order."
        return None

    def _summary(
        self, acct: Account
    ) -> tuple[dict[str, Any], list[dict[str, Any]], Decimal, Decimal]:
        return margin_summary(acct, self.mids(), lambda c: self._leverage(acct, self.coins[c]))

    def _leverage(self, acct: Account, coin: Coin) -> tuple[bool, int]:
        return acct.leverage.get(
            coin.name, (True, min(self.settings.default_leverage, coin.max_leverage))
        )

    def _spot_hold(self, user: str) -> dict[str, Decimal]:
        hold: dict[str, Decimal] = {}
        for o in self.orders.values():
            coin = self.coins[o.coin]
            if o.user != user or not coin.spot:
                continue
            token, amount = (coin.quote, o.limit_px * o.sz) if o.is_buy else (coin.base, o.sz)
            hold[token] = hold.get(token, ZERO) + amount
        return hold

    def _find(self, acct: Account, ref: Any) -> VenueOrder | None:
        if isinstance(ref, str):
            oid = self.by_cloid.get((acct.address, ref))
            return None if oid is None else self.orders.get(oid)
        order = self.orders.get(ref) if isinstance(ref, int) else None
        return order if order is not None and order.user == acct.address else None

    def _a_order(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        statuses = [self._order_status(acct, w) for w in action["orders"]]
        return _ok("order", {"statuses": statuses})

    def _a_cancel(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        statuses: list[Any] = []
        for c in action["cancels"]:
            order = self._find(acct, c["o"])
            if order is None or order.asset != c["a"]:
                statuses.append(
                    {"error": "Order was never placed, already canceled, or filled. "
                              f"asset={c['a']}"}
                )  # fmt: skip
                continue
            self._catch_up(self.markets[order.coin])
            if order.oid in self.orders:
                self._cancel(order)
                statuses.append("success")
            else:
                statuses.append({"error": f"Order was already filled. asset={c['a']}"})
        return _ok("cancel", {"statuses": statuses})

    def _a_cancel_by_cloid(self, acct: Account, action: dict[str, Any], s: str) -> dict[str, Any]:
        cancels = []
        for c in action["cancels"]:
            order = self._find(acct, str(c["cloid"]))
            cancels.append({"a": c["asset"], "o": order.oid if order else -1})
        return self._a_cancel(acct, {"cancels": cancels}, s)

    def _a_batch_modify(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        statuses = [self._modify(acct, m["oid"], m["order"]) for m in action["modifies"]]
        return _ok("order", {"statuses": statuses})

    def _a_modify(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        status = self._modify(acct, action["oid"], action["order"])
        if "error" in status:
            return _err(str(status["error"]))
        return _ok("default")

    def _modify(self, acct: Account, ref: Any, w: dict[str, Any]) -> dict[str, Any]:
        """Cancel-replace: the replacement gets a new oid (and keeps the cloid if given)."""
        order = self._find(acct, ref)
        if order is None:
            return {"error": "Cannot modify canceled or filled order"}
        self._catch_up(self.markets[order.coin])
        if order.oid not in self.orders:
            return {"error": "Cannot modify canceled or filled order"}
        self._cancel(order)
        return self._order_status(acct, w)

    def _a_update_leverage(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        coin = self.by_asset.get(action["asset"])
        lev = int(action["leverage"])
        if coin is None or coin.spot:
            return _err("Invalid asset")
        if not 1 <= lev <= coin.max_leverage:
            return _err(f"Invalid leverage value. Max leverage is {coin.max_leverage}")
        acct.leverage[coin.name] = (bool(action["isCross"]), lev)
        return _ok("default")

    def _a_schedule_cancel(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        at = action.get("time")
        if at is None:
            acct.dead_man_ms = None
            return _ok("default")
        if int(at) < self.wall_ms() + SCHEDULE_CANCEL_MIN_MS:
            return _err("Scheduled cancel time too early, must be at least 5 seconds from now.")
        acct.dead_man_ms = int(at)
        return _ok("default")

    def _a_usd_class_transfer(
        self, acct: Account, action: dict[str, Any], _: str
    ) -> dict[str, Any]:
        amount = parse(str(action["amount"]).split(" ")[0])
        if amount is None or amount <= 0:
            return _err("Invalid amount")
        if action["toPerp"]:
            free = acct.spot.get("USDC", ZERO) - self._spot_hold(acct.address).get("USDC", ZERO)
            if amount > free:
                return _err("Insufficient balance for transfer")
            acct.spot["USDC"] = acct.spot.get("USDC", ZERO) - amount
            acct.usdc += amount
        else:
            value, margin = self._summary(acct)[2:]
            if amount > value - margin:
                return _err("Insufficient balance for transfer")
            acct.usdc -= amount
            acct.spot["USDC"] = acct.spot.get("USDC", ZERO) + amount
        now = self.wall_ms()
        acct.ledger.append(
            {"time": now, "hash": "0x" + bytes(keccak(f"{acct.address}{now}".encode())).hex(),
             "delta": {"type": "accountClassTransfer", "usdc": wire(amount),
                       "toPerp": bool(action["toPerp"])}}
        )  # fmt: skip
        return _ok("default")

    def _a_unsupported(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        return _err(f"The emulator does not support {action['type']}")

    def _a_approve_agent(
        self, acct: Account, action: dict[str, Any], signer: str
    ) -> dict[str, Any]:
        agent = str(action["agentAddress"]).lower()
        if signer != acct.address:
            return _err("Agent cannot approve agents")
        self.agents[agent] = acct.address
        acct.agents[agent] = str(action.get("agentName") or "")
        return _ok("default")

    def _a_noop(self, acct: Account, action: dict[str, Any], _: str) -> dict[str, Any]:
        return _ok("default")

    # --- /info ----------------------------------------------------------------------

    def info(self, body: Any) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise RequestError(422, f"{DESERIALIZE}: missing field `type`")
        handler = info_handlers.HANDLERS.get(body["type"])
        if handler is None:
            raise RequestError(422, f"{DESERIALIZE}: unknown variant `{body['type']}`")
        try:
            return handler(self, body)
        except (KeyError, TypeError, ValueError) as exc:
            raise RequestError(422, f"{DESERIALIZE}: {exc}") from None

    def _user(self, body: dict[str, Any]) -> str:
        user = body["user"]
        if not isinstance(user, str) or len(user) != 42:
            raise ValueError("user must be a 42-character address")
        return user.lower()

    def _dex_coins(self, dex: str) -> list[Coin]:
        return [c for c in self.coins.values() if not c.spot and c.dex == dex]

    def l2_book(self, coin: str, n_sig_figs: int | None = None) -> dict[str, Any] | None:
        """Up to 20 levels a side; `n_sig_figs` (2-5) merges them into coarser prices,
        bids down and asks up, as the venue does."""
        market = self.markets.get(coin)
        if market is None:
            return None  # the venue answers null for a coin it does not list
        if n_sig_figs is not None and not 2 <= n_sig_figs <= 5:
            raise ValueError("nSigFigs must be 2, 3, 4, 5 or null")
        deep = 20 if n_sig_figs is None else 200
        sides = market.levels(deep)
        levels = [
            info_handlers.merge_levels(side, n_sig_figs, down=i == 0)[:20] if n_sig_figs else
            [{"px": wire(p), "sz": wire(q), "n": 1} for p, q in side]
            for i, side in enumerate(sides)
        ]  # fmt: skip
        return {"coin": coin, "time": self.wall_ms(), "levels": levels}

    def bbo(self, coin: str) -> dict[str, Any]:
        bids, asks = self.markets[coin].levels(1)
        side = [[{"px": wire(p), "sz": wire(q), "n": 1} for p, q in lv] for lv in (bids, asks)]
        best = [side[0][0] if side[0] else None, side[1][0] if side[1] else None]
        return {"coin": coin, "time": self.wall_ms(), "bbo": best}

    def all_mids(self, dex: str | None = None) -> dict[str, str]:
        return {
            name: wire(mid)
            for name, mid in self.mids().items()
            if dex is None or self.coins[name].spot or self.coins[name].dex == dex
        }

    def clearinghouse(self, user: str, dex: str = "") -> dict[str, Any]:
        acct = self.accounts.get(user)
        if acct is None:
            acct = Account(user, {}, ZERO)
        summary, positions, value, used = self._summary(acct)
        names = {c.name for c in self._dex_coins(dex)}
        positions = [p for p in positions if p["position"]["coin"] in names]
        for p in positions:
            p["position"]["maxLeverage"] = self.coins[p["position"]["coin"]].max_leverage
        return {
            "marginSummary": summary,
            "crossMarginSummary": dict(summary),
            "crossMaintenanceMarginUsed": wire((used / 2).quantize(Decimal("0.000001"))),
            "withdrawable": wire(max(value - used, ZERO).quantize(Decimal("0.000001"))),
            "assetPositions": positions,
            "time": self.wall_ms(),
        }

    def spot_clearinghouse(self, user: str) -> dict[str, Any]:
        acct = self.accounts.get(user)
        hold = self._spot_hold(user)
        tokens = {t.name: t for t in self.settings.tokens}
        balances = []
        for name, total in sorted((acct.spot if acct else {}).items()):
            t = tokens.get(name)
            balances.append(
                {"coin": name, "token": t.index if t else 0, "total": wire(total),
                 "hold": wire(hold.get(name, ZERO)), "entryNtl": "0.0"}
            )  # fmt: skip
        return {"balances": balances}

    def open_orders_of(self, user: str, *, frontend: bool = False) -> list[dict[str, Any]]:
        rows = sorted((o for o in self.orders.values() if o.user == user), key=lambda o: -o.oid)
        return [o.frontend() if frontend else o.basic() for o in rows]

    def order_status(self, user: str, ref: Any) -> dict[str, Any]:
        oid = self.by_cloid.get((user, ref)) if isinstance(ref, str) else ref
        if isinstance(ref, str) and oid is None:
            oid = next(
                (k for k, (o, _, _) in self.history.items() if o.user == user and o.cloid == ref),
                None,
            )
        if isinstance(oid, int) and oid in self.orders and self.orders[oid].user == user:
            o = self.orders[oid]
            return {"status": "order",
                    "order": {"order": o.frontend(), "status": "open",
                              "statusTimestamp": o.timestamp}}  # fmt: skip
        known = self.history.get(oid) if isinstance(oid, int) else None
        if known is None or known[0].user != user:
            return {"status": "unknownOid"}
        o, status, ts = known
        entry = {"order": o.frontend(), "status": status, "statusTimestamp": ts}
        return {"status": "order", "order": entry}

    def last_candle(self, coin: str, interval: str) -> dict[str, Any] | None:
        """The candle now forming (the WebSocket `candle` channel)."""
        market, step = self.markets[coin], INTERVALS_MS[interval]
        start = market.last_minute - market.last_minute % step
        req = {"coin": coin, "interval": interval, "startTime": start, "endTime": start + step}
        rows = self.candles(req, minutes=range(start, start + step, 60_000))
        return rows[-1] if rows else None

    def candles(self, req: dict[str, Any], minutes: range | None = None) -> list[dict[str, Any]]:
        coin, interval = str(req["coin"]), str(req["interval"])
        start, end = int(req["startTime"]), int(req.get("endTime") or self.wall_ms())
        market = self.markets[coin]
        return candle_rows(market, coin, interval, INTERVALS_MS[interval], start, end, minutes)

    def user_fills(self, user: str) -> list[dict[str, Any]]:
        acct = self.accounts.get(user)
        return list(reversed(acct.fills[-2000:])) if acct else []

    def asset_ctx(self, coin: Coin) -> dict[str, Any]:
        mid = self.markets[coin.name].mid()
        px = wire(mid) if mid is not None else None
        ctx: dict[str, Any] = {"dayNtlVlm": "0.0", "prevDayPx": px, "markPx": px, "midPx": px}
        if coin.spot:
            ctx.update(coin=coin.name, circulatingSupply="0.0", totalSupply="0.0")
        else:
            ctx.update(funding="0.0", openInterest="0.0", premium="0.0", oraclePx=px,
                       impactPxs=[px, px], dayBaseVlm="0.0")  # fmt: skip
        return ctx


_Action = Callable[[EmulatedVenue, Account, dict[str, Any], str], dict[str, Any]]
_ACTIONS: dict[str, _Action] = {
    "order": EmulatedVenue._a_order,
    "cancel": EmulatedVenue._a_cancel,
    "cancelByCloid": EmulatedVenue._a_cancel_by_cloid,
    "batchModify": EmulatedVenue._a_batch_modify,
    "modify": EmulatedVenue._a_modify,
    "updateLeverage": EmulatedVenue._a_update_leverage,
    "scheduleCancel": EmulatedVenue._a_schedule_cancel,
    "usdClassTransfer": EmulatedVenue._a_usd_class_transfer,
    "approveAgent": EmulatedVenue._a_approve_agent,
    "noop": EmulatedVenue._a_noop,
    "usdSend": EmulatedVenue._a_unsupported,
    "withdraw3": EmulatedVenue._a_unsupported,
}
