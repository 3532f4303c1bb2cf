"""Candles in SQL (PostgreSQL or SQLite): upserts by key, written with the writer's stream positions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.market_tables import candles, stream_positions
from application.ports.market import CandleQuery
from domain.market.values import Candle

_VALUE_COLUMNS = ("open", "high", "low", "close", "volume", "trades", "final", "sealed", "last_trade_time")
_KEY = (candles.c.exchange, candles.c.symbol, candles.c.interval, candles.c.open_time)


def _row(candle: Candle, text_decimals: bool) -> dict[str, Any]:
    convert = str if text_decimals else (lambda value: value)
    return {
        "exchange": candle.exchange,
        "symbol": candle.symbol,
        "interval": candle.interval,
        "open_time": candle.open_time,
        "open": convert(candle.open),
        "high": convert(candle.high),
        "low": convert(candle.low),
        "close": convert(candle.close),
        "volume": convert(candle.volume),
        "trades": candle.trades,
        "final": candle.final,
        "sealed": candle.sealed,
        "last_trade_time": candle.last_trade_time,
    }


def _candle(row: sa.Row[Any]) -> Candle:
    return Candle(
        exchange=row.exchange,
        symbol=row.symbol,
        interval=row.interval,
        open_time=row.open_time,
        open=Decimal(row.open),
        high=Decimal(row.high),
        low=Decimal(row.low),
        close=Decimal(row.close),
        volume=Decimal(row.volume),
        trades=row.trades,
        final=row.final,
        sealed=row.sealed,
        last_trade_time=row.last_trade_time,
    )


class SqlCandleStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        # Built once: the candle worker saves several times a second, and building an upsert (and its
        # cache key) costs more than running it on SQLite.
        insert = sqlite.insert(candles) if self._sqlite else postgresql.insert(candles)
        self._upsert_candles = insert.on_conflict_do_update(
            index_elements=list(_KEY), set_={name: insert.excluded[name] for name in _VALUE_COLUMNS}
        )
        insert = sqlite.insert(stream_positions) if self._sqlite else postgresql.insert(stream_positions)
        self._upsert_positions = insert.on_conflict_do_update(
            index_elements=[stream_positions.c.consumer, stream_positions.c.source],
            set_={"position": insert.excluded.position},
        )

    async def positions(self, consumer: str) -> dict[str, int]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(stream_positions.c.source, stream_positions.c.position).where(
                    stream_positions.c.consumer == consumer
                )
            )
            return {row.source: row.position for row in rows}

    async def save(self, candles_: Sequence[Candle], consumer: str, positions: Mapping[str, int]) -> None:
        async with self._engine.begin() as conn:
            if candles_:
                await self._upsert(conn, candles_)
            if positions:
                await self._store_positions(conn, consumer, positions)

    async def _upsert(self, conn: AsyncConnection, batch: Sequence[Candle]) -> None:
        # One row per key: the last write of a key in a batch wins, as it would one at a time.
        unique = {candle.key: candle for candle in batch}
        rows = [_row(candle, self._sqlite) for candle in unique.values()]
        for start in range(0, len(rows), 5_000):
            await conn.execute(self._upsert_candles, rows[start : start + 5_000])

    async def _store_positions(self, conn: AsyncConnection, consumer: str, positions: Mapping[str, int]) -> None:
        await conn.execute(
            self._upsert_positions,
            [{"consumer": consumer, "source": source, "position": position} for source, position in positions.items()],
        )

    async def load(self, exchange: str, symbol: str, buckets: Sequence[tuple[str, int]]) -> list[Candle]:
        if not buckets:
            return []
        wanted = sa.or_(*(sa.and_(candles.c.interval == i, candles.c.open_time == t) for i, t in buckets))
        query = sa.select(candles).where(candles.c.exchange == exchange, candles.c.symbol == symbol, wanted)
        async with self._engine.connect() as conn:
            return [_candle(row) for row in (await conn.execute(query)).fetchall()]

    async def between(self, exchange: str, symbol: str, interval: str, start: int, end: int) -> list[Candle]:
        query = (
            sa.select(candles)
            .where(
                candles.c.exchange == exchange,
                candles.c.symbol == symbol,
                candles.c.interval == interval,
                candles.c.open_time >= start,
                candles.c.open_time < end,
            )
            .order_by(candles.c.open_time)
        )
        async with self._engine.connect() as conn:
            return [_candle(row) for row in (await conn.execute(query)).fetchall()]

    async def page(self, query: CandleQuery) -> list[Candle]:
        conditions = [
            candles.c.exchange == query.exchange,
            candles.c.symbol == query.symbol,
            candles.c.interval == query.interval,
        ]
        if query.start is not None:
            conditions.append(candles.c.open_time >= query.start)
        if query.end is not None:
            conditions.append(candles.c.open_time < query.end)
        if query.after is not None:
            conditions.append(candles.c.open_time > query.after)
        statement = sa.select(candles).where(*conditions).order_by(candles.c.open_time).limit(query.limit)
        async with self._engine.connect() as conn:
            return [_candle(row) for row in (await conn.execute(statement)).fetchall()]

    async def last_open_time(self, exchange: str, symbol: str, interval: str) -> int | None:
        return await self._newest(exchange, symbol, interval)

    async def last_final_open_time(self, exchange: str, symbol: str, interval: str) -> int | None:
        return await self._newest(exchange, symbol, interval, candles.c.final.is_(True))

    async def _newest(self, exchange: str, symbol: str, interval: str, *more: sa.ColumnElement[bool]) -> int | None:
        query = sa.select(sa.func.max(candles.c.open_time)).where(
            candles.c.exchange == exchange, candles.c.symbol == symbol, candles.c.interval == interval, *more
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).fetchall()
        value = rows[0][0] if rows else None
        return None if value is None else int(value)

    async def ohlcv(
        self, exchange: str, symbol: str, interval: str, start: int, end: int
    ) -> list[tuple[int, float, float, float, float, float]]:
        as_float = [sa.cast(candles.c[name], sa.Float) for name in ("open", "high", "low", "close", "volume")]
        query = (
            sa.select(candles.c.open_time, *as_float)
            .where(
                candles.c.exchange == exchange,
                candles.c.symbol == symbol,
                candles.c.interval == interval,
                candles.c.open_time >= start,
                candles.c.open_time < end,
            )
            .order_by(candles.c.open_time)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).fetchall()
        return [(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]
