"""The Hyperliquid WebSocket: the engine's generic `WsConnection` speaking Hyperliquid.

`HyperliquidProtocol` is the venue's dialect: `{"method":"subscribe"|"unsubscribe",
"subscription":…}`, acks on `subscriptionResponse`, `{"method":"ping"}` answered on
`pong`, `{"method":"post","id":…,"request":…}` answered on `post`, errors on `error`, the
greeting text ignored, every other channel data. `HyperliquidSocket` adds `post` (an `info`
or `action` request over the socket) with the venue's error answers turned into typed
errors. Subscriptions are replayed after every reconnect, a malformed frame is counted and
logged and never ends the connection (see `falconet.engine.connection`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from falconet.core.errors import ErrorKind
from falconet.engine.connection import (
    PONG,
    Ack,
    Answer,
    Data,
    Incoming,
    VenueNotice,
    WsConnection,
)
from falconet.engine.errors import (
    RateLimitError,
    VenueConnectionError,
    VenueError,
    VenueTimeoutError,
)
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.errors import error_kind

VENUE = "hyperliquid"
GREETING = b"Websocket connection established."
FrameHandler = Callable[[str, msgspec.Raw, bytes, int], None]
_ENCODE = msgspec.json.Encoder()
_SERVICE_CHANNELS = frozenset({"pong", "post", "subscriptionResponse", "error"})
_PING = b'{"method":"ping"}'


def subscription_key(sub: Mapping[str, Any]) -> str:
    """Identifies a subscription and its ack: type plus coin/user/interval, lower-cased
    (the venue echoes the subscription back, sometimes with defaults filled in)."""
    parts = [str(sub.get("type", ""))]
    for field in ("coin", "user", "interval"):
        value = sub.get(field)
        if value is not None:
            parts.append(str(value).lower())
    return ":".join(parts)


def _ack_key(data: msgspec.Raw) -> str:
    """The key of the subscription a `subscriptionResponse` acknowledges."""
    body = msgs.ANY.decode(data)
    sub = body.get("subscription") if isinstance(body, dict) else None
    if not isinstance(sub, dict):
        raise ValueError("subscription ack without a subscription object")
    return subscription_key(sub)


def _text(data: msgspec.Raw, limit: int = 300) -> str:
    return bytes(data)[:limit].decode("utf-8", "replace")


class HyperliquidProtocol:
    """Hyperliquid's WebSocket dialect for `WsConnection`."""

    venue = VENUE

    def subscription_key(self, subscription: Mapping[str, Any]) -> str:
        return subscription_key(subscription)

    def subscribe_message(self, subscription: Mapping[str, Any]) -> bytes:
        return _ENCODE.encode({"method": "subscribe", "subscription": subscription})

    def unsubscribe_message(self, subscription: Mapping[str, Any]) -> bytes:
        return _ENCODE.encode({"method": "unsubscribe", "subscription": subscription})

    def ping_message(self) -> bytes:
        return _PING

    def request_message(self, request_id: int, request: Mapping[str, Any]) -> bytes:
        return _ENCODE.encode({"method": "post", "id": request_id, "request": request})

    def decode(self, raw: bytes) -> Incoming[msgspec.Raw, msgs.PostResponse]:
        try:
            frame = msgs.FRAME.decode(raw)
        except msgspec.DecodeError:
            if raw.startswith(GREETING):
                return None
            raise
        channel = frame.channel
        if channel not in _SERVICE_CHANNELS:
            return Data(channel, frame.data)
        if channel == "pong":
            return PONG
        if channel == "post":
            answer = msgs.POST_DATA.decode(frame.data)
            return Answer(answer.id, answer.response)
        if channel == "subscriptionResponse":
            return Ack(_ack_key(frame.data))
        return VenueNotice(_text(frame.data))


PROTOCOL = HyperliquidProtocol()


class HyperliquidSocket(WsConnection[msgspec.Raw, msgs.PostResponse]):
    """One WebSocket to Hyperliquid: subscriptions, `post`, ping. `on_frame(channel, data,
    raw, ts_local_ns)` gets every data frame, `data` still encoded."""

    def __init__(
        self,
        url: str,
        *,
        on_frame: FrameHandler,
        on_lost: Callable[[str], None] | None = None,
        on_data: Callable[[], None] | None = None,
        name: str = "hyperliquid-ws",
        open_timeout_s: float = 10.0,
        ack_timeout_s: float = 5.0,
        ping_timeout_s: float = 5.0,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        super().__init__(
            url,
            PROTOCOL,
            on_frame=on_frame,
            on_lost=on_lost,
            on_data=on_data,
            name=name,
            open_timeout_s=open_timeout_s,
            ack_timeout_s=ack_timeout_s,
            ping_timeout_s=ping_timeout_s,
            clock_ns=clock_ns,
        )
        self.stats["posts"] = 0
        self.stats["post_timeouts"] = 0

    async def post(self, kind: str, payload: Mapping[str, Any], timeout_s: float) -> msgspec.Raw:
        """An `info` or `action` request over the socket; the answer's payload. Raises
        VenueConnectionError if the socket is down (nothing was sent), VenueTimeoutError
        when no answer came in time (it may have been acted on), RateLimitError or
        VenueError when the venue answered with an error."""
        if not self.connected:
            raise VenueConnectionError("websocket not connected", venue=VENUE)
        self.stats["posts"] += 1
        try:
            answer = await self.request({"type": kind, "payload": payload}, timeout_s)
        except VenueTimeoutError:
            self.stats["post_timeouts"] += 1
            raise
        if answer.type == "error":
            text = _text(answer.payload)
            kind = error_kind(text)
            if kind is ErrorKind.RATE_LIMIT:
                raise RateLimitError(f"post refused: {text}", venue=VENUE)
            raise VenueError(f"post refused: {text}", kind=kind, venue=VENUE)
        return answer.payload
