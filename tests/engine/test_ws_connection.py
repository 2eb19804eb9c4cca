"""The generic WebSocket connection against a local `websockets` server on loopback:
subscription replay after a drop, request/answer correlation (timeout, loss), ping/pong,
and 10,000 fuzzed frames that must not close it."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from falconet.engine.connection import WsConnection
from falconet.engine.errors import VenueConnectionError, VenueTimeoutError
from falconet.engine.health import ConnectionOptions, ConnectionState, HealthMonitor
from falconet.engine.health.connection import PingableConnection
from falconet.venues.hyperliquid import messages as msgs
from falconet.venues.hyperliquid.ws import GREETING, HyperliquidProtocol
from tests.conftest import SHARED

Conn = WsConnection[msgspec.Raw, msgs.PostResponse]
BOOK_SUB = {"type": "l2Book", "coin": "BTC"}
TRADES_SUB = {"type": "trades", "coin": "BTC"}
# the two frames of the issue: each used to end the connection
ACK_WITHOUT_SUBSCRIPTION = b'{"channel":"subscriptionResponse","data":{"subscription":"x"}}'
INVALID_UTF8 = b'{"channel":"l2Book","data":{"coin":"\xff\xfe","levels":[[],[]]}}'
INVALID_UTF8_CHANNEL = b'{"channel":"\xc3\x28","data":{}}'


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


class Venue:
    """A loopback venue speaking the protocol under test: greeting, acks, pongs and post
    answers (each can be switched off); `push` sends any bytes as a text or binary frame."""

    def __init__(self) -> None:
        self.connections = 0
        self.sockets: list[ServerConnection] = []
        self.received: list[dict[str, Any]] = []
        self.ack = True
        self.pong = True
        self.answer = True
        self.hold = 0  # collect this many posts, then answer them in reverse order
        self._held: list[dict[str, Any]] = []
        self.url = ""

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        self.sockets.append(ws)
        try:
            await ws.send(GREETING, text=True)
            async for message in ws:
                body = json.loads(message)
                self.received.append(body)
                await self._respond(ws, body)
        except ConnectionClosed:
            pass
        finally:
            self.sockets.remove(ws)

    async def _respond(self, ws: ServerConnection, body: dict[str, Any]) -> None:
        method = body.get("method")
        if method == "ping" and self.pong:
            await ws.send('{"channel":"pong"}')
        elif method == "subscribe" and self.ack:
            ack = {"method": "subscribe", "subscription": body["subscription"]}
            await ws.send(json.dumps({"channel": "subscriptionResponse", "data": ack}))
        elif method == "post" and self.answer:
            self._held.append(body)
            if len(self._held) > self.hold:
                for post in reversed(self._held):
                    await ws.send(_answer(post))
                self._held.clear()

    def subscribes(self) -> list[dict[str, Any]]:
        return [m["subscription"] for m in self.received if m.get("method") == "subscribe"]

    async def push(self, frame: bytes, *, text: bool = True) -> None:
        for ws in list(self.sockets):
            await ws.send(frame, text=text)

    async def drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()


def _answer(post: dict[str, Any]) -> str:
    request = post["request"]
    response = {"type": request["type"], "payload": {"echo": request["payload"]}}
    return json.dumps({"channel": "post", "data": {"id": post["id"], "response": response}})


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    server = Venue()
    async with serve(server.handler, "127.0.0.1", 0, compression=None, max_size=None) as srv:
        server.url = f"ws://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
        yield server


class Client:
    """A connection with a data handler that decodes like an adapter (strictly: a bad
    payload raises) and records what it was given."""

    def __init__(self, url: str, protocol: HyperliquidProtocol | None = None) -> None:
        self.calls = 0
        self.raised = 0
        self.delivered: list[tuple[str, bytes]] = []
        self.lost: list[str] = []
        self.conn: Conn = WsConnection(
            url,
            protocol or HyperliquidProtocol(),
            on_frame=self.on_frame,
            on_lost=self.lost.append,
            name="test-ws",
            ack_timeout_s=2.0,
            ping_timeout_s=2.0,
        )

    def on_frame(self, channel: str, data: msgspec.Raw, raw: bytes, ts: int) -> None:
        self.calls += 1
        try:
            _consume(channel, data)
        except Exception:
            self.raised += 1
            raise
        self.delivered.append((channel, raw))


def _consume(channel: str, data: msgspec.Raw) -> None:
    """What an adapter does with a data frame: typed decoding, then exact numbers."""
    if channel == "l2Book":
        book = msgs.BOOK.decode(data)
        sum(Decimal(level.px) * Decimal(level.sz) for side in book.levels for level in side)
    elif channel == "trades":
        for trade in msgs.TRADES.decode(data):
            Decimal(trade.px) * Decimal(trade.sz)
    elif channel == "userFills":
        for fill in msgs.USER_FILLS.decode(data).fills:
            Decimal(fill.px) * Decimal(fill.sz) - Decimal(fill.fee)
    elif channel == "orderUpdates":
        for update in msgs.ORDER_UPDATES.decode(data):
            Decimal(update.order.limit_px)
    else:
        msgs.ANY.decode(data)


@pytest.fixture
async def client(venue: Venue) -> AsyncIterator[Client]:
    made = Client(venue.url)
    yield made
    await made.conn.close()


# --- the protocol the monitor drives ------------------------------------------------------


def test_it_is_a_pingable_connection() -> None:
    conn = Client("ws://127.0.0.1:1").conn
    assert isinstance(conn, PingableConnection)
    assert not conn.connected and conn.name == "test-ws"


async def test_open_failure_is_a_connection_error() -> None:
    conn = Client("ws://127.0.0.1:1").conn
    conn.open_timeout_s = 1.0
    with pytest.raises(VenueConnectionError, match="cannot open"):
        await conn.connect()
    assert not conn.connected


# --- subscriptions ------------------------------------------------------------------------


async def test_subscriptions_are_replayed_after_the_venue_drops_the_socket(
    venue: Venue, client: Client
) -> None:
    monitor = HealthMonitor(interval_s=0.01)
    conn = client.conn
    conn.on_lost = lambda reason: monitor.report_failure(conn.name, reason)
    conn.on_data = lambda: monitor.record_data(conn.name)
    assert not await conn.subscribe(BOOK_SUB)  # remembered while closed
    monitor.register(conn, ConnectionOptions(ping_interval_s=60))
    monitor.start()
    try:
        await asyncio.wait_for(monitor.wait_connected(conn.name), 5)
        assert venue.subscribes() == [BOOK_SUB]  # sent at connect
        assert await conn.subscribe(TRADES_SUB)
        await venue.drop()
        await until(lambda: venue.connections == 2 and len(venue.subscribes()) == 4)
        await until(lambda: monitor.record(conn.name).state is ConnectionState.CONNECTED)
        assert venue.subscribes()[2:] == [BOOK_SUB, TRADES_SUB]  # both replayed
        assert conn.connected and conn.stats["connects"] == 2 and conn.stats["acks"] == 4
        await conn.unsubscribe(TRADES_SUB)
        await until(lambda: venue.received[-1].get("method") == "unsubscribe")
        assert list(conn.subscriptions) == ["l2Book:btc"]
    finally:
        await monitor.stop()


async def test_an_unacknowledged_subscription_is_reported(venue: Venue, client: Client) -> None:
    await client.conn.connect()
    venue.ack = False
    client.conn.ack_timeout_s = 0.05
    assert not await client.conn.subscribe(BOOK_SUB)
    assert client.conn.stats["ack_timeouts"] == 1
    assert "l2Book:btc" in client.conn.subscriptions  # still replayed on the next connect


# --- requests -----------------------------------------------------------------------------


async def test_answers_are_matched_to_their_requests(venue: Venue, client: Client) -> None:
    await client.conn.connect()
    venue.hold = 4  # five posts answered last-first
    answers = await asyncio.gather(
        *(client.conn.request({"type": "info", "payload": {"n": n}}, 2.0) for n in range(5))
    )
    assert [msgspec.json.decode(a.payload) for a in answers] == [
        {"echo": {"n": n}} for n in range(5)
    ]
    assert [m["id"] for m in venue.received] == [1, 2, 3, 4, 5]
    assert client.conn.stats["answers"] == 5 and not client.conn._requests


async def test_a_request_times_out(venue: Venue, client: Client) -> None:
    await client.conn.connect()
    venue.answer = False
    with pytest.raises(VenueTimeoutError, match="no answer to request 1"):
        await client.conn.request({"type": "info", "payload": {}}, 0.05)
    assert client.conn.stats["request_timeouts"] == 1 and not client.conn._requests
    venue.answer = True  # the connection is still usable
    answer = await client.conn.request({"type": "info", "payload": 7}, 2.0)
    assert msgspec.json.decode(answer.payload) == {"echo": 7}


async def test_a_request_fails_when_the_connection_is_lost(venue: Venue, client: Client) -> None:
    await client.conn.connect()
    venue.answer = False
    pending = asyncio.create_task(client.conn.request({"type": "action", "payload": {}}, 10.0))
    await until(lambda: bool(venue.received))
    started = time.monotonic()
    await venue.drop()
    with pytest.raises(VenueConnectionError, match="websocket lost"):
        await pending
    assert time.monotonic() - started < 2.0  # at once, not at the timeout
    assert client.lost and not client.conn.connected


async def test_nothing_is_sent_when_not_connected(venue: Venue, client: Client) -> None:
    with pytest.raises(VenueConnectionError, match="not connected"):
        await client.conn.request({"type": "info", "payload": {}}, 1.0)
    assert venue.received == [] and client.conn.stats["requests"] == 0


# --- ping ---------------------------------------------------------------------------------


async def test_ping_and_a_missing_pong(venue: Venue, client: Client) -> None:
    assert not await client.conn.ping()  # not connected
    await client.conn.connect()
    assert await client.conn.ping()
    venue.pong = False
    client.conn.ping_timeout_s = 0.05
    assert not await client.conn.ping()
    assert client.conn.stats["pings"] == 2 and client.conn.stats["pongs"] == 1


class ControlPing(HyperliquidProtocol):
    def ping_message(self) -> None:  # type: ignore[override]
        return None


async def test_a_protocol_without_a_ping_message_uses_control_frames(venue: Venue) -> None:
    client = Client(venue.url, ControlPing())
    await client.conn.connect()
    try:
        assert await client.conn.ping()
        assert not [m for m in venue.received if m.get("method") == "ping"]
    finally:
        await client.conn.close()


# --- frames that must not end the connection ----------------------------------------------


async def test_the_frames_of_the_issue_do_not_end_the_connection(
    venue: Venue, client: Client
) -> None:
    await client.conn.connect()
    await venue.push(ACK_WITHOUT_SUBSCRIPTION)
    await venue.push(INVALID_UTF8, text=False)
    await venue.push(INVALID_UTF8_CHANNEL, text=False)
    await venue.push(INVALID_UTF8, text=True)  # a text frame that is not UTF-8 either
    await venue.push(b'{"channel":"l2Book","data":{"coin":"BTC","levels":[[],[]]}}')
    await until(lambda: bool(client.delivered))
    assert client.conn.stats["decode_errors"] == 2  # the ack, the channel
    assert client.conn.stats["handler_errors"] == 2  # the handler met the bad UTF-8
    assert client.conn.connected and venue.connections == 1 and not client.lost
    assert await client.conn.ping()


# --- the fuzz -----------------------------------------------------------------------------

FUZZ_FRAMES = 10_000
FUZZ_SEED = 20_250_126

SEEDS: list[Any] = [
    {"channel": "l2Book", "data": {"coin": "BTC", "time": 1737918843893, "levels": [
        [{"px": "105055.0", "sz": "3.03622", "n": 5}, {"px": "105054.0", "sz": "0.1428", "n": 1}],
        [{"px": "105056.0", "sz": "6.34472", "n": 13}, {"px": "105057.0", "sz": "0.0001", "n": 1}],
    ]}},
    {"channel": "trades", "data": [{"coin": "BTC", "side": "B", "px": "105056.0", "sz": "0.01",
        "time": 1737918844000, "hash": "0x" + "ab" * 32, "tid": 77, "users": ["0x1", "0x2"]}]},
    {"channel": "userFills", "data": {"user": "0x" + "11" * 20, "isSnapshot": True, "fills": [
        {"coin": "SUI", "px": "1.3189", "sz": "142.7", "side": "A", "time": 1683245884863,
         "startPosition": "4623.5", "dir": "Close Long", "closedPnl": "-0.25686",
         "hash": "0x" + "3d" * 32, "oid": 189324432, "crossed": True, "fee": "0.0",
         "tid": 5, "feeToken": "USDC"}]}},
    {"channel": "orderUpdates", "data": [{"order": {"coin": "BTC", "side": "B",
        "limitPx": "100.0", "sz": "0.001", "oid": 1000, "timestamp": 1, "origSz": "0.001",
        "cloid": "0x" + "fa" * 16}, "status": "open", "statusTimestamp": 2}]},
    {"channel": "bbo", "data": {"coin": "BTC", "time": 1, "bbo": [
        {"px": "100", "sz": "1", "n": 1}, {"px": "101", "sz": "2", "n": 1}]}},
    {"channel": "allMids", "data": {"mids": {"BTC": "105055.5", "@107": "22.1"}}},
    {"channel": "post", "data": {"id": 3, "response": {"type": "action", "payload": {
        "status": "ok", "response": {"type": "order", "data": {"statuses": [
            {"resting": {"oid": 1000}}]}}}}}},
    {"channel": "subscriptionResponse", "data": {"method": "subscribe",
        "subscription": {"type": "l2Book", "coin": "ETH"}}},
    {"channel": "error", "data": "Invalid subscription"},
    {"channel": "pong"},
]  # fmt: skip
EXACT = [
    ACK_WITHOUT_SUBSCRIPTION,
    INVALID_UTF8,
    INVALID_UTF8_CHANNEL,
    GREETING,
    b"",
    b" ",
    b"null",
    b"[]",
    b"{}",
    b'{"channel":null}',
    b'{"channel":"post","data":{"id":"1","response":{}}}',
    b'{"channel":"post","data":{"id":' + b"9" * 5000 + b',"response":{"type":"info"}}}',
    b'{"channel":"subscriptionResponse","data":[]}',
    b'{"channel":"subscriptionResponse","data":{"subscription":{"coin":' + b"1" * 5000 + b"}}}",
]
BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]
WRONG = [None, True, -1, 0, 2**70, 1.5e308, "", "x", [], {}, [[]], {"px": None}]


def _recorded_seeds() -> list[Any]:
    """Real frames: the 25 s BTC capture and fills from the SDK's cassettes, if present."""
    seeds: list[Any] = []
    capture = SHARED / "data" / "l2" / "hyperliquid" / "ws_btc_20250126.gz"
    if capture.exists():
        with gzip.open(capture, "rt") as lines:
            seeds += [json.loads(line.split(" ", 1)[1]) for line in lines if " " in line]
    cassettes = SHARED / "vectors" / "hyperliquid_info_cassettes.json"
    if cassettes.exists():
        for cassette in json.loads(cassettes.read_text())["cassettes"]:
            for interaction in cassette["interactions"]:
                if interaction["request_body"]["type"] == "userFills":
                    fills = interaction["response_body"][:3]
                    seeds.append({"channel": "userFills", "data": {"user": "0x1", "fills": fills}})
    return seeds


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nodes(item, (*path, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = value.copy()
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


def _wrong_type(rng: random.Random, seed: Any) -> bytes:
    path = rng.choice(_nodes(seed))
    return json.dumps(_replace(seed, path, rng.choice(WRONG))).encode()


def _huge_number(rng: random.Random, seed: Any) -> bytes:
    path = rng.choice(_nodes(seed))
    digits = "9" * rng.choice([20, 400, 5000])
    marker = "HUGE_NUMBER_MARKER"
    text = json.dumps(_replace(seed, path, marker))
    return text.replace(
        f'"{marker}"', rng.choice([digits, f"-{digits}", f"1e{digits[:6]}"])
    ).encode()


def _drop_key(rng: random.Random, seed: Any) -> bytes:
    paths = [p for p in _nodes(seed) if p]
    path = rng.choice(paths)
    parent = seed
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict):
        pruned = {k: v for k, v in parent.items() if k != path[-1]}
        return json.dumps(_replace(seed, path[:-1], pruned)).encode()
    return json.dumps(_replace(seed, path[:-1], parent[:-1])).encode()


def _deep(rng: random.Random, seed: Any) -> bytes:
    depth = rng.choice([64, 600, 1_100, 5_000])
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    body = opener * depth + "1" + closer * depth
    return f'{{"channel":"{seed.get("channel", "x")}","data":{body}}}'.encode()


def _truncate(rng: random.Random, raw: bytes) -> bytes:
    return raw[: rng.randrange(len(raw))]


def _flip(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _bad_utf8(rng: random.Random, raw: bytes) -> bytes:
    quotes = [i for i, byte in enumerate(raw) if byte == ord('"')] or [0]
    at = rng.choice(quotes) + 1  # inside a string, mostly
    return raw[:at] + rng.choice(BAD_UTF8) + raw[at:]


def fuzz_frames(count: int, seed: int) -> list[tuple[bytes, bool]]:
    """`count` frames (bytes, sent as text?) made from real frames by a seeded RNG."""
    rng = random.Random(seed)
    seeds = SEEDS + _recorded_seeds()
    encoded = [json.dumps(s).encode() for s in seeds]
    on_tree: list[Callable[[random.Random, Any], bytes]] = [
        _wrong_type,
        _huge_number,
        _drop_key,
        _deep,
    ]
    on_bytes: list[Callable[[random.Random, bytes], bytes]] = [_truncate, _flip, _bad_utf8]
    frames = []
    for _ in range(count):
        pick = rng.randrange(len(seeds))
        roll = rng.random()
        if roll < 0.10:
            raw = encoded[pick]
        elif roll < 0.15:
            raw = rng.choice(EXACT)
        elif roll < 0.20:
            raw = rng.randbytes(rng.randrange(1, 300))
        elif roll < 0.55:
            raw = rng.choice(on_tree)(rng, seeds[pick])
        else:
            raw = rng.choice(on_bytes)(rng, encoded[pick])
        frames.append((raw, rng.random() < 0.7))
    return frames


async def test_ten_thousand_fuzzed_frames_do_not_close_the_connection(
    venue: Venue, client: Client
) -> None:
    frames = fuzz_frames(FUZZ_FRAMES, FUZZ_SEED)
    assert fuzz_frames(50, FUZZ_SEED) == frames[:50]  # reproducible
    conn = client.conn
    await conn.connect()
    assert await conn.subscribe(BOOK_SUB)
    before = dict(conn.stats)
    started = time.perf_counter()
    for raw, text in frames:
        await venue.push(raw, text=text)
    sentinel = b'{"channel":"l2Book","data":{"coin":"SENTINEL","time":9,"levels":[[],[]]}}'
    await venue.push(sentinel)
    await until(lambda: bool(client.delivered) and client.delivered[-1][1] == sentinel, 30)
    elapsed = time.perf_counter() - started
    stats = conn.stats
    # never closed: one connection, the reader alive, no loss reported
    assert venue.connections == 1 and len(venue.sockets) == 1
    assert conn.connected and stats["connects"] == 1 and not client.lost
    # every frame counted, and counted once
    assert stats["frames"] == before["frames"] + FUZZ_FRAMES + 1
    assert before["frames"] == 2  # the greeting and the ack
    outcomes = ("decode_errors", "acks", "answers", "pongs", "venue_errors", "ignored")
    assert stats["frames"] == client.calls + sum(stats[k] for k in outcomes)
    assert stats["handler_errors"] == client.raised
    assert stats["decode_errors"] > FUZZ_FRAMES // 3 and stats["handler_errors"] > 100
    # the stream goes on: a valid frame is delivered, a request is answered, pings work
    await venue.push(b'{"channel":"trades","data":[]}')
    await until(lambda: client.delivered[-1][0] == "trades")
    answer = await conn.request({"type": "info", "payload": "after"}, 2.0)
    assert msgspec.json.decode(answer.payload) == {"echo": "after"}
    assert await conn.ping()
    print(
        f"\nfuzz: {FUZZ_FRAMES} frames in {elapsed:.2f} s, decode errors "
        f"{stats['decode_errors']}, handler errors {stats['handler_errors']}, delivered "
        f"{len(client.delivered) - 2}, acks {stats['acks']}, answers {stats['answers']}, "
        f"pongs {stats['pongs']}, venue errors {stats['venue_errors']}, "
        f"ignored {stats['ignored']}"
    )
