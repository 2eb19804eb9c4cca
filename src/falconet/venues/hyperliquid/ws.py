"""One WebSocket to Hyperliquid: subscriptions (remembered, replayed after every
reconnect), `post` requests matched to their answers by id, and the `{"method":"ping"}`
heartbeat. It implements `PingableConnection`: a `HealthMonitor` opens it, pings it and
reopens it with back-off; the socket tells the monitor of every frame (`on_data`) and
of an unexpected close (`on_lost`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from falconet.engine.errors import (
    ErrorKind,
    RateLimitError,
    VenueConnectionError,
    VenueError,
    VenueTimeoutError,
    classify_text,
    describe_error,
)
from falconet.observe.log import get_logger
from falconet.venues.hyperliquid import messages as msgs

log = get_logger("hyperliquid")

VENUE = "hyperliquid"
GREETING = b"Websocket connection established."
FrameHandler = Callable[[str, msgspec.Raw, bytes, int], None]
_ENCODE = msgspec.json.Encoder()


def subscription_key(sub: Mapping[str, Any]) -> str:
    """Identifies a subscription and its ack: type plus coin/user/interval, lower-cased
    (the venue echoes the subscription back, sometimes with defaults filled in)."""
    parts = [str(sub.get("type", ""))]
    for field in ("coin", "user", "interval"):
        value = sub.get(field)
        if value is not None:
            parts.append(str(value).lower())
    return ":".join(parts)


class HyperliquidSocket:
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
        self.url = url
        self._name = name
        self.on_frame = on_frame
        self.on_lost = on_lost
        self.on_data = on_data
        self.open_timeout_s = open_timeout_s
        self.ack_timeout_s = ack_timeout_s
        self.ping_timeout_s = ping_timeout_s
        self._clock_ns = clock_ns
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._acks: dict[str, asyncio.Future[None]] = {}
        self._posts: dict[int, asyncio.Future[msgs.PostResponse]] = {}
        self._pong: asyncio.Future[None] | None = None
        self._ids = itertools.count(1)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.stats = {
            "connects": 0, "frames": 0, "decode_errors": 0, "handler_errors": 0,
            "posts": 0, "post_timeouts": 0, "pings": 0, "pongs": 0, "ack_timeouts": 0,
            "venue_errors": 0,
        }  # fmt: skip

    # --- ManagedConnection ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._reader is not None and not self._reader.done()

    async def connect(self) -> None:
        """Open, then replay every remembered subscription and wait for the acks."""
        await self.close()
        try:
            ws = await connect(
                self.url,
                open_timeout=self.open_timeout_s,
                ping_interval=None,
                max_size=None,
                compression=None,
            )
        except Exception as exc:
            raise VenueConnectionError(
                f"cannot open {self.url}: {describe_error(exc)}", venue=VENUE
            ) from exc
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws), name=self._name)
        self.stats["connects"] += 1
        subs = list(self.subscriptions.items())
        if subs:
            waits = [self._send_subscribe(key, sub) for key, sub in subs]
            await self._await_acks(waits)

    async def close(self) -> None:
        ws, reader = self._ws, self._reader
        self._ws = None
        self._reader = None
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        self._fail_pending("connection closed")

    async def ping(self) -> bool:
        """True once the venue answered `{"channel":"pong"}`."""
        ws = self._ws
        if ws is None:
            return False
        loop = asyncio.get_running_loop()
        if self._pong is None or self._pong.done():
            self._pong = loop.create_future()
        pong = self._pong
        self.stats["pings"] += 1
        try:
            await ws.send(b'{"method":"ping"}', text=True)
            await asyncio.wait_for(asyncio.shield(pong), self.ping_timeout_s)
        except (TimeoutError, ConnectionClosed, VenueError):
            return False
        return True

    # --- subscriptions -------------------------------------------------------------------

    async def subscribe(self, subscription: Mapping[str, Any]) -> bool:
        """Remember it (replayed after every reconnect) and, if open, send it now. True
        when the venue acknowledged it."""
        key = subscription_key(subscription)
        sub = dict(subscription)
        self.subscriptions[key] = sub
        if not self.connected:
            return False
        return await self._await_acks([self._send_subscribe(key, sub)])

    async def unsubscribe(self, subscription: Mapping[str, Any]) -> None:
        key = subscription_key(subscription)
        sub = self.subscriptions.pop(key, None)
        if sub is not None and self._ws is not None:
            msg = {"method": "unsubscribe", "subscription": sub}
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(_ENCODE.encode(msg), text=True)

    def _send_subscribe(self, key: str, sub: dict[str, Any]) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks[key] = fut
        ws = self._ws
        if ws is not None:
            data = _ENCODE.encode({"method": "subscribe", "subscription": sub})
            asyncio.get_running_loop().create_task(self._send_quietly(ws, data))
        return fut

    async def _send_quietly(self, ws: ClientConnection, data: bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(data, text=True)

    async def _await_acks(self, waits: list[asyncio.Future[None]]) -> bool:
        _done, pending = await asyncio.wait(waits, timeout=self.ack_timeout_s)
        for fut in pending:
            fut.cancel()
        if pending:
            self.stats["ack_timeouts"] += len(pending)
            log.warning("subscriptions not acknowledged", missing=len(pending))
        return not pending

    # --- post ----------------------------------------------------------------------------

    async def post(self, kind: str, payload: Mapping[str, Any], timeout_s: float) -> msgspec.Raw:
        """An `info` or `action` request over the socket; the answer's payload. Raises
        VenueConnectionError if the socket is down (nothing was sent) and
        VenueTimeoutError when no answer came in time (it may have been acted on)."""
        ws = self._ws
        if ws is None or not self.connected:
            raise VenueConnectionError("websocket not connected", venue=VENUE)
        post_id = next(self._ids)
        fut: asyncio.Future[msgs.PostResponse] = asyncio.get_running_loop().create_future()
        self._posts[post_id] = fut
        msg = {"method": "post", "id": post_id, "request": {"type": kind, "payload": payload}}
        self.stats["posts"] += 1
        try:
            try:
                await ws.send(_ENCODE.encode(msg), text=True)
            except ConnectionClosed as exc:
                raise VenueConnectionError(f"websocket closed: {exc}", venue=VENUE) from exc
            try:
                answer = await asyncio.wait_for(fut, timeout_s)
            except TimeoutError:
                self.stats["post_timeouts"] += 1
                raise VenueTimeoutError(
                    f"no answer to post {post_id} in {timeout_s:g} s", venue=VENUE
                ) from None
        finally:
            self._posts.pop(post_id, None)
        if answer.type == "error":
            text = bytes(answer.payload)[:300].decode("utf-8", "replace")
            kind = classify_text(text)
            if kind is ErrorKind.RATE_LIMIT:
                raise RateLimitError(f"post refused: {text}", venue=VENUE)
            raise VenueError(f"post refused: {text}", kind=kind, venue=VENUE)
        return answer.payload

    # --- reading -------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        reason = "closed by the venue"
        try:
            async for message in ws:
                raw = message.encode() if isinstance(message, str) else message
                self._dispatch(raw, self._clock_ns())
        except ConnectionClosed as exc:
            reason = f"closed: {exc}"
        except Exception as exc:  # a reader that dies must be reported, not hidden
            reason = describe_error(exc)
        if ws is self._ws:  # not a close we asked for
            self._ws = None
            self._fail_pending(reason)
            if self.on_lost is not None:
                self.on_lost(reason)

    def _dispatch(self, raw: bytes, ts_local: int) -> None:
        self.stats["frames"] += 1
        if self.on_data is not None:
            self.on_data()
        try:
            frame = msgs.FRAME.decode(raw)
        except msgspec.DecodeError:
            if raw.startswith(GREETING):
                return
            self.stats["decode_errors"] += 1
            log.warning("undecodable frame", frame=raw[:200].decode("utf-8", "replace"))
            return
        channel = frame.channel
        if channel == "pong":
            self.stats["pongs"] += 1
            if self._pong is not None and not self._pong.done():
                self._pong.set_result(None)
        elif channel == "subscriptionResponse":
            self._on_ack(frame.data)
        elif channel == "post":
            self._on_post(frame.data)
        elif channel == "error":
            self.stats["venue_errors"] += 1
            log.warning("venue error", error=bytes(frame.data)[:300].decode("utf-8", "replace"))
        else:
            try:
                self.on_frame(channel, frame.data, raw, ts_local)
            except Exception as exc:  # one bad message must not stop the stream
                self.stats["handler_errors"] += 1
                log.warning("frame handler failed", channel=channel, error=describe_error(exc))

    def _on_ack(self, data: msgspec.Raw) -> None:
        try:
            body = msgs.ANY.decode(data)
            sub = body.get("subscription", {}) if isinstance(body, dict) else {}
        except msgspec.DecodeError:
            self.stats["decode_errors"] += 1
            return
        fut = self._acks.pop(subscription_key(sub), None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _on_post(self, data: msgspec.Raw) -> None:
        try:
            answer = msgs.POST_DATA.decode(data)
        except msgspec.DecodeError:
            self.stats["decode_errors"] += 1
            return
        fut = self._posts.get(answer.id)
        if fut is not None and not fut.done():
            fut.set_result(answer.response)

    def _fail_pending(self, reason: str) -> None:
        for post in self._posts.values():
            if not post.done():
                post.set_exception(VenueConnectionError(f"websocket lost: {reason}", venue=VENUE))
        self._posts.clear()
        for ack in self._acks.values():
            ack.cancel()
        self._acks.clear()
