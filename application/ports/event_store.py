"""The event store port: append with optimistic concurrency, load a stream, read the notification log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

import msgspec

from domain.shared.events import DomainEvent


class RecordedEvent(msgspec.Struct, frozen=True):
    """An event with its position in the store's global notification log."""

    notification_id: int
    event: DomainEvent


class EventStore(Protocol):
    async def append(self, events: Sequence[DomainEvent]) -> int:
        """Record events of one or more streams atomically.

        Each event's version must directly follow the stream's last stored version; the events of
        one stream follow each other.

        Returns:
            The notification id of the last recorded event.

        Raises:
            ConcurrencyConflict: another writer already recorded one of those versions.
        """
        ...

    async def load(self, stream_id: UUID, *, up_to_version: int | None = None) -> list[DomainEvent]:
        """The events of one stream in version order (up to and including `up_to_version`)."""
        ...

    async def read(self, *, after: int, limit: int) -> list[RecordedEvent]:
        """The next events of the notification log after the given notification id."""
        ...

    async def last_notification_id(self) -> int:
        """The highest notification id recorded so far (0 when empty)."""
        ...
