"""A projected view in SQL: rows and position written in one transaction, rebuilt inside one too."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence

import sqlalchemy as sa
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.positions import read_position, write_position
from application.ports.event_store import RecordedEvent


class SqlProjection(ABC):
    name: str
    # Tables whose deleted rows held personal data: purged from disk after a batch that erased some.
    erasable_tables: tuple[str, ...] = ()

    def __init__(self, engine: AsyncEngine, tracer: trace.Tracer | None = None) -> None:
        self._engine = engine
        self._tracer = tracer or trace.NoOpTracer()

    @abstractmethod
    async def _handle(self, conn: AsyncConnection, recorded: RecordedEvent) -> None: ...

    @abstractmethod
    async def _clear(self, conn: AsyncConnection) -> None: ...

    def _erases(self, recorded: RecordedEvent) -> bool:
        """True for events whose handling deletes personal data (then the pages are purged)."""
        return False

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
            if any(self._erases(recorded) for recorded in fresh):
                await self._purge_erased_rows()
            return position

    async def _purge_erased_rows(self) -> None:
        """Make deleted rows unrecoverable from the database files, not just invisible.

        SQLite (with secure_delete on) has zeroed them in the main file; the write-ahead log still
        holds older page images until a checkpoint truncates it. PostgreSQL keeps dead tuples in the
        table's pages until a vacuum.
        """
        async with self._engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if autocommit.dialect.name == "sqlite":
                await autocommit.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            else:
                for table in self.erasable_tables:
                    await autocommit.execute(sa.text(f'VACUUM "{table}"'))

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
