"""Routes live updates to the WebSocket clients subscribed to their symbols, one hub per API process.

The hub listens to the fan-out once for the whole process and copies each update into the bounded
queue of every client subscribed to its symbol. A client that reads too slowly loses its oldest
messages (and is told how many), so one slow reader can neither stall the others nor grow memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

import msgspec
import structlog

from application.market.times import to_rfc3339
from application.ports.market import LiveFanout

log = structlog.get_logger(__name__)


def channel_key(channel: str, symbol: str) -> str:
    """What a client subscribes to: a symbol on a channel (`prices:BTC-USDT`, `indicators:BTC-USDT`)."""
    return f"{channel}:{symbol}"


class LiveClient:
    def __init__(self, queue_size: int, on_drop: Callable[[int], None]) -> None:
        self.symbols: set[str] = set()
        # (symbol, payload): the writer skips what was queued for a symbol unsubscribed since.
        self._queue: deque[tuple[str, bytes]] = deque()
        self._queue_size = queue_size
        self._on_drop = on_drop
        self._ready = asyncio.Event()
        self.dropped = 0
        # Whether anything was offered since the hub last looked: idle clients get a heartbeat.
        self.offered = False

    def offer(self, payload: bytes, symbol: str = "") -> None:
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self.dropped += 1
            self._on_drop(1)
        self._queue.append((symbol, payload))
        self.offered = True
        self._ready.set()

    async def take(self) -> list[bytes]:
        """Everything queued for symbols still subscribed (and heartbeats), waiting if nothing is."""
        # No timer per wait: at thousands of clients, a timeout handle per message costs more than
        # the message. Idle clients get their heartbeats from the hub instead.
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        symbols = self.symbols
        taken = [payload for symbol, payload in self._queue if not symbol or symbol in symbols]
        self._queue.clear()
        return taken

    @property
    def queued(self) -> int:
        return len(self._queue)

    def take_dropped(self) -> int:
        dropped, self.dropped = self.dropped, 0
        return dropped


class LiveHub:
    def __init__(
        self,
        fanout: LiveFanout,
        queue_size: int = 1_000,
        on_drop: Callable[[int], None] = lambda n: None,
        heartbeat_seconds: float = 15.0,
    ) -> None:
        self._fanout = fanout
        self._heartbeat_seconds = heartbeat_seconds
        self._queue_size = queue_size
        self._on_drop = on_drop
        self._by_symbol: dict[str, set[LiveClient]] = {}
        self._clients: set[LiveClient] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    @property
    def clients(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._listen(), name="live-hub"),
                asyncio.create_task(self._heartbeats(), name="live-hub-heartbeats"),
            ]

    async def stop(self) -> None:
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        # The listener ends by itself once it sees the flag (see LiveFanout.listen); the heartbeats
        # only sleep, and are cancelled.
        for task in tasks:
            if task.get_name() == "live-hub-heartbeats":
                task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        for task in tasks:
            if not task.done():
                log.warning("live hub task did not stop in time", task=task.get_name())
                task.cancel()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            beat = msgspec.json.encode({"type": "heartbeat", "time": to_rfc3339(int(time.time() * 1000))})
            for client in list(self._clients):
                if not client.offered:
                    client.offer(beat)
                client.offered = False

    def connect(self) -> LiveClient:
        client = LiveClient(self._queue_size, self._on_drop)
        self._clients.add(client)
        return client

    def disconnect(self, client: LiveClient) -> None:
        self.unsubscribe(client, list(client.symbols))
        self._clients.discard(client)

    def subscribe(self, client: LiveClient, symbols: list[str]) -> None:
        for symbol in symbols:
            client.symbols.add(symbol)
            self._by_symbol.setdefault(symbol, set()).add(client)

    def unsubscribe(self, client: LiveClient, symbols: list[str]) -> None:
        for symbol in symbols:
            client.symbols.discard(symbol)
            subscribers = self._by_symbol.get(symbol)
            if subscribers is not None:
                subscribers.discard(client)
                if not subscribers:
                    del self._by_symbol[symbol]

    async def _listen(self) -> None:
        delay = 0.2
        while not self._stop.is_set():
            try:
                async for update in self._fanout.listen(self._stop):
                    delay = 0.2
                    key = channel_key("indicators" if update.kind == "indicators" else "prices", update.symbol)
                    for client in self._by_symbol.get(key, ()):
                        client.offer(update.payload, key)
            except Exception as error:
                log.warning("live fan-out lost; listening again", error=str(error), retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stop.wait()
                delay = min(delay * 2, 10.0)
