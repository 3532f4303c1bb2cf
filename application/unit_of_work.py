"""The unit of work: loads aggregates, then saves all their new events in one atomic append."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from application.ports.event_store import EventStore
from domain.shared.aggregate import Aggregate

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._seen: dict[UUID, Aggregate] = {}
        self.last_notification_id = 0

    async def get(self, cls: type[A], id: UUID) -> A | None:
        """The aggregate rebuilt from its stream, or None when the stream is empty."""
        if id in self._seen:
            seen = self._seen[id]
            return seen if isinstance(seen, cls) and seen.version else None
        events = await self._store.load(id)
        aggregate = cls.replay(id, events)
        self._seen[id] = aggregate
        return aggregate if events else None

    async def get_or_new(self, cls: type[A], id: UUID) -> A:
        """The aggregate, or an empty one that the caller may start with its first event."""
        found = await self.get(cls, id)
        if found is not None:
            return found
        aggregate = self._seen[id]
        assert isinstance(aggregate, cls)
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._seen[aggregate.id] = aggregate

    async def commit(self) -> int:
        """Append every pending event; the store rejects the lot if any stream moved meanwhile.

        Returns:
            The notification id of the last event appended, for read-your-writes waits.
        """
        events = [event for aggregate in self._seen.values() for event in aggregate.collect_events()]
        if events:
            self.last_notification_id = await self._store.append(events)
        return self.last_notification_id
