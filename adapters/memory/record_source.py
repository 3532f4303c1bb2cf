"""Reads topics of the in-process bus as records, for consumers written against the RecordSource port.

The bus forgets everything when the process ends, so positions cannot point into it across restarts.
Offsets are therefore taken from the clock (nanoseconds, strictly increasing): whatever a consumer
stored in an earlier run is always below the offsets of this one and never makes it skip a record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from adapters.memory.bus import InProcessBus
from application.ports.records import InboundRecord


class BusRecordSource:
    def __init__(self, bus: InProcessBus, topics: Sequence[str]) -> None:
        # Subscribing at construction: messages published before `start` must not be missed.
        self._bus = bus
        self._subscriptions = [bus.subscribe(topic) for topic in topics]
        self._last_offset = 0

    async def start(
        self,
        topics: Sequence[str],
        load_positions: Callable[[], Awaitable[dict[str, int]]],
        on_revoked: Callable[[], None],
    ) -> None:
        missing = set(topics) - {s.topic for s in self._subscriptions}
        if missing:
            raise ValueError(f"source was not built for topics {sorted(missing)}")
        await load_positions()

    def _offset(self) -> int:
        self._last_offset = max(self._last_offset + 1, time.time_ns())
        return self._last_offset

    async def poll(self, max_records: int, timeout_seconds: float) -> list[InboundRecord]:
        records = self._drain(max_records)
        if records:
            return records
        await self._wait_any(timeout_seconds)
        return self._drain(max_records)

    def _drain(self, max_records: int) -> list[InboundRecord]:
        records: list[InboundRecord] = []
        for subscription in self._subscriptions:
            subscription.arrived.clear()
            queue = subscription.queue
            while len(records) < max_records and not queue.empty():
                message = queue.get_nowait()
                records.append(InboundRecord(message.topic, 0, self._offset(), message.key, message.value))
        return records

    async def _wait_any(self, timeout_seconds: float) -> None:
        waiters = [asyncio.ensure_future(s.arrived.wait()) for s in self._subscriptions]
        try:
            await asyncio.wait(waiters, timeout=timeout_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def lag(self) -> int:
        return sum(s.queue.qsize() for s in self._subscriptions)

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            self._bus.unsubscribe(subscription)
        self._subscriptions = []
