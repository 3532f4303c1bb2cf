"""Consumer positions in the views database (for consumers that keep no view of their own)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.tables import positions


class SqlPositionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, name: str) -> int:
        async with self._engine.connect() as conn:
            return await read_position(conn, name)

    async def set(self, name: str, position: int) -> None:
        async with self._engine.begin() as conn:
            await write_position(conn, name, position)


async def read_position(conn: AsyncConnection, name: str, *, for_update: bool = False) -> int:
    query = sa.select(positions.c.position).where(positions.c.name == name)
    if for_update and conn.dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE and its driver begins the transaction only at the first write,
        # so a plain SELECT would read a position that a concurrent rebuild is about to replace.
        # A no-op UPDATE takes the write lock first; readers of the view are not blocked (WAL).
        await conn.execute(sa.update(positions).where(positions.c.name == name).values(position=positions.c.position))
    elif for_update:
        # Serialises concurrent projectors of one view.
        query = query.with_for_update()
    return (await conn.execute(query)).scalar_one_or_none() or 0


async def write_position(conn: AsyncConnection, name: str, position: int) -> None:
    updated = await conn.execute(sa.update(positions).where(positions.c.name == name).values(position=position))
    if updated.rowcount == 0:
        await conn.execute(sa.insert(positions).values(name=name, position=position))
