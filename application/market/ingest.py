"""Ingest: an exchange feed into the market topics, through a bounded buffer and pipelined publishing.

The feed is read as fast as it delivers; a separate sender publishes what has accumulated in one
pipelined batch and waits for the acknowledgements. While the broker is away the buffer absorbs the
flow; when it is full the oldest records are dropped and counted (the REST backfill after the next
reconnect restores the candles, but the trades are gone, so the bound is a setting).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from application.market.messages import to_message
from application.ports.market import MarketFeed
from application.ports.publisher import IntegrationPublisher, OutboundMessage, PublishFailed
from domain.market.instruments import Instrument

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    received: int = 0
    published: int = 0
    dropped: int = 0
    publish_failures: int = 0
    feed_failures: int = 0
    # Seconds from a record entering the buffer to its acknowledgement, for the latest batch.
    last_batch_lag: float = 0.0

    @property
    def buffered(self) -> int:
        return self.received - self.published - self.dropped


class Ingestor:
    def __init__(
        self,
        feed: MarketFeed,
        publisher: IntegrationPublisher,
        *,
        buffer_size: int = 100_000,
        batch_size: int = 2_000,
        retry_seconds: float = 0.5,
        shutdown_seconds: float = 10.0,
    ) -> None:
        self.feed = feed
        self._publisher = publisher
        self._buffer: deque[tuple[float, OutboundMessage]] = deque()
        self._buffer_size = buffer_size
        self._batch_size = batch_size
        self._retry_seconds = retry_seconds
        # How long, once stopped, the sender keeps trying to flush an unreachable broker.
        self._shutdown_seconds = shutdown_seconds
        self._ready = asyncio.Event()
        self.stats = IngestStats()

    async def run(
        self, instruments: Sequence[Instrument], stop: asyncio.Event, resume_from: Mapping[str, int] | None = None
    ) -> None:
        """Ingest until `stop` is set; what is buffered then is flushed before returning."""
        reader = asyncio.create_task(self._read(instruments, resume_from), name=f"ingest-read:{self.feed.exchange}")
        sender = asyncio.create_task(self._send(stop), name=f"ingest-send:{self.feed.exchange}")
        await stop.wait()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        self._ready.set()
        await sender

    async def _read(self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None) -> None:
        """Read the feed; a feed that fails (a bug, a missing file) is logged and started again, never silent."""
        delay = self._retry_seconds
        while True:
            try:
                await self._consume(instruments, resume_from)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.feed_failures += 1
                log.exception("the %s feed failed; starting it again in %.1f s", self.feed.exchange, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _consume(self, instruments: Sequence[Instrument], resume_from: Mapping[str, int] | None) -> None:
        buffer, stats = self._buffer, self.stats
        stream = self.feed.stream(instruments, resume_from) if resume_from else self.feed.stream(instruments)
        async for event in stream:
            message = to_message(event)
            if len(buffer) >= self._buffer_size:
                buffer.popleft()
                stats.dropped += 1
            buffer.append((time.monotonic(), message))
            stats.received += 1
            self._ready.set()

    async def _send(self, stop: asyncio.Event) -> None:
        buffer, stats = self._buffer, self.stats
        deadline: float | None = None
        while True:
            if stop.is_set() and deadline is None:
                deadline = time.monotonic() + self._shutdown_seconds
            if deadline is not None and buffer and stats.publish_failures and time.monotonic() > deadline:
                log.error("giving up at shutdown with %d records unpublished (the broker is unreachable)", len(buffer))
                return
            if not buffer:
                if stop.is_set():
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            count = min(len(buffer), self._batch_size)
            batch = [buffer[i] for i in range(count)]
            try:
                await self._publisher.publish([message for _, message in batch])
            except PublishFailed as error:
                self._forget_acknowledged(batch, error.acknowledged)
                stats.publish_failures += 1
                log.warning("publishing market data failed; retrying the rest (%d buffered): %s", len(buffer), error)
                await asyncio.sleep(self._retry_seconds)
                continue
            except Exception as error:
                # Keep the batch at the head of the buffer and try again: order per key is preserved.
                stats.publish_failures += 1
                log.warning("publishing market data failed; retrying (%d buffered): %s", len(buffer), error)
                await asyncio.sleep(self._retry_seconds)
                continue
            # The reader may have dropped from the head while we waited: remove only what is still ours.
            for entry in batch:
                if buffer and buffer[0] is entry:
                    buffer.popleft()
                    stats.published += 1
            stats.last_batch_lag = time.monotonic() - batch[0][0]

    def _forget_acknowledged(self, batch: list[tuple[float, OutboundMessage]], acknowledged: frozenset[int]) -> None:
        """Take the accepted messages of a failed batch off the buffer; the rest stay at its head, in order."""
        accepted = {id(batch[i]) for i in acknowledged}
        in_batch = {id(entry) for entry in batch}
        kept = []
        while self._buffer and id(self._buffer[0]) in in_batch:
            entry = self._buffer.popleft()
            if id(entry) in accepted:
                self.stats.published += 1
            else:
                kept.append(entry)
        self._buffer.extendleft(reversed(kept))
