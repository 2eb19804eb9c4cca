"""Signing and sending exchange actions: over the WebSocket `post` when it is up, over
REST otherwise, and never twice.

A post that times out (or whose socket drops before the answer) may have been acted on.
For orders, the cloid tells: `orderStatus` by cloid answers whether the venue has it,
and only an unknown cloid is sent again. The resend is the same signed payload with the
same nonce, so even if the first copy lands late the venue refuses the second as a
reused nonce: the action happens at most once. Once a payload has gone unanswered no new
one is signed for the same action (a rate-limit refusal of the resend is waited out and
the same payload sent again, after another check); when the outcome cannot be learnt,
OutcomeUnknownError (a VenueTimeoutError) says so and the caller settles it later.

The venue's envelope can say `"status":"ok"` while the real verdict is an `error` in
`response.data.statuses[i]` (the seed's trap): callers get the statuses and judge each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from falconet.core.errors import ErrorKind
from falconet.engine.errors import (
    OrderRejectedError,
    RateLimitError,
    VenueConnectionError,
    VenueParseError,
    VenueTimeoutError,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.actions import exchange_payload
from falconet.venues.hyperliquid.errors import error_kind
from falconet.venues.hyperliquid.nonces import NonceSource
from falconet.venues.hyperliquid.ratelimit import AddressBudget, WeightLimiter, action_weight
from falconet.venues.hyperliquid.rest import RestClient
from falconet.venues.hyperliquid.ws import HyperliquidSocket

log = get_logger("hyperliquid")
VENUE = "hyperliquid"
_RATE_LIMIT_WORDS = ("rate limit", "too many", "ratelimit")
RATE_LIMIT_RETRIES = 2


class OutcomeUnknownError(VenueTimeoutError):
    """An action went unanswered and could not be confirmed either way: the venue may
    have acted on it. Orders are then settled later by `orderStatus(cloid)`."""


@dataclass
class _Attempt:
    """One `submit()`: the signed payload, and whether a copy of it went unanswered.
    Once it has, no new signature is made for the same orders: only the same payload
    (same nonce) is sent again, after another `landed()` check."""

    payload: dict[str, Any] | None = None
    unanswered: bool = False


class SignerLike(Protocol):
    """What the executor needs of `signing.Signer` (tests inject a stub)."""

    @property
    def address(self) -> str: ...

    def sign_l1(
        self,
        action: Mapping[str, Any],
        nonce: int,
        *,
        vault_address: str | None = None,
        expires_after: int | None = None,
    ) -> dict[str, Any]: ...

    def sign_user(
        self, action: dict[str, Any], primary_type: str, fields: Sequence[tuple[str, str]]
    ) -> dict[str, Any]: ...


@dataclass
class ExecStats:
    actions: int = 0
    ws_posts: int = 0
    rest_sends: int = 0
    rest_fallbacks: int = 0
    status_checks: int = 0
    resends_avoided: int = 0


class Executor:
    def __init__(
        self,
        *,
        signer: SignerLike,
        nonces: NonceSource,
        rest: RestClient,
        socket: HyperliquidSocket | None,
        user: str,
        vault_address: str | None,
        use_ws: bool,
        timeout_s: float,
        limiter: WeightLimiter,
        budget: AddressBudget,
    ) -> None:
        self.signer = signer
        self.nonces = nonces
        self.rest = rest
        self.socket = socket
        self.user = user
        self.vault_address = vault_address
        self.use_ws = use_ws
        self.timeout_s = timeout_s
        self.limiter = limiter
        self.budget = budget
        self.stats = ExecStats()

    def sign(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self.nonces.next()
        signature = self.signer.sign_l1(action, nonce, vault_address=self.vault_address)
        return exchange_payload(action, signature, nonce, self.vault_address, None)

    async def submit(
        self,
        action: dict[str, Any],
        *,
        batch_len: int = 1,
        cancel: bool = False,
        check_cloids: Sequence[str] = (),
        spent: bool = False,
    ) -> list[Any]:
        """Send an L1 action; the per-item statuses (empty for actions without any).
        `spent`: the engine already took its first try from the address budget (an order,
        amend or cancel the OMS sent); the adapter's own actions and every retry are
        charged here.
        Raises OrderRejectedError when the whole request was refused. A refusal for
        being over a rate limit is waited out (back-off) and sent again: freshly signed
        when no copy went unanswered (the venue did not act on it), otherwise the SAME
        payload (same nonce), after asking `orderStatus` again, so the action can happen
        at most once. Raises OutcomeUnknownError when a copy went unanswered and the
        outcome could not be learnt."""
        attempt = _Attempt()
        tries = 0
        while True:
            tries += 1
            if tries > 1 or not spent:
                self.budget.charge(batch_len, cancel=cancel)
            try:
                return await self._submit_once(action, batch_len, cancel, check_cloids, attempt)
            except RateLimitError as exc:
                if _address_budget_spent(exc) and not attempt.unanswered:
                    # the venue allows one request per 10 s from here: a retry in a second
                    # is refused too; the budget learns it is spent and the order ends
                    self.budget.spent_at_venue()
                    raise OrderRejectedError(
                        str(exc), kind=ErrorKind.RATE_LIMIT, venue=VENUE
                    ) from exc
                if tries > RATE_LIMIT_RETRIES:
                    if attempt.unanswered:
                        raise OutcomeUnknownError(
                            f"unanswered, then rate limited: {exc}", venue=VENUE
                        ) from exc
                    raise
                wait = await self.limiter.backoff(exc.retry_after_s)
                log.warning("action rate limited: backing off", wait_s=wait, attempt=tries)

    async def _submit_once(
        self,
        action: dict[str, Any],
        batch_len: int,
        cancel: bool,
        check_cloids: Sequence[str],
        attempt: _Attempt,
    ) -> list[Any]:
        if attempt.unanswered and attempt.payload is not None:
            # a copy may still land: never a new signature, only the same payload again
            if check_cloids:
                landed = await self.landed(check_cloids)
                if landed is not None:
                    self.stats.resends_avoided += 1
                    return landed
            return await self._send_rest(attempt.payload, batch_len, check_cloids, attempt)
        payload = self.sign(action)
        attempt.payload = payload
        self.stats.actions += 1
        socket = self.socket
        if self.use_ws and socket is not None and socket.connected:
            await self.limiter.acquire(action_weight(batch_len))
            try:
                raw = await socket.post("action", payload, self.timeout_s)
                self.stats.ws_posts += 1
                return parse_statuses(bytes(raw))
            except (VenueTimeoutError, VenueConnectionError) as exc:
                self.stats.rest_fallbacks += 1
                attempt.unanswered = True
                log.warning("post unanswered: checking before REST", error=str(exc))
                if check_cloids:
                    landed = await self.landed(check_cloids)
                    if landed is not None:
                        self.stats.resends_avoided += 1
                        return landed
        return await self._send_rest(payload, batch_len, check_cloids, attempt)

    async def _send_rest(
        self,
        payload: dict[str, Any],
        batch_len: int,
        check_cloids: Sequence[str],
        attempt: _Attempt,
    ) -> list[Any]:
        try:
            raw_rest = await self.rest.exchange(payload, batch_len)
        except (VenueTimeoutError, VenueConnectionError):
            attempt.unanswered = True
            raise
        self.stats.rest_sends += 1
        try:
            return parse_statuses(raw_rest)
        except OrderRejectedError as exc:
            # the unanswered post was acted on (after our check, if any): its nonce is
            # now spent; ask again rather than report a rejection
            if attempt.unanswered and "nonce" in str(exc).lower():
                if check_cloids:
                    landed = await self.landed(check_cloids)
                    if landed is not None:
                        self.stats.resends_avoided += 1
                        return landed
                raise OutcomeUnknownError(
                    f"the unanswered copy was acted on, outcome unknown: {exc}", venue=VENUE
                ) from exc
            raise

    async def submit_user(
        self, action: dict[str, Any], primary_type: str, fields: Sequence[tuple[str, str]]
    ) -> list[Any]:
        """A user-signed action (usdClassTransfer…): its nonce is inside the action."""
        self.budget.charge(1)
        signature = self.signer.sign_user(action, primary_type, fields)
        nonce = int(action.get("nonce", action.get("time", 0)))
        payload = exchange_payload(action, signature, nonce, self.vault_address, None)
        self.stats.actions += 1
        self.stats.rest_sends += 1
        return parse_statuses(await self.rest.exchange(payload))

    async def order_status(self, oid_or_cloid: int | str) -> msgs.OrderStatusInfo:
        self.stats.status_checks += 1
        raw = await self.rest.info({"type": "orderStatus", "user": self.user, "oid": oid_or_cloid})
        return msgs.ORDER_STATUS.decode(raw)

    async def landed(self, cloids: Sequence[str]) -> list[Any] | None:
        """Statuses rebuilt from `orderStatus` if the venue knows any of these orders;
        None when it knows none of them (the request never arrived)."""
        out: list[Any] = []
        known = False
        for cloid in cloids:
            info = await self.order_status(cloid)
            if info.status != "order" or info.order is None:
                out.append({"error": "order not found after an unanswered request"})
                continue
            known = True
            out.append(status_from_order(info.order))
        return out if known else None


def status_from_order(update: msgs.OrderUpdate) -> dict[str, Any]:
    """An `orderStatus` answer in the shape of an order request's status."""
    o, status = update.order, update.status
    if status in {"open", "triggered"}:
        return {"resting": {"oid": o.oid}}
    if status == "filled":
        return {"filled": {"totalSz": o.orig_sz or o.sz, "avgPx": o.limit_px, "oid": o.oid}}
    if status.endswith("Rejected") or status == "rejected":
        return {"error": status}
    return {"canceled": {"oid": o.oid, "status": status}}


def _address_budget_spent(exc: RateLimitError) -> bool:
    """The per-address budget (not the IP weight) refused the action."""
    return "too many cumulative requests" in str(exc).lower()


def parse_statuses(raw: bytes) -> list[Any]:
    """The statuses of an /exchange answer; raises when the envelope itself is an error."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise VenueParseError(f"unreadable exchange answer: {raw[:200]!r}", venue=VENUE) from exc
    if not isinstance(body, dict):
        raise VenueParseError(f"unexpected exchange answer: {raw[:200]!r}", venue=VENUE)
    if body.get("status") != "ok":
        text = str(body.get("response", body))[:300]
        kind = error_kind(text)
        if kind is ErrorKind.RATE_LIMIT or any(w in text.lower() for w in _RATE_LIMIT_WORDS):
            raise RateLimitError(text, venue=VENUE)
        raise OrderRejectedError(text, kind=kind, venue=VENUE)
    response = body.get("response")
    if isinstance(response, dict):
        data = response.get("data")
        if isinstance(data, dict):
            statuses = data.get("statuses")
            if isinstance(statuses, list):
                return statuses
    return []


def status_error(status: Any) -> str | None:
    """The error text of one status, if it is one."""
    if isinstance(status, dict) and "error" in status:
        return str(status["error"])
    return None
