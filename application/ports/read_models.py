"""Read-side ports: projected views that query handlers read, and the positions consumers keep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from application.ports.event_store import RecordedEvent


class UserView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    email: str
    display_name: str
    role: str
    created_at: datetime
    updated_at: datetime
    base_currency: str
    default_interval: str
    timezone: str
    theme: str


class UserReadModel(Protocol):
    async def get(self, user_id: UUID) -> UserView | None: ...


class ProjectedView(Protocol):
    """A view kept by one projection; its position is stored in the same transaction as its rows."""

    name: str

    async def position(self) -> int: ...

    async def apply(self, events: Sequence[RecordedEvent]) -> int:
        """Apply the events after the stored position and store the new one, atomically.

        Events at or below the stored position are skipped, so redelivery changes nothing.

        Returns:
            The new position.
        """
        ...

    async def rebuild(self, batches: AsyncIterator[Sequence[RecordedEvent]], on_progress: Callable[[int], None]) -> int:
        """Empty the view and replay every batch in one transaction: readers see the old view until done."""
        ...


class PositionStore(Protocol):
    """Positions of consumers that write nowhere else (the relay)."""

    async def get(self, name: str) -> int: ...

    async def set(self, name: str, position: int) -> None: ...
