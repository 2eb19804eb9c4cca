"""The engine with its companions switched on by the environment: every paper fill
becomes a Discord notice on a local server standing in for the webhook, and the webhook
URL is never logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from falconet.config import parse_config_text
from falconet.config.secrets import EnvSettings, Secret
from falconet.engine.app import serve
from falconet.engine.engine import Engine
from falconet.engine.services import Services
from falconet.observe import log as logmod
from falconet.observe.redact import clear_secrets

pytestmark = pytest.mark.timeout(120)

CONFIG = {
    "paper": {"balances": {"USD": "20000", "SOL": "2"}, "speed": "80", "seed": 4},
    "trading": [{"symbol": "SOL/USD", "exchange": "paper", "strategy": "MM", "qty": "0.3"}],
}
TOKEN = "hook-token-Qw8-secret"


async def test_each_fill_is_notified_on_the_webhook_and_the_url_stays_secret(
    tmp_path: Path,
) -> None:
    bodies: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/webhooks/1/{token}", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/api/webhooks/1/{TOKEN}"
    log_file = tmp_path / "log.jsonl"
    logmod.configure("debug", console=False, json_path=log_file)
    try:
        # the config only accepts https URLs; the stand-in webhook is plain http
        services = Services(EnvSettings(discord_webhook_url=Secret(url)))
        engine = Engine(parse_config_text(json.dumps(CONFIG)), data_dir=tmp_path / "d")
        fills: list[str] = []
        engine.fill_listeners.append(lambda p, i, f: fills.append(f.trade_id))
        await serve(engine, seconds=5, services=services)
    finally:
        logmod.shutdown()
        await runner.cleanup()
        clear_secrets()
    assert fills, "the market maker should have traded"
    stats = services.notifier.stats
    assert stats.sent_fills == len(fills) and stats.dropped_fills == 0  # one notice each
    assert len(bodies) == stats.sent_messages  # batched: up to 10 fills a message
    assert all("SOL/USD" in json.dumps(body) for body in bodies)
    assert TOKEN not in log_file.read_text()
