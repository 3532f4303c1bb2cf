"""The instruments admins listed: one row per listing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.projection import SqlProjection
from adapters.sqlalchemy.tables import instruments_view
from application.ports.event_store import RecordedEvent
from application.ports.market import ListedInstrument
from domain.market.events import InstrumentListed


class InstrumentsProjection(SqlProjection):
    name = "instruments"

    async def _handle(self, conn: AsyncConnection, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, InstrumentListed):
            await conn.execute(sa.delete(instruments_view).where(instruments_view.c.symbol == event.symbol))
            await conn.execute(
                sa.insert(instruments_view).values(
                    symbol=event.symbol,
                    base=event.base,
                    quote=event.quote,
                    base_name=event.base_name,
                    listed_at=event.occurred_at,
                )
            )

    async def _clear(self, conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(instruments_view))


class SqlListedInstruments:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> list[ListedInstrument]:
        query = sa.select(
            instruments_view.c.symbol, instruments_view.c.base, instruments_view.c.quote, instruments_view.c.base_name
        ).order_by(instruments_view.c.listed_at, instruments_view.c.symbol)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).fetchall()
        return [ListedInstrument(symbol=r.symbol, base=r.base, quote=r.quote, base_name=r.base_name) for r in rows]
