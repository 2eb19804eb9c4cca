"""`WsConnection`: one WebSocket to a venue, whatever the venue.

The connection owns what every streaming venue needs: opening with a timeout, a reader
task, the subscriptions (remembered, replayed after every reconnect, their acks awaited),
requests matched to their answers by id (a future each, with a timeout, failed when the
connection is lost), the heartbeat, and frame dispatch. It implements
`PingableConnection`, so a `HealthMonitor` opens it, pings it, watches its data and
reopens it with backoff; the connection reports every frame (`on_data`) and an
unexpected close (`on_lost`).

A venue is data plus hooks: a `WsProtocol` says how its subscribe, unsubscribe, ping and
request messages are spelled, how a subscription is keyed, and what an incoming frame is
(`Data`, `Ack`, `Answer`, `Pong`, `VenueNotice`, or `None` for a frame to ignore).

A frame never ends a connection. Any exception raised while decoding one frame (bad JSON,
invalid UTF-8, wrong types, deep nesting) counts in `stats["decode_errors"]`, any raised
while handling it (the data handler's included) in `stats["handler_errors"]`; both are
logged, the first `LOG_FIRST` of each then every `LOG_EVERY`-th, and the reader goes on.
Only the connection's closure ends the reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from falconet.engine.errors import (
    VenueConnectionError,
    VenueError,
    VenueTimeoutError,
    describe_error,
)
from falconet.observe.log import Logger, get_logger

D = TypeVar("D")  # a data frame's payload, as the protocol hands it to the handler
A = TypeVar("A")  # a request's answer

LOG_FIRST = 10  # bad frames of each kind logged one by one...
LOG_EVERY = 1_000  # ...then only every this-many-th, with the running count
EXCERPT_BYTES = 200

STAT_KEYS = (
    "connects",  # connections opened
    "frames",  # frames received, whatever became of them
    "decode_errors",  # frames the protocol could not decode
    "handler_errors",  # frames whose handling raised
    "acks",  # subscription acks
    "answers",  # answers to requests (matched or not)
    "pongs",
    "venue_errors",  # error notices from the venue
    "ignored",  # frames the protocol said to ignore (greetings)
    "requests",
    "request_timeouts",
    "pings",
    "ack_timeouts",  # subscriptions not acknowledged in time
)


# --- what a frame is ----------------------------------------------------------------------


@dataclass(slots=True)
class Data(Generic[D]):
    """A frame for the data handler: its channel and its payload."""

    channel: str
    payload: D


@dataclass(slots=True)
class Ack:
    """The venue acknowledged the subscription with this key."""

    key: str


@dataclass(slots=True)
class Answer(Generic[A]):
    """The answer to request `request_id`."""

    request_id: int
    answer: A


@dataclass(slots=True)
class Pong:
    """The answer to the protocol's ping message."""


@dataclass(slots=True)
class VenueNotice:
    """An error the venue reported on the stream, not tied to a request."""

    text: str


PONG = Pong()

Incoming: TypeAlias = Data[D] | Ack | Answer[A] | Pong | VenueNotice | None
FrameHandler: TypeAlias = Callable[[str, D, bytes, int], None]


class WsProtocol(Protocol[D, A]):
    """A venue's WebSocket dialect: message builders and a frame classifier, no I/O.
    `decode` may raise anything on a malformed frame; the connection counts it."""

    @property
    def venue(self) -> str:
        """The venue's name: the log section and the `venue` of the errors raised."""
        ...

    def subscription_key(self, subscription: Mapping[str, Any]) -> str:
        """Identifies a subscription; `decode` gives its ack the same key."""
        ...

    def subscribe_message(self, subscription: Mapping[str, Any]) -> bytes: ...

    def unsubscribe_message(self, subscription: Mapping[str, Any]) -> bytes: ...

    def ping_message(self) -> bytes | None:
        """The venue's ping, answered by a frame `decode` calls `Pong`; `None` to use
        WebSocket ping control frames instead."""
        ...

    def request_message(self, request_id: int, request: Mapping[str, Any]) -> bytes:
        """`request` wrapped with its id; `decode` returns its `Answer` with that id."""
        ...

    def decode(self, raw: bytes) -> Incoming[D, A]:
        """What the frame `raw` (bytes, text frames too) is."""
        ...


def worth_logging(count: int) -> bool:
    """Log the first `LOG_FIRST` occurrences, then every `LOG_EVERY`-th."""
    return count <= LOG_FIRST or count % LOG_EVERY == 0


def excerpt(raw: bytes) -> str:
    """The start of a frame, as printable text whatever its bytes."""
    return raw[:EXCERPT_BYTES].decode("utf-8", "replace")


def _retrieve(fut: asyncio.Future[Any]) -> None:
    """Mark a finished future's exception as seen (its waiter may have gone)."""
    if fut.done() and not fut.cancelled():
        fut.exception()


class WsConnection(Generic[D, A]):
    """One WebSocket, driven by `protocol`. Data frames go to `on_frame(channel, payload,
    raw, ts_local_ns)`; `on_data()` is called on every frame, `on_lost(reason)` when the
    connection ends without `close()`."""

    def __init__(
        self,
        url: str,
        protocol: WsProtocol[D, A],
        *,
        on_frame: FrameHandler[D],
        on_lost: Callable[[str], None] | None = None,
        on_data: Callable[[], None] | None = None,
        name: str = "ws",
        open_timeout_s: float = 10.0,
        ack_timeout_s: float = 5.0,
        ping_timeout_s: float = 5.0,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.url = url
        self.protocol = protocol
        self.venue = protocol.venue
        self._name = name
        self.on_frame = on_frame
        self.on_lost = on_lost
        self.on_data = on_data
        self.open_timeout_s = open_timeout_s
        self.ack_timeout_s = ack_timeout_s
        self.ping_timeout_s = ping_timeout_s
        self._clock_ns = clock_ns
        self._log: Logger = get_logger(protocol.venue)
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._acks: dict[str, asyncio.Future[None]] = {}
        self._requests: dict[int, asyncio.Future[A]] = {}
        self._pongs: set[asyncio.Future[None]] = set()
        self._ids = itertools.count(1)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)

    # --- ManagedConnection ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._reader is not None and not self._reader.done()

    async def connect(self) -> None:
        """Open, then replay every remembered subscription and wait for the acks. Raises
        VenueConnectionError, leaving nothing open, if that fails."""
        await self.close()
        ws = await self._open()
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws), name=self._name)
        self.stats["connects"] += 1
        if self.subscriptions:
            await self._replay()
        if not self.connected:
            await self.close()
            raise VenueConnectionError(f"{self._name}: lost while subscribing", venue=self.venue)

    async def close(self) -> None:
        """Safe at any time; fails what waits on this connection."""
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
        """True once the venue answered the ping in time."""
        ws = self._ws
        if ws is None:
            return False
        self.stats["pings"] += 1
        message = self.protocol.ping_message()
        try:
            if message is None:
                await asyncio.wait_for(await ws.ping(), self.ping_timeout_s)
                self.stats["pongs"] += 1
            else:
                await self._text_ping(ws, message)
        except (TimeoutError, ConnectionClosed, VenueError):
            return False
        return True

    async def _text_ping(self, ws: ClientConnection, message: bytes) -> None:
        """Send the protocol's ping and wait for the next pong (any pong answers every
        ping in flight)."""
        pong: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs.add(pong)
        try:
            await ws.send(message, text=True)
            await asyncio.wait_for(pong, self.ping_timeout_s)
        finally:
            self._pongs.discard(pong)
            _retrieve(pong)

    async def _open(self) -> ClientConnection:
        try:
            return await connect(
                self.url,
                open_timeout=self.open_timeout_s,
                ping_interval=None,  # the health monitor pings
                max_size=None,
                compression=None,
            )
        except Exception as exc:
            raise VenueConnectionError(
                f"cannot open {self.url}: {describe_error(exc)}", venue=self.venue
            ) from exc

    # --- subscriptions -------------------------------------------------------------------

    async def subscribe(self, subscription: Mapping[str, Any]) -> bool:
        """Remember it (replayed after every reconnect) and, if open, send it now. True
        when the venue acknowledged it in time."""
        key = self.protocol.subscription_key(subscription)
        sub = dict(subscription)
        self.subscriptions[key] = sub
        if not self.connected:
            return False
        return await self._await_acks([await self._send_subscribe(key, sub)])

    async def unsubscribe(self, subscription: Mapping[str, Any]) -> None:
        """Forget it and, if open, tell the venue."""
        sub = self.subscriptions.pop(self.protocol.subscription_key(subscription), None)
        ws = self._ws
        if sub is not None and ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(self.protocol.unsubscribe_message(sub), text=True)

    async def _replay(self) -> None:
        subs = list(self.subscriptions.items())
        await self._await_acks([await self._send_subscribe(key, sub) for key, sub in subs])

    async def _send_subscribe(self, key: str, sub: dict[str, Any]) -> asyncio.Future[None]:
        """Send it; the future its ack will complete (registered before the send)."""
        fut = self._acks.get(key)
        if fut is None or fut.done():
            fut = self._acks[key] = asyncio.get_running_loop().create_future()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(self.protocol.subscribe_message(sub), text=True)
        return fut

    async def _await_acks(self, waits: list[asyncio.Future[None]]) -> bool:
        if not waits:
            return True
        done, pending = await asyncio.wait(waits, timeout=self.ack_timeout_s)
        for fut in pending:
            fut.cancel()
        if pending:
            self.stats["ack_timeouts"] += len(pending)
            self._log.warning(
                "subscriptions not acknowledged", connection=self._name, missing=len(pending)
            )
        return not pending and not any(fut.cancelled() for fut in done)

    # --- requests ------------------------------------------------------------------------

    async def request(self, request: Mapping[str, Any], timeout_s: float) -> A:
        """Send `request` with a fresh id and return the venue's answer. Raises
        VenueConnectionError if the connection is down (nothing was sent) or drops before
        the answer, VenueTimeoutError when no answer came in time (it may have been acted
        on)."""
        ws = self._ws
        if ws is None or not self.connected:
            raise VenueConnectionError("websocket not connected", venue=self.venue)
        request_id = next(self._ids)
        fut: asyncio.Future[A] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = fut
        self.stats["requests"] += 1
        try:
            await self._send_request(ws, request_id, request)
            return await self._answer(fut, request_id, timeout_s)
        finally:
            self._requests.pop(request_id, None)
            _retrieve(fut)

    async def _send_request(
        self, ws: ClientConnection, request_id: int, request: Mapping[str, Any]
    ) -> None:
        try:
            await ws.send(self.protocol.request_message(request_id, request), text=True)
        except ConnectionClosed as exc:
            raise VenueConnectionError(f"websocket closed: {exc}", venue=self.venue) from exc

    async def _answer(self, fut: asyncio.Future[A], request_id: int, timeout_s: float) -> A:
        try:
            return await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            self.stats["request_timeouts"] += 1
            raise VenueTimeoutError(
                f"no answer to request {request_id} in {timeout_s:g} s", venue=self.venue
            ) from None

    # --- reading -------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        """Dispatch frames until the connection closes; nothing else ends it."""
        reason = "closed by the venue"
        try:
            while True:
                raw = await ws.recv(decode=False)  # text frames as bytes: no UTF-8 check
                self._dispatch(raw, self._clock_ns())
        except ConnectionClosed as exc:
            reason = f"closed: {exc}"
        except Exception as exc:  # the socket itself failed: report it, do not hide it
            reason = describe_error(exc)
        if ws is self._ws:  # not a close we asked for
            self._ws = None
            self._fail_pending(reason)
            self._report_lost(reason)

    def _dispatch(self, raw: bytes, ts_local: int) -> None:
        """One frame; never raises (but lets cancellation through)."""
        self.stats["frames"] += 1
        stage = "handler_errors"
        try:
            if self.on_data is not None:
                self.on_data()
            stage = "decode_errors"
            frame = self.protocol.decode(raw)
            stage = "handler_errors"
            self._handle(frame, raw, ts_local)
        except Exception as exc:  # one bad frame must not end the stream
            self._frame_failed(stage, raw, exc)

    def _handle(self, frame: Incoming[D, A], raw: bytes, ts_local: int) -> None:
        if isinstance(frame, Data):
            self.on_frame(frame.channel, frame.payload, raw, ts_local)
        elif isinstance(frame, Answer):
            self._on_answer(frame)
        elif isinstance(frame, Ack):
            self._on_ack(frame.key)
        elif isinstance(frame, Pong):
            self._on_pong()
        elif isinstance(frame, VenueNotice):
            self._on_notice(frame.text)
        else:
            self.stats["ignored"] += 1

    def _on_answer(self, answer: Answer[A]) -> None:
        self.stats["answers"] += 1
        fut = self._requests.get(answer.request_id)
        if fut is not None and not fut.done():
            fut.set_result(answer.answer)

    def _on_ack(self, key: str) -> None:
        self.stats["acks"] += 1
        fut = self._acks.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _on_pong(self) -> None:
        self.stats["pongs"] += 1
        for pong in self._pongs:
            if not pong.done():
                pong.set_result(None)

    def _on_notice(self, text: str) -> None:
        count = self.stats["venue_errors"] = self.stats["venue_errors"] + 1
        if worth_logging(count):
            self._log.warning("venue error", connection=self._name, error=text, errors=count)

    def _frame_failed(self, stat: str, raw: bytes, exc: Exception) -> None:
        count = self.stats[stat] = self.stats[stat] + 1
        if not worth_logging(count):
            return
        what = "undecodable frame" if stat == "decode_errors" else "frame handler failed"
        if count == LOG_FIRST:
            what += f" (from now on only every {LOG_EVERY}th is logged)"
        self._log.warning(
            what, connection=self._name, error=describe_error(exc), errors=count, frame=excerpt(raw)
        )

    # --- loss ----------------------------------------------------------------------------

    def _report_lost(self, reason: str) -> None:
        if self.on_lost is None:
            return
        try:
            self.on_lost(reason)
        except Exception:
            self._log.exception("connection loss handler failed", connection=self._name)

    def _fail_pending(self, reason: str) -> None:
        """Requests fail with VenueConnectionError, ack waits are cancelled, a ping in
        flight fails."""
        lost = f"websocket lost: {reason}"
        for fut in self._requests.values():
            if not fut.done():
                fut.set_exception(VenueConnectionError(lost, venue=self.venue))
        self._requests.clear()
        for ack in self._acks.values():
            ack.cancel()
        self._acks.clear()
        for pong in self._pongs:
            if not pong.done():
                pong.set_exception(VenueConnectionError(lost, venue=self.venue))
