"""Fear & Greed: interpolation, re-evaluation on price moves, the cache and the
CoinMarketCap client (against a local server)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from falconet.config.values import DecimalRange
from falconet.core.enums import Side
from falconet.strategies.fear_greed import (
    CMC_KEY_HEADER,
    CachedFearGreed,
    CoinMarketCapClient,
    FixedFearGreed,
    interpolate,
    parse_reading,
    resolve,
)
from tests.strategies.test_grid_harness import PAPER, make_ctx, make_grid, move, started, tick

D = Decimal
WIDE = DecimalRange(D("0.5"), D("1.5"))


def test_interpolation_is_linear_from_fear_to_greed() -> None:
    assert interpolate(WIDE, 0) == D("0.5")
    assert interpolate(WIDE, 50) == D("1.0")
    assert interpolate(WIDE, 25) == D("0.75")
    assert interpolate(WIDE, 100) == D("1.5")


def test_interpolation_clamps_the_index_to_0_100() -> None:
    assert interpolate(WIDE, -20) == D("0.5")
    assert interpolate(WIDE, 180.5) == D("1.5")


def test_no_reading_resolves_to_the_midpoint() -> None:
    assert resolve(WIDE, None) == D("1.0")
    assert resolve(WIDE, float("nan")) == D("1.0")


@pytest.mark.parametrize(
    ("index", "sell", "buy"),
    [(0, "100.50", "99.51"), (100, "101.50", "98.51"), (None, "101.00", "99.01")],
)
def test_grid_interval_follows_the_index(index: float | None, sell: str, buy: str) -> None:
    grid = make_grid(interval=("0.5", "1.5"), fear_greed=FixedFearGreed(index))
    ctx = make_ctx()
    grid.on_start(ctx)
    reqs = {r.side: r.price for r in ctx.take()}
    assert reqs == {Side.SELL: PAPER.price(sell), Side.BUY: PAPER.price(buy)}


def test_accumulation_buffer_follows_the_index() -> None:
    buffer = DecimalRange(D("0"), D("2"))
    grid = make_grid(accumulation_buffer=buffer, fear_greed=FixedFearGreed(25))
    grid.on_start(make_ctx())
    assert grid.resolver.buffer == D("0.5")


def test_a_changed_reading_re_resolves_the_grid() -> None:
    cache = CachedFearGreed(0)
    grid, ctx = started(make_grid(interval=("0.5", "1.5"), fear_greed=cache))
    assert grid.resolver.grid_interval == D("0.5")
    cache.set(100)
    tick(ctx, grid)
    assert grid.resolver.grid_interval == D("1.5")


def test_a_price_move_past_the_threshold_asks_for_a_fresh_reading() -> None:
    source = FixedFearGreed(50)
    grid, ctx = started(make_grid(fear_greed=source))  # baseline: mid 100.005
    move(ctx, grid, "101.00", "101.01")  # +1.0 %: below 1.5 %
    assert source.refresh_requests == 0
    move(ctx, grid, "101.52", "101.53")  # +1.52 %
    assert source.refresh_requests == 1
    assert grid.resolver.baseline == D("101.525")
    move(ctx, grid, "102.00", "102.01")  # +0.47 % from the new baseline
    assert source.refresh_requests == 1


def test_the_threshold_is_configurable() -> None:
    source = FixedFearGreed(50)
    grid, ctx = started(make_grid(fear_greed=source, fng_check_threshold=D("0.5")))
    move(ctx, grid, "99.40", "99.41")
    assert source.refresh_requests == 1


def test_the_cache_hands_out_each_refresh_request_once() -> None:
    cache = CachedFearGreed()
    assert cache.value() is None and not cache.take_refresh_request()
    threads = [threading.Thread(target=cache.request_refresh) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.refresh_requested
    assert cache.take_refresh_request() and not cache.take_refresh_request()
    cache.set(float("nan"))
    assert cache.value() is None
    cache.set(42.0)
    assert cache.value() == 42.0


def test_parse_reading_reads_data_value_and_tolerates_a_trailing_space() -> None:
    assert parse_reading({"data": {"value": 37}}) == 37.0
    assert parse_reading({"data": {"value ": "61"}}) == 61.0
    assert parse_reading({"data": {"value_classification": "Fear"}}) is None
    assert parse_reading({"data": {"value": True}}) is None
    assert parse_reading({"status": {"error_code": 1001}}) is None
    assert parse_reading([1, 2]) is None


# --- the CoinMarketCap client ---------------------------------------------------------------


@dataclass
class FakeCmc:
    """A local stand-in for the CoinMarketCap endpoint."""

    respond: Callable[[], Any] = lambda: web.json_response({"data": {"value": 42}})
    keys: list[str | None] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
async def cmc() -> AsyncIterator[FakeCmc]:
    fake = FakeCmc()

    async def handler(request: web.Request) -> web.StreamResponse:
        fake.keys.append(request.headers.get(CMC_KEY_HEADER))
        fake.paths.append(request.path)
        result = fake.respond()
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, web.StreamResponse)
        return result

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


async def test_client_reads_the_index_with_the_api_key(cmc: FakeCmc) -> None:
    client = CoinMarketCapClient("secret-key", base_url=cmc.url)
    cache = CachedFearGreed()
    assert await client.refresh(cache) == 42.0
    await client.close()
    assert cache.value() == 42.0
    assert cmc.keys == ["secret-key"] and cmc.paths == ["/v3/fear-and-greed/latest"]


async def test_client_failure_is_no_reading_and_is_not_cached(cmc: FakeCmc) -> None:
    cache = CachedFearGreed(30)
    client = CoinMarketCapClient("k", base_url=cmc.url)
    cmc.respond = lambda: web.json_response({"status": {"error_code": 1002}}, status=401)
    assert await client.refresh(cache) is None
    cmc.respond = lambda: web.json_response({"data": {}})
    assert await client.refresh(cache) is None
    cmc.respond = lambda: web.Response(text="not json")
    assert await client.refresh(cache) is None
    await client.close()
    assert cache.value() == 30  # the last real reading stays; no neutral 50 is invented


async def test_client_gives_up_after_its_timeout(cmc: FakeCmc) -> None:
    async def slow() -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({"data": {"value": 10}})

    cmc.respond = slow
    client = CoinMarketCapClient("k", base_url=cmc.url, timeout_s=0.1)
    assert await client.fetch() is None
    await client.close()


async def test_refresh_worker_serves_requests(cmc: FakeCmc) -> None:
    cache = CachedFearGreed()
    stop = asyncio.Event()
    client = CoinMarketCapClient("k", base_url=cmc.url)
    task = asyncio.create_task(client.run(cache, stop, poll_s=0.02))
    for _ in range(100):
        if cmc.keys:
            break
        await asyncio.sleep(0.01)
    assert len(cmc.keys) == 1 and cache.value() == 42.0
    cmc.respond = lambda: web.json_response({"data": {"value": 77}})
    cache.request_refresh()
    for _ in range(100):
        if cache.value() == 77.0:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1.0)
    await client.close()
    assert cache.value() == 77.0 and len(cmc.keys) == 2
