"""Doubles and helpers for driving a market feed in tests: a recording observer, a settable epoch clock,
and a consumer that runs `feed.stream()` in the background and keeps what it yields."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Self

from application.ports.market import MarketFeed
from domain.market.instruments import Instrument
from domain.market.values import Candle, MarketEvent, Ticker, Trade


class FakeFeedObserver:
    def __init__(self) -> None:
        self.malformed_frames: list[str] = []
        self.reconnects: list[tuple[str, float]] = []
        self.gaps: list[int] = []
        self.backfills: list[int] = []

    def malformed(self, exchange: str, reason: str) -> None:
        self.malformed_frames.append(reason)

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None:
        self.reconnects.append((reason, delay_seconds))

    def gap(self, exchange: str, missing: int) -> None:
        self.gaps.append(missing)

    def backfilled(self, exchange: str, candles: int) -> None:
        self.backfills.append(candles)


class FakeEpoch:
    """Epoch milliseconds that move only when the test says so."""

    def __init__(self, now_ms: int) -> None:
        self.current = now_ms

    def now_ms(self) -> int:
        return self.current


class FakeSleep:
    """Records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class Consumed:
    """`async with Consumed(feed, instruments) as got:` reads the feed in the background until the block ends."""

    def __init__(
        self, feed: MarketFeed, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> None:
        self._feed = feed
        self._instruments = instruments
        self._resume_from = resume_from
        self.events: list[MarketEvent] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._consume())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _consume(self) -> None:
        async for event in self._feed.stream(self._instruments, self._resume_from):
            self.events.append(event)

    async def wait_for(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Poll `condition` until it holds; the feed failing or `within` seconds passing fail the test."""
        assert self._task is not None
        deadline = time.monotonic() + within
        while not condition():
            if self._task.done():
                raise AssertionError(f"the feed stopped: {self._task.exception()!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {within}s")
            await asyncio.sleep(0.01)

    def trades(self) -> list[Trade]:
        return [e for e in self.events if isinstance(e, Trade)]

    def candles(self) -> list[Candle]:
        return [e for e in self.events if isinstance(e, Candle)]

    def tickers(self) -> list[Ticker]:
        return [e for e in self.events if isinstance(e, Ticker)]
