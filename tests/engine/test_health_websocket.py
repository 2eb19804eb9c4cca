"""The monitor with a real WebSocket: an adapter written the way adapters are meant to be
written survives the server dropping it."""

from __future__ import annotations

import asyncio
import contextlib

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from falconet.engine.health import ConnectionOptions, ConnectionState, HealthMonitor, StateChange


class FeedConnection:
    """A minimal market-data adapter: opens the socket, reads frames in its own task,
    reports every frame and any unexpected end to the monitor."""

    def __init__(self, name: str, url: str, monitor: HealthMonitor) -> None:
        self.name = name
        self.url = url
        self.monitor = monitor
        self.frames: list[str] = []
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._ws = await connect(self.url)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def close(self) -> None:
        reader, ws, self._reader, self._ws = self._reader, self._ws, None, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if ws is not None:
            await ws.close()

    async def ping(self) -> bool:
        if self._ws is None:
            return False
        await (await self._ws.ping())
        return True

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                self.monitor.record_data(self.name)
                self.frames.append(str(frame))
        except ConnectionClosed as exc:
            self.monitor.report_failure(self.name, exc)
            return
        self.monitor.report_failure(self.name, "closed by the venue")


async def test_a_dropped_socket_is_reopened() -> None:
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await ws.send(f"hello {connections}")
        if connections == 1:
            await ws.close()  # the venue drops the first connection
        else:
            await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        monitor = HealthMonitor(interval_s=0.01)
        feed = FeedConnection("venue_ws", f"ws://127.0.0.1:{port}", monitor)
        changes: list[StateChange] = []
        monitor.add_listener(changes.append)
        monitor.register(feed, ConnectionOptions(ping_interval_s=0.05))
        monitor.start()
        try:
            async with asyncio.timeout(5):
                while len(feed.frames) < 2 or monitor.record("venue_ws").last_pong_ns is None:
                    await asyncio.sleep(0.01)
        finally:
            await monitor.stop()
        record = monitor.record("venue_ws")
        assert feed.frames == ["hello 1", "hello 2"]
        assert record.total_connections == 2 and connections == 2
        assert [c.new for c in changes].count(ConnectionState.FAILED) == 1
        assert changes[-1].reason == "stopped"
