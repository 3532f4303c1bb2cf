"""A projected view in SQL: rows and position written in one transaction, rebuilt inside one too."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.positions import read_position, write_position
from application.ports.event_store import RecordedEvent


class SqlProjection(ABC):
    name: str

    def __init__(self, engine: AsyncEngine, tracer: trace.Tracer | None = None) -> None:
        self._engine = engine
        self._tracer = tracer or trace.NoOpTracer()

    @abstractmethod
    async def _handle(self, conn: AsyncConnection, recorded: RecordedEvent) -> None: ...

    @abstractmethod
    async def _clear(self, conn: AsyncConnection) -> None: ...

    async def position(self) -> int:
        async with self._engine.connect() as conn:
            return await read_position(conn, self.name)

    async def apply(self, events: Sequence[RecordedEvent]) -> int:
        with self._tracer.start_as_current_span(f"projection.{self.name}.apply"):
            async with self._engine.begin() as conn:
                position = await read_position(conn, self.name, for_update=True)
                fresh = [recorded for recorded in events if recorded.notification_id > position]
                for recorded in fresh:
                    await self._handle(conn, recorded)
                if fresh:
                    position = fresh[-1].notification_id
                    await write_position(conn, self.name, position)
                return position

    async def rebuild(self, batches: AsyncIterator[Sequence[RecordedEvent]], on_progress: Callable[[int], None]) -> int:
        async with self._engine.begin() as conn:
            await read_position(conn, self.name, for_update=True)
            await self._clear(conn)
            position = 0
            async for batch in batches:
                for recorded in batch:
                    await self._handle(conn, recorded)
                position = batch[-1].notification_id
                on_progress(position)
            await write_position(conn, self.name, position)
        return position
