"""Discord fill notifications against a local webhook server (aiohttp on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from aiohttp import web

from falconet.config import load_env_settings
from falconet.config.secrets import Secret
from falconet.core.enums import Side
from falconet.core.events import Fill
from falconet.observe.discord import DiscordNotifier, TokenBucket, retry_after_s
from falconet.observe.discord_payload import FillInfo, webhook_payload
from falconet.observe.redact import clear_secrets, redact

from .helpers import Console

TOKEN = "Zx9kQ2-webhook-token-7f3a1c"
WALL = 1_780_000_000.0  # 2026-05-28T20:26:40Z


class FakeTime:
    """Monotonic and wall clocks that only sleeps move; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 500.0
        self.wall = WALL
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.wall


class Webhook:
    """Records each POST's JSON and the fake time it arrived; answers from a script."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.bodies: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        self.script: list[tuple[int, dict[str, str]]] = []  # then 204 forever
        self.always: tuple[int, dict[str, str]] | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        assert request.match_info["token"] == TOKEN
        assert request.content_type == "application/json"
        self.bodies.append(await request.json())
        self.arrivals.append(self.time.now)
        status, headers = self.script.pop(0) if self.script else self.always or (204, {})
        return web.Response(status=status, headers=headers)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def hook(fake_time: FakeTime) -> AsyncIterator[Webhook]:
    webhook = Webhook(fake_time)
    app = web.Application()
    app.router.add_post("/api/webhooks/{id}/{token}", webhook.handle)
    runner = web.AppRunner(app, access_log=None)  # the stand-in's own log shows paths
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    webhook.url = f"http://127.0.0.1:{port}/api/webhooks/1234567890/{TOKEN}"
    yield webhook
    await runner.cleanup()


def notifier_for(url: str, fake_time: FakeTime, **options: Any) -> DiscordNotifier:
    return DiscordNotifier(
        Secret(url),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        wall_clock=fake_time.wall_clock,
        gather_s=0,
        **options,
    )


def info(n: int, *, age_s: float = 1.0, **changes: Any) -> FillInfo:
    fill = FillInfo(
        venue="hyperliquid",
        symbol="HYPE/USDC",
        side=Side.BUY,
        amount=Decimal("0.35"),
        fill_price=Decimal("41.23"),
        fee=Decimal("0.0144"),
        timestamp=WALL - age_s,
        order_id=f"oid{n}",
        trade_id=f"tid{n}",
    )
    return dataclasses.replace(fill, **changes)


async def run(notifier: DiscordNotifier) -> None:
    await notifier.start()
    assert await notifier.drain(timeout_s=10)
    await notifier.stop()


async def test_single_fill_payload(hook: Webhook, fake_time: FakeTime) -> None:
    notifier = notifier_for(hook.url, fake_time)
    assert notifier.notify(info(1, side=Side.SELL))
    await run(notifier)
    fields = [
        ("Exchange", "hyperliquid"),
        ("Pair", "HYPE/USDC"),
        ("Side", "SELL"),
        ("Amount", "0.35"),
        ("Fill Price", "$41.2300"),
        ("Value", "$14.43"),
    ]
    embed = {
        "title": "HYPE/USDC - SELL @ $41.2300",
        "color": 0xE74C3C,
        "fields": [{"name": name, "value": value, "inline": True} for name, value in fields],
        "timestamp": "2026-05-28T20:26:39.000Z",
    }
    assert hook.bodies == [{"embeds": [embed]}]
    assert (notifier.stats.sent_messages, notifier.stats.sent_fills) == (1, 1)


async def test_batch_payload(hook: Webhook, fake_time: FakeTime) -> None:
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1))
    notifier.notify(info(2, side=Side.SELL, venue="kraken", symbol="BTC/USD"))
    notifier.notify(info(3, venue="lighter"))
    await run(notifier)
    (body,) = hook.bodies
    (embed,) = body["embeds"]
    assert embed["title"] == "3 Order Fills — hyperliquid, kraken, lighter"
    assert embed["color"] == 0x3498DB
    assert embed["timestamp"] == "2026-05-28T20:26:40.000Z"  # now, not a fill's time
    lines = "Exchange: kraken\nAmount: 0.35\nPrice: $41.2300\nValue: $14.43\nFee: $0.0144"
    assert embed["fields"][1] == {"name": "\U0001f534 SELL BTC/USD", "value": lines, "inline": True}
    assert embed["fields"][0]["name"] == "\U0001f7e2 BUY HYPE/USDC"
    assert len(embed["fields"]) == 3


async def test_fills_are_batched_ten_per_message(hook: Webhook, fake_time: FakeTime) -> None:
    notifier = notifier_for(hook.url, fake_time)
    for n in range(23):
        notifier.notify(info(n))
    await run(notifier)
    assert [len(b["embeds"][0]["fields"]) for b in hook.bodies] == [10, 10, 3]
    assert [b["embeds"][0]["title"] for b in hook.bodies] == [
        "10 Order Fills — hyperliquid",
        "10 Order Fills — hyperliquid",
        "3 Order Fills — hyperliquid",
    ]
    names = [f["value"] for b in hook.bodies for f in b["embeds"][0]["fields"]]
    assert len(names) == 23


async def test_429_waits_for_retry_after_then_succeeds(hook: Webhook, fake_time: FakeTime) -> None:
    hook.script = [(429, {"Retry-After": "0.1"})]
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1))
    await run(notifier)
    assert len(hook.bodies) == 2
    assert hook.bodies[0] == hook.bodies[1]  # the same message again
    assert 0.1 in fake_time.sleeps
    stats = notifier.stats
    assert (stats.sent_messages, stats.failed_attempts, stats.dropped_fills) == (1, 1, 0)


async def test_three_attempts_then_the_message_is_dropped(
    hook: Webhook, fake_time: FakeTime
) -> None:
    hook.always = (500, {})
    console = Console(level="debug")
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1))
    notifier.notify(info(2))
    await run(notifier)
    assert len(hook.bodies) == 3
    assert fake_time.sleeps == [5.0, 5.0]  # after the 1st and 2nd failure, not the 3rd
    assert notifier.stats.dropped_messages == 1
    assert notifier.stats.dropped_fills == 2
    assert notifier.stats.failed_attempts == 3
    text = console.text()
    assert "Discord message dropped" in text
    assert 'outcome="HTTP 500"' in text


async def test_429_without_retry_after_waits_2s(hook: Webhook, fake_time: FakeTime) -> None:
    hook.script = [(429, {}), (429, {"Retry-After": "3600"})]
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1))
    await run(notifier)
    assert len(hook.bodies) == 3
    assert fake_time.sleeps == [2.0, 60.0]
    assert notifier.stats.sent_messages == 1


def test_retry_after_parsing() -> None:
    assert retry_after_s(None) == 2.0
    assert retry_after_s("0.1") == 0.1
    assert retry_after_s("7") == 7.0
    assert retry_after_s("999") == 60.0
    assert retry_after_s("soon") == 2.0
    assert retry_after_s("-1") == 2.0
    assert retry_after_s("nan") == 2.0


async def test_token_bucket_paces_requests(fake_time: FakeTime) -> None:
    bucket = TokenBucket(clock=fake_time.clock, sleep=fake_time.sleep)
    waits = [await bucket.acquire() for _ in range(8)]
    assert waits[:5] == [0.0] * 5  # a full bucket: a burst of 5
    assert waits[5:] == pytest.approx([0.4, 0.4, 0.4])  # then one per 0.4 s
    fake_time.now += 10  # idle: refills to 5, not more
    assert [await bucket.acquire() for _ in range(6)] == pytest.approx([0] * 5 + [0.4])


async def test_notifier_respects_the_bucket(hook: Webhook, fake_time: FakeTime) -> None:
    notifier = notifier_for(hook.url, fake_time)
    for n in range(80):  # 8 messages in one drain
        notifier.notify(info(n))
    await run(notifier)
    assert len(hook.bodies) == 8
    start = hook.arrivals[0]
    offsets = [round(t - start, 6) for t in hook.arrivals]
    assert offsets == [0, 0, 0, 0, 0, 0.4, 0.8, 1.2]


async def test_duplicates_are_dropped_with_a_512_fifo(fake_time: FakeTime) -> None:
    notifier = notifier_for("https://discord.invalid/api/webhooks/1/x", fake_time)
    assert notifier.notify(info(0)) is True
    assert notifier.notify(info(0)) is False
    for n in range(1, 512):
        assert notifier.notify(info(n))
    assert notifier.notify(info(0)) is False  # still among the last 512
    assert notifier.notify(info(512)) is True  # pushes (oid0, tid0) out
    assert notifier.notify(info(0)) is True
    assert notifier.stats.duplicates == 2
    # Same trade id on another order is another fill.
    other = dataclasses.replace(info(5), order_id="another")
    assert notifier.notify(other) is True


async def test_ring_keeps_the_newest_1024(fake_time: FakeTime) -> None:
    notifier = notifier_for("https://discord.invalid/api/webhooks/1/x", fake_time)
    for n in range(1030):
        notifier.notify(info(n))
    assert notifier.stats.overflowed == 6
    assert "pending=1024" in repr(notifier)


async def test_fills_older_than_300s_are_dropped(hook: Webhook, fake_time: FakeTime) -> None:
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1, age_s=301))
    notifier.notify(info(2, age_s=299))
    notifier.notify(info(3, age_s=3600))
    await run(notifier)
    (body,) = hook.bodies
    assert body["embeds"][0]["fields"][1] == {"name": "Pair", "value": "HYPE/USDC", "inline": True}
    assert (notifier.stats.stale, notifier.stats.sent_fills) == (2, 1)


async def test_crashed_consumer_restarts_after_10s(
    hook: Webhook, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = webhook_payload
    calls = []

    def broken_once(fills: list[FillInfo], now: float) -> dict[str, Any]:
        calls.append(len(fills))
        if len(calls) == 1:
            raise RuntimeError(f"bug while posting to {hook.url}")
        return real(fills, now)

    monkeypatch.setattr("falconet.observe.discord.webhook_payload", broken_once)
    console = Console(level="debug")
    notifier = notifier_for(hook.url, fake_time)
    notifier.notify(info(1))
    await notifier.start()
    for _ in range(100):
        await asyncio.sleep(0)
        if notifier.stats.restarts:
            break
    assert notifier.stats.restarts == 1
    assert 10.0 in fake_time.sleeps
    notifier.notify(info(2))  # the restarted consumer delivers new fills
    assert await notifier.drain(timeout_s=10)
    await notifier.stop()
    assert len(hook.bodies) == 1
    assert "Discord notifier crashed" in console.text()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("registered", [True, False], ids=["registry", "no-registry"])
async def test_the_webhook_url_never_reaches_the_logs(
    hook: Webhook, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, registered: bool
) -> None:
    console = Console(level="debug", sections="*:debug,aiohttp:debug,asyncio:debug")
    refused_url = f"http://127.0.0.1:{closed_port()}/api/webhooks/1234567890/{TOKEN}"
    notifiers = [notifier_for(hook.url, fake_time), notifier_for(refused_url, fake_time)]
    crashing = notifier_for(hook.url, fake_time)
    if not registered:
        clear_secrets()  # even unmasked, the URL is never written
    hook.script = [(429, {"Retry-After": "0.1"}), (500, {}), (400, {}), (500, {})]

    def crash(fills: list[FillInfo], now: float) -> dict[str, Any]:
        raise RuntimeError(f"bug while posting to {hook.url}")

    for notifier in notifiers:
        notifier.notify(info(1))
        notifier.notify(info(2))
        await run(notifier)
    monkeypatch.setattr("falconet.observe.discord.webhook_payload", crash)
    crashing.notify(info(3))
    await crashing.start()
    for _ in range(100):
        await asyncio.sleep(0)
    await crashing.stop(drain_timeout_s=0)
    assert crashing.stats.restarts >= 1
    assert notifiers[1].stats.dropped_fills == 2  # connection refused three times
    text = console.text()
    assert "Discord webhook post failed" in text
    assert "outcome=ClientConnectorError" in text
    assert "bug while posting to <webhook>" in text
    if registered:  # the token alone is masked too (a library may log just the path)
        assert redact(f"/1234567890/{TOKEN}") == "/1234567890/***"
    for secret in (hook.url, refused_url, TOKEN, "1234567890/"):
        assert secret not in text
        assert secret not in repr(notifiers[0])


async def test_disabled_without_a_url_says_so_once(fake_time: FakeTime) -> None:
    console = Console()
    settings = load_env_settings(environ={}, dotenv_path=None)
    notifier = DiscordNotifier.from_settings(settings, sleep=fake_time.sleep)
    assert not notifier.enabled
    assert notifier.notify(info(1)) is False
    await notifier.start()
    await notifier.stop()
    lines = console.lines()
    assert len(lines) == 1
    assert "INFO" in lines[0]
    assert "DISCORD_WEBHOOK_URL is not set" in lines[0]


def test_fill_info_from_an_engine_fill() -> None:
    ctx: dict[str, Any] = {"venue": "hyperliquid", "symbol": "HYPE/USDC"}
    ctx |= {"price_decimals": 4, "size_decimals": 2}
    fill = Fill(
        ts_exchange=1_780_000_000_500_000_000,
        ts_local=0,
        instrument_id="x",
        client_id="c1",
        venue_order_id="v1",
        trade_id="t1",
        side=Side.BUY,
        price=412300,
        size=35,
    )
    estimated = FillInfo.from_fill(fill, fee_rate=Decimal("0.0004"), **ctx)
    assert (estimated.amount, estimated.fill_price) == (Decimal("0.35"), Decimal("41.23"))
    assert estimated.fee == Decimal("0.35") * Decimal("41.23") * Decimal("0.0004")
    assert (estimated.timestamp, estimated.dedup_key) == (1_780_000_000.5, ("v1", "t1"))
    in_base = msgspec.structs.replace(
        fill, venue_order_id=None, fee=Decimal("0.001"), fee_currency="HYPE"
    )
    reported = FillInfo.from_fill(in_base, **ctx)
    assert (reported.fee, reported.dedup_key) == (Decimal("0.04123"), ("c1", "t1"))
    body = webhook_payload([reported], now=0)
    assert body["embeds"][0]["timestamp"] == "2026-05-28T20:26:40.500Z"  # the fill's time
    with pytest.raises(ValueError):
        webhook_payload([reported] * 11, now=0)
