"""Projections: feed the notification log to each projected view, catch up, rebuild, wait for a position."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

import msgspec

from application.ports.event_store import EventStore, RecordedEvent
from application.ports.read_models import ProjectedView


class ProjectionStatus(msgspec.Struct, frozen=True):
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projections:
    """Drives every projected view from the event store's notification log."""

    def __init__(self, store: EventStore, views: Sequence[ProjectedView], batch_size: int = 500) -> None:
        self._store = store
        self._views = {view.name: view for view in views}
        self._batch_size = batch_size

    @property
    def names(self) -> list[str]:
        return list(self._views)

    def view(self, name: str) -> ProjectedView:
        try:
            return self._views[name]
        except KeyError:
            raise LookupError(f"no projection named {name!r}; known: {', '.join(self._views)}") from None

    async def step(self) -> bool:
        """Apply one batch to every view that is behind. True when anything was applied."""
        positions = {name: await view.position() for name, view in self._views.items()}
        # One read (and decryption) of the log for all views; a view already past part of the batch
        # skips what it has applied.
        batch = await self._store.read(after=min(positions.values(), default=0), limit=self._batch_size)
        progressed = False
        for name, view in self._views.items():
            if batch and batch[-1].notification_id > positions[name]:
                await view.apply(batch)
                progressed = True
        return progressed

    async def catch_up(self) -> None:
        while await self.step():
            pass

    async def wait_for(self, notification_id: int, within_seconds: float, names: Sequence[str] = ()) -> bool:
        """Wait until the named views (all by default) have applied `notification_id`: read-your-writes.

        Polls rather than waiting on a signal, because in full mode another process moves the views.
        """
        views = [self.view(name) for name in names] if names else list(self._views.values())
        delay = 0.002
        try:
            async with asyncio.timeout(within_seconds):
                while not all([await view.position() >= notification_id for view in views]):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.05)
        except TimeoutError:
            return False
        return True

    async def status(self) -> list[ProjectionStatus]:
        head = await self._store.last_notification_id()
        return [ProjectionStatus(name, await view.position(), head) for name, view in self._views.items()]

    async def rebuild(self, name: str, on_progress: Callable[[int], None] = lambda _: None) -> int:
        """Replay the whole log into the view from zero; the old view is served until the swap."""
        return await self.view(name).rebuild(self._all_batches(), on_progress)

    async def _all_batches(self) -> AsyncIterator[Sequence[RecordedEvent]]:
        position = 0
        while batch := await self._store.read(after=position, limit=self._batch_size):
            yield batch
            position = batch[-1].notification_id
