"""Market ports: exchange feeds in, candles and latest prices stored, live updates fanned out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

import msgspec

from domain.market.instruments import Instrument
from domain.market.values import Candle, MarketEvent, Price


class FeedObserver(Protocol):
    """What a feed tells operations about itself (metrics, logs); never affects the data."""

    def malformed(self, exchange: str, reason: str) -> None: ...

    def reconnecting(self, exchange: str, reason: str, delay_seconds: float) -> None: ...

    def gap(self, exchange: str, missing: int) -> None: ...

    def backfilled(self, exchange: str, candles: int) -> None: ...


class MarketFeed(Protocol):
    """One exchange's market data for a set of instruments, normalised.

    The stream never ends on its own: disconnects, silences and planned cuts are handled inside
    (reconnect with capped, jittered backoff) and every reconnect is followed by sealed 1m candles
    fetched over REST for the minutes missed while down. Malformed frames are reported to the observer
    and skipped. Cancel the iteration to stop.
    """

    exchange: str

    def stream(
        self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None = None
    ) -> AsyncIterator[MarketEvent]:
        """`resume_from`: per symbol, the open time of the last 1m candle already stored. An exchange
        feed backfills from there on its first connection too, so minutes missed while the process
        was down are not lost; simulated and replayed feeds ignore it."""
        ...


class CandleQuery(msgspec.Struct, frozen=True, kw_only=True):
    exchange: str
    symbol: str
    interval: str
    start: int | None = None
    end: int | None = None
    limit: int = 500
    after: int | None = None


class CandleStore(Protocol):
    """Candles keyed by (exchange, symbol, interval, open time), written with the consumer's positions."""

    async def positions(self, consumer: str) -> dict[str, int]:
        """Stored positions of a consumer, by source (e.g. `market.trades.v1:0` -> next offset)."""
        ...

    async def save(self, candles: Sequence[Candle], consumer: str, positions: Mapping[str, int]) -> None:
        """Upsert the candles and store the positions in one transaction (redelivery is then a no-op)."""
        ...

    async def load(self, exchange: str, symbol: str, buckets: Sequence[tuple[str, int]]) -> list[Candle]:
        """The stored candles of these (interval, open time) buckets that exist."""
        ...

    async def between(self, exchange: str, symbol: str, interval: str, start: int, end: int) -> list[Candle]:
        """Stored candles with start <= open time < end, oldest first."""
        ...

    async def page(self, query: CandleQuery) -> list[Candle]:
        """Up to `limit` candles oldest first, within [start, end), after the cursor `after` (an open time)."""
        ...

    async def last_open_time(self, exchange: str, symbol: str, interval: str) -> int | None: ...

    async def last_final_open_time(self, exchange: str, symbol: str, interval: str) -> int | None:
        """The newest candle of the series that is final (its interval and the grace for late trades are over)."""
        ...

    async def ohlcv(
        self, exchange: str, symbol: str, interval: str, start: int, end: int
    ) -> list[tuple[int, float, float, float, float, float]]:
        """(open time, open, high, low, close, volume) as floats, start <= open time < end, oldest first.

        For indicator maths: floats straight from the database, without building Decimals and Candles.
        """
        ...


class PriceStore(Protocol):
    """Latest price per symbol; a price older than the stored one never replaces it."""

    async def update(self, prices: Sequence[Price]) -> None: ...

    async def get(self, symbols: Sequence[str]) -> dict[str, Price]: ...


class LiveUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """One message for live subscribers of a symbol: a price change or a final candle."""

    kind: str  # "price" | "candle"
    symbol: str
    payload: bytes  # the JSON message as sent to WebSocket clients


class LiveFanout(Protocol):
    """Carries live updates from the candle worker to every API process (Redis pub/sub in full mode)."""

    async def publish(self, updates: Sequence[LiveUpdate]) -> None: ...

    def listen(self, stop: asyncio.Event) -> AsyncIterator[LiveUpdate]:
        """Every update published from now on; the iteration ends soon after `stop` is set.

        Ending by flag rather than by cancellation matters: a Redis read cancelled at the moment its
        own timeout fires swallows the cancellation (Python 3.11) and would hold shutdown forever.
        """
        ...


class ListedInstrument(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    base: str
    quote: str
    base_name: str


class ListedInstruments(Protocol):
    """Instruments admins added (the projection of their listings), oldest first."""

    async def all(self) -> list[ListedInstrument]: ...
