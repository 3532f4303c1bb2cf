"""In-memory doubles of the market ports for use-case tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from application.ports.market import CandleQuery, LiveUpdate
from application.ports.publisher import OutboundMessage
from domain.market.values import Candle


class FakeCandleStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, int], Candle] = {}
        self.stored_positions: dict[str, dict[str, int]] = {}
        self.saves = 0
        self.fail_next_saves = 0

    async def positions(self, consumer: str) -> dict[str, int]:
        return dict(self.stored_positions.get(consumer, {}))

    async def save(self, candles: Sequence[Candle], consumer: str, positions: Mapping[str, int]) -> None:
        if self.fail_next_saves:
            self.fail_next_saves -= 1
            raise ConnectionError("database went away")
        self.saves += 1
        for candle in candles:
            self.rows[candle.key] = candle
        self.stored_positions.setdefault(consumer, {}).update(positions)

    async def load(self, exchange: str, symbol: str, buckets: Sequence[tuple[str, int]]) -> list[Candle]:
        return [self.rows[(exchange, symbol, i, t)] for i, t in buckets if (exchange, symbol, i, t) in self.rows]

    async def between(self, exchange: str, symbol: str, interval: str, start: int, end: int) -> list[Candle]:
        return sorted(
            (c for c in self.rows.values() if c.key[:3] == (exchange, symbol, interval) and start <= c.open_time < end),
            key=lambda c: c.open_time,
        )

    async def page(self, query: CandleQuery) -> list[Candle]:
        found = await self.between(query.exchange, query.symbol, query.interval, query.start or 0, query.end or 2**62)
        if query.after is not None:
            found = [c for c in found if c.open_time > query.after]
        return found[: query.limit]

    async def last_open_time(self, exchange: str, symbol: str, interval: str) -> int | None:
        times = [c.open_time for c in self.rows.values() if c.key[:3] == (exchange, symbol, interval)]
        return max(times) if times else None

    async def last_final_open_time(self, exchange: str, symbol: str, interval: str) -> int | None:
        times = [c.open_time for c in self.rows.values() if c.key[:3] == (exchange, symbol, interval) and c.final]
        return max(times) if times else None

    async def ohlcv(self, exchange: str, symbol: str, interval: str, start: int, end: int):
        return [
            (c.open_time, float(c.open), float(c.high), float(c.low), float(c.close), float(c.volume))
            for c in await self.between(exchange, symbol, interval, start, end)
        ]

    def series(self, interval: str, symbol: str = "BTC-USDT", exchange: str = "test") -> list[Candle]:
        return sorted(
            (c for c in self.rows.values() if c.key[:3] == (exchange, symbol, interval)), key=lambda c: c.open_time
        )


class FakePublisher:
    def __init__(self) -> None:
        self.messages: list[OutboundMessage] = []

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        self.messages.extend(messages)


class FakeFanout:
    def __init__(self) -> None:
        self.updates: list[LiveUpdate] = []

    async def publish(self, updates: Sequence[LiveUpdate]) -> None:
        self.updates.extend(updates)

    async def listen(self, stop: asyncio.Event):  # pragma: no cover - the worker only publishes
        raise NotImplementedError
        yield


async def wait_until(condition: Callable[[], bool], within_seconds: float = 10.0) -> None:
    """Poll `condition` until it holds; fail after `within_seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
