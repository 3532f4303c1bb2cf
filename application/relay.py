"""The relay: publishes integration events from the notification log, resuming from a stored position.

The position is stored only after the broker acknowledged the batch. A crash in between publishes
that batch again, which consumers absorb by deduplicating on (stream id, version); nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from application.ports.event_store import EventStore, RecordedEvent
from application.ports.publisher import IntegrationPublisher, OutboundMessage
from application.ports.read_models import PositionStore

Route = Callable[[RecordedEvent], OutboundMessage | None]


class Relay:
    def __init__(
        self,
        name: str,
        store: EventStore,
        publisher: IntegrationPublisher,
        positions: PositionStore,
        routes: Sequence[Route],
        batch_size: int = 500,
    ) -> None:
        self.name = name
        self._store = store
        self._publisher = publisher
        self._positions = positions
        self._routes = routes
        self._batch_size = batch_size

    async def position(self) -> int:
        return await self._positions.get(self.name)

    async def step(self) -> bool:
        """Publish the next batch. True when the position moved."""
        position = await self._positions.get(self.name)
        batch = await self._store.read(after=position, limit=self._batch_size)
        if not batch:
            return False
        messages = [message for recorded in batch for route in self._routes if (message := route(recorded))]
        if messages:
            await self._publisher.publish(messages)
        await self._positions.set(self.name, batch[-1].notification_id)
        return True
