"""The erasure policy: every deleted user's key is shredded, even if the deleting request died midway.

The delete handler shreds right after recording the deletion; this follower repeats it for every
UserDeleted in the log, so a crash between the two still ends with the key destroyed. Shredding is
idempotent, which is what makes replaying the whole log (rebuild) safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from application.ports.event_store import RecordedEvent
from application.ports.personal_data import KeyVault
from application.ports.read_models import PositionStore
from domain.users.events import UserDeleted


class ErasurePolicy:
    name = "erasure"

    def __init__(self, vault: KeyVault, positions: PositionStore) -> None:
        self._vault = vault
        self._positions = positions

    async def position(self) -> int:
        return await self._positions.get(self.name)

    async def apply(self, events: Sequence[RecordedEvent]) -> int:
        position = await self._positions.get(self.name)
        fresh = [recorded for recorded in events if recorded.notification_id > position]
        await self._shred_deleted(fresh)
        if fresh:
            position = fresh[-1].notification_id
            await self._positions.set(self.name, position)
        return position

    async def rebuild(self, batches: AsyncIterator[Sequence[RecordedEvent]], on_progress: Callable[[int], None]) -> int:
        position = 0
        async for batch in batches:
            await self._shred_deleted(batch)
            position = batch[-1].notification_id
            on_progress(position)
        await self._positions.set(self.name, position)
        return position

    async def _shred_deleted(self, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            if isinstance(recorded.event, UserDeleted):
                await self._vault.shred(recorded.event.stream_id)
