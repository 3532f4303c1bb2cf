"""Live updates within one process (embedded mode): every listener gets every update.

A listener's queue is bounded; one that stops reading loses its oldest updates instead of holding
memory (per-client fairness is the WebSocket hub's job; this only protects the process).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from application.ports.market import LiveUpdate


class MemoryLiveFanout:
    def __init__(self, listener_queue_size: int = 10_000) -> None:
        self._listeners: list[asyncio.Queue[Sequence[LiveUpdate]]] = []
        self._queue_size = listener_queue_size
        self.dropped = 0

    async def publish(self, updates: Sequence[LiveUpdate]) -> None:
        for queue in self._listeners:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(updates)

    async def listen(self, stop: asyncio.Event) -> AsyncIterator[LiveUpdate]:
        queue: asyncio.Queue[Sequence[LiveUpdate]] = asyncio.Queue(self._queue_size)
        self._listeners.append(queue)
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                arrived = asyncio.ensure_future(queue.get())
                await asyncio.wait([arrived, stopped], return_when=asyncio.FIRST_COMPLETED)
                if not arrived.done():
                    arrived.cancel()
                    return
                for update in arrived.result():
                    yield update
        finally:
            stopped.cancel()
            self._listeners.remove(queue)
