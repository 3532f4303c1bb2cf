"""Creates the async engine for a views URL and the tables it needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sqlalchemy.tables import metadata

VIEWS_SCHEMA_LOCK_KEY = 0x63617076  # "capv"


def create_views_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        # hide_parameters: errors are logged, and bound parameters hold personal data that a log must
        # never keep (shredding cannot reach log files).
        engine = create_async_engine(url, connect_args={"timeout": 60}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the API read the old view while a rebuild holds the write transaction.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # Deleted rows (an erased user's view) are overwritten, not just unlinked from the b-tree.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True, hide_parameters=True)


async def create_tables(engine: AsyncEngine, tables: sa.MetaData = metadata) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas start together: concurrent CREATE TABLE IF NOT EXISTS race in the catalogs.
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": VIEWS_SCHEMA_LOCK_KEY})
        await conn.run_sync(tables.create_all)
