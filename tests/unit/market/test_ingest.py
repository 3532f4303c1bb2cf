"""Ingest: every feed event reaches the publisher in order, through outages, within a bounded buffer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import msgspec

from application.market.ingest import Ingestor
from application.market.messages import TRADES_TOPIC
from application.ports.publisher import OutboundMessage, PublishFailed
from domain.market.instruments import Instrument
from domain.market.values import MarketEvent, Trade

from .fakes import wait_until

T0 = 1_767_225_600_000


def trades(count: int) -> list[Trade]:
    return [
        Trade(exchange="fake", symbol="BTC-USDT", trade_id=str(i), price=Decimal(100), quantity=Decimal(1), time=T0 + i)
        for i in range(count)
    ]


class FakeFeed:
    exchange = "fake"

    def __init__(self, events: Sequence[MarketEvent]) -> None:
        self._events = events
        self.finished = asyncio.Event()

    async def stream(self, instruments: Sequence[Instrument]) -> AsyncIterator[MarketEvent]:
        for i, event in enumerate(self._events):
            yield event
            if i % 100 == 0:
                await asyncio.sleep(0)
        self.finished.set()
        await asyncio.Event().wait()  # a live feed never ends on its own


class FlakyPublisher:
    """Refuses the first `failures` publishes, like a broker that is down for a while."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.published: list[OutboundMessage] = []
        self.blocked = asyncio.Event()
        self.blocked.set()

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        await self.blocked.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        self.published.extend(messages)


class HalfAcceptingPublisher(FlakyPublisher):
    """The first publish is accepted for its even-numbered messages only, like a broker failing mid-batch."""

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        if not self.failures:
            self.published.extend(messages)
            return
        self.failures -= 1
        accepted = [i for i in range(len(messages)) if i % 2 == 0]
        self.published.extend(messages[i] for i in accepted)
        raise PublishFailed(accepted, "half the batch was not acknowledged")


async def run_until_published(ingestor: Ingestor, publisher: FlakyPublisher, expected: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run([Instrument("BTC", "USDT")], stop))
    await wait_until(lambda: len(publisher.published) >= expected)
    stop.set()
    await task


def trade_ids(messages: list[OutboundMessage]) -> list[str]:
    return [msgspec.json.decode(m.value)["trade_id"] for m in messages]


async def test_every_event_is_published_in_order_keyed_by_exchange_and_symbol():
    publisher = FlakyPublisher()
    ingestor = Ingestor(FakeFeed(trades(1_000)), publisher, batch_size=64)
    await run_until_published(ingestor, publisher, 1_000)
    assert trade_ids(publisher.published) == [str(i) for i in range(1_000)]
    assert {m.topic for m in publisher.published} == {TRADES_TOPIC}
    assert {m.key for m in publisher.published} == {b"fake:BTC-USDT"}
    assert ingestor.stats.published == 1_000


async def test_an_unavailable_broker_loses_nothing_once_it_returns():
    publisher = FlakyPublisher(failures=5)
    ingestor = Ingestor(FakeFeed(trades(500)), publisher, retry_seconds=0.01)
    await run_until_published(ingestor, publisher, 500)
    assert trade_ids(publisher.published) == [str(i) for i in range(500)]
    assert ingestor.stats.publish_failures == 5
    assert ingestor.stats.dropped == 0


async def test_a_partly_accepted_batch_is_retried_without_publishing_anything_twice():
    publisher = HalfAcceptingPublisher(failures=1)
    ingestor = Ingestor(FakeFeed(trades(200)), publisher, retry_seconds=0.01)
    await run_until_published(ingestor, publisher, 200)
    ids = trade_ids(publisher.published)
    assert sorted(ids, key=int) == [str(i) for i in range(200)]
    assert len(ids) == len(set(ids))
    assert ingestor.stats.published == 200


async def test_a_full_buffer_drops_the_oldest_events_and_counts_them():
    publisher = FlakyPublisher()
    publisher.blocked.clear()
    feed = FakeFeed(trades(1_000))
    ingestor = Ingestor(feed, publisher, buffer_size=100)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run([Instrument("BTC", "USDT")], stop))
    async with asyncio.timeout(10):
        await feed.finished.wait()
    publisher.blocked.set()
    await wait_until(lambda: not ingestor.stats.buffered)
    stop.set()
    await task
    ids = trade_ids(publisher.published)
    # What was in hand when the broker stalled, then the newest 100.
    assert ids[-100:] == [str(i) for i in range(900, 1_000)]
    assert ingestor.stats.dropped + len(ids) >= 1_000
    assert ingestor.stats.dropped > 0


async def test_stopping_flushes_what_is_buffered():
    publisher = FlakyPublisher()
    feed = FakeFeed(trades(300))
    ingestor = Ingestor(feed, publisher)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run([Instrument("BTC", "USDT")], stop))
    async with asyncio.timeout(10):
        await feed.finished.wait()
    stop.set()
    await task
    assert len(publisher.published) == 300


class FailingOnceFeed(FakeFeed):
    """Raises on its first start (a bug, a missing file), then streams."""

    def __init__(self, events: Sequence[MarketEvent]) -> None:
        super().__init__(events)
        self.starts = 0

    async def stream(self, instruments: Sequence[Instrument]) -> AsyncIterator[MarketEvent]:
        self.starts += 1
        if self.starts == 1:
            raise FileNotFoundError("no such capture")
        async for event in super().stream(instruments):
            yield event


async def test_a_failing_feed_is_counted_and_started_again():
    publisher = FlakyPublisher()
    feed = FailingOnceFeed(trades(50))
    ingestor = Ingestor(feed, publisher, retry_seconds=0.01)
    await run_until_published(ingestor, publisher, 50)
    assert ingestor.stats.feed_failures == 1
    assert feed.starts == 2


async def test_stopping_while_the_broker_is_unreachable_gives_up_after_the_shutdown_deadline():
    publisher = FlakyPublisher(failures=10_000)
    feed = FakeFeed(trades(10))
    ingestor = Ingestor(feed, publisher, retry_seconds=0.01, shutdown_seconds=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run([Instrument("BTC", "USDT")], stop))
    await wait_until(lambda: ingestor.stats.publish_failures > 0)
    stop.set()
    async with asyncio.timeout(5):
        await task
    assert ingestor.stats.buffered == 10
