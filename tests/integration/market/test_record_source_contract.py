"""The record source contract, run against the in-process bus (embedded) and a Kafka consumer group (full mode)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.record_source import KafkaRecordSource
from adapters.memory.bus import InProcessBus
from adapters.memory.record_source import BusRecordSource
from application.ports.publisher import OutboundMessage
from application.ports.records import InboundRecord, RecordSource

pytestmark = pytest.mark.integration

PARTITIONS = 3


class Stream(Protocol):
    topics: tuple[str, str]

    def source(self) -> RecordSource:
        """A source as a (re)started consumer process builds it: one consumer group for all of them."""
        ...

    async def publish(self, messages: Sequence[OutboundMessage]) -> None: ...


class BusStream:
    def __init__(self, topics: tuple[str, str]) -> None:
        self.topics = topics
        # The bus lives as long as the process; a restarted consumer task reads the same one.
        self.bus = InProcessBus()
        self.sources: list[BusRecordSource] = []

    def source(self) -> RecordSource:
        source = BusRecordSource(self.bus, self.topics)
        self.sources.append(source)
        return source

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        await self.bus.publish(messages)

    async def close(self) -> None:
        for source in self.sources:
            await source.stop()


class KafkaStream:
    def __init__(self, bootstrap: str, topics: tuple[str, str]) -> None:
        self.topics = topics
        self._bootstrap = bootstrap
        self.group = f"test-candles-{uuid.uuid4().hex[:8]}"
        self._publisher = KafkaPublisher(bootstrap, client_id="test-ingest")
        self.sources: list[KafkaRecordSource] = []

    def source(self) -> RecordSource:
        source = KafkaRecordSource(self._bootstrap, group_id=self.group, client_id=f"test-{len(self.sources)}")
        self.sources.append(source)
        return source

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        await self._publisher.publish(messages)

    async def close(self) -> None:
        try:
            for source in self.sources:
                await source.stop()
        finally:
            await self._publisher.stop()


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    return admin


@pytest.fixture
def topics() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:12]
    return (f"test.market.trades.{tag}", f"test.market.tickers.{tag}")


@pytest.fixture
async def kafka_stream(kafka_bootstrap: str, topics: tuple[str, str]) -> AsyncIterator[KafkaStream]:
    admin = await asyncio.wait_for(_admin(kafka_bootstrap), 20)
    try:
        new_topics = [NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1) for topic in topics]
        await asyncio.wait_for(admin.create_topics(new_topics), 20)
        stream = KafkaStream(kafka_bootstrap, topics)
        try:
            yield stream
        finally:
            await stream.close()
            await asyncio.wait_for(admin.delete_topics(list(topics)), 20)
    finally:
        await admin.close()


@pytest.fixture
async def bus_stream(topics: tuple[str, str]) -> AsyncIterator[BusStream]:
    stream = BusStream(topics)
    yield stream
    await stream.close()


@pytest.fixture(params=["in-process bus", "kafka"])
def stream(request: pytest.FixtureRequest) -> Stream:
    return request.getfixturevalue("kafka_stream" if request.param == "kafka" else "bus_stream")


class StoredPositions:
    """The consumer's positions as its database keeps them: `topic:partition` -> next offset."""

    def __init__(self, positions: dict[str, int] | None = None) -> None:
        self.positions = dict(positions or {})
        self.loads = 0
        self.revocations = 0

    async def load(self) -> dict[str, int]:
        self.loads += 1
        return dict(self.positions)

    def revoked(self) -> None:
        self.revocations += 1

    def advance(self, records: Sequence[InboundRecord]) -> None:
        for record in records:
            self.positions[record.source] = record.offset + 1


async def _started(stream: Stream, positions: StoredPositions) -> RecordSource:
    source = stream.source()
    await source.start(stream.topics, positions.load, positions.revoked)
    return source


async def _poll_until(
    source: RecordSource,
    count: int,
    positions: StoredPositions,
    *,
    within: float = 20.0,
    max_records: int = 500,
) -> list[InboundRecord]:
    """Poll as the consumer does, storing its positions, until `count` records came; fail at the deadline."""
    records: list[InboundRecord] = []
    deadline = time.monotonic() + within
    while len(records) < count:
        assert time.monotonic() < deadline, f"got {len(records)} of {count} records: {records!r}"
        batch = await source.poll(max_records, 0.2)
        positions.advance(batch)
        records += batch
    return records


async def _poll_once(source: RecordSource, positions: StoredPositions, seconds: float = 0.3) -> list[InboundRecord]:
    records = await source.poll(500, seconds)
    positions.advance(records)
    return records


def _in_order(records: Sequence[InboundRecord]) -> list[InboundRecord]:
    return sorted(records, key=lambda record: (record.source, record.offset))


def trade(topic: str, key: str, n: int) -> OutboundMessage:
    exchange, symbol = key.split(":")
    value = f'{{"exchange":"{exchange}","symbol":"{symbol}","trade_id":"{n}","price":"57312.{n:02d}"}}'
    return OutboundMessage(topic=topic, key=key.encode(), value=value.encode())


# Spread over all three partitions by the default partitioner (murmur2 of the key).
KEYS = ("binance:BTC-USDT", "binance:ETH-USDT", "coinbase:ETH-USDT", "coinbase:SOL-USDT", "binance:DOGE-USDT")


def trades(topic: str, count: int, keys: Sequence[str] = KEYS, first: int = 0) -> list[OutboundMessage]:
    return [trade(topic, keys[n % len(keys)], n) for n in range(first, first + count)]


def _as_sent(records: Sequence[InboundRecord]) -> list[tuple[str, bytes, bytes]]:
    return sorted((record.topic, record.key, record.value) for record in records)


def _sent(messages: Sequence[OutboundMessage]) -> list[tuple[str, bytes, bytes]]:
    return sorted((message.topic, message.key, message.value) for message in messages)


class TestEveryRecordSource:
    async def test_polls_records_published_after_start_with_their_topic_key_and_value(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = await _started(stream, positions)
        trades_topic, tickers_topic = stream.topics
        published = trades(trades_topic, 12) + trades(tickers_topic, 4, keys=KEYS[:2], first=100)

        await stream.publish(published)
        records = await _poll_until(source, len(published), positions)

        assert _as_sent(records) == _sent(published)
        assert all(0 <= record.partition < PARTITIONS for record in records)
        assert all(record.source == f"{record.topic}:{record.partition}" for record in records)

    async def test_records_of_one_key_come_in_publishing_order_with_increasing_offsets(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = await _started(stream, positions)
        published = trades(stream.topics[0], 30)

        for start in range(0, 30, 7):
            await stream.publish(published[start : start + 7])
        records = await _poll_until(source, 30, positions)

        by_key: defaultdict[bytes, list[InboundRecord]] = defaultdict(list)
        for record in records:
            by_key[record.key].append(record)
        assert {key: [r.value for r in keyed] for key, keyed in by_key.items()} == {
            key.encode(): [m.value for m in published if m.key == key.encode()] for key in KEYS
        }
        for keyed in by_key.values():
            assert len({record.source for record in keyed}) == 1, "one key, one partition"
            offsets = [record.offset for record in keyed]
            assert offsets == sorted(set(offsets)), "offsets strictly increase"

    async def test_records_published_between_building_and_starting_the_source_are_polled(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = stream.source()
        published = trades(stream.topics[0], 5)
        await stream.publish(published)

        await source.start(stream.topics, positions.load, positions.revoked)
        records = await _poll_until(source, 5, positions)

        assert _as_sent(records) == _sent(published)

    async def test_a_restarted_source_returns_only_what_was_published_past_the_stored_positions(
        self, stream: Stream
    ) -> None:
        positions = StoredPositions()
        first_run = await _started(stream, positions)
        before = trades(stream.topics[0], 10) + trades(stream.topics[1], 3)
        await stream.publish(before)
        await _poll_until(first_run, len(before), positions)
        await first_run.stop()
        stored = dict(positions.positions)
        loads_before = positions.loads

        second_run = await _started(stream, positions)
        after = trades(stream.topics[0], 6, first=10) + trades(stream.topics[1], 2, first=3)
        await stream.publish(after)
        records = await _poll_until(second_run, len(after), positions)
        records += await _poll_once(second_run, positions)

        assert _as_sent(records) == _sent(after)
        # The consumer drops any record below its stored position as a redelivery: none may look like one.
        assert [r for r in records if r.offset < stored.get(r.source, 0)] == []
        assert positions.loads > loads_before, "the restarted source asked for the stored positions"

    async def test_poll_returns_at_most_max_records(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = await _started(stream, positions)
        published = trades(stream.topics[0], 9, keys=KEYS[:1])
        await stream.publish(published)

        first = await _poll_until(source, 1, positions, max_records=4)
        rest = await _poll_until(source, 9 - len(first), positions, max_records=4)

        assert 1 <= len(first) <= 4
        assert _as_sent(first + rest) == _sent(published)

    async def test_poll_returns_nothing_once_the_timeout_passes_with_no_new_records(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = await _started(stream, positions)
        await stream.publish(trades(stream.topics[0], 2))
        await _poll_until(source, 2, positions)

        assert await _poll_once(source, positions) == []

    async def test_lag_counts_the_records_published_but_not_yet_polled(self, stream: Stream) -> None:
        positions = StoredPositions()
        source = await _started(stream, positions)
        await stream.publish(trades(stream.topics[0], 7, keys=KEYS[:1]))

        first = await _poll_until(source, 1, positions, max_records=1)
        lag_after_one = await source.lag()
        rest = await _poll_until(source, 6, positions)

        assert len(first) == 1
        assert lag_after_one == 6
        assert len(rest) == 6
        assert await source.lag() == 0


class TestKafkaRecordSource:
    async def test_starts_each_partition_at_its_stored_offset_and_unstored_ones_at_the_beginning(
        self, kafka_stream: KafkaStream
    ) -> None:
        published = trades(kafka_stream.topics[0], 30)
        await kafka_stream.publish(published)
        reader = await _started(kafka_stream, StoredPositions())
        everything = await _poll_until(reader, 30, StoredPositions())
        await reader.stop()
        by_source: defaultdict[str, list[InboundRecord]] = defaultdict(list)
        for record in _in_order(everything):
            by_source[record.source].append(record)
        assert len(by_source) == PARTITIONS, f"the keys should spread over the partitions: {sorted(by_source)}"
        # Resume one partition mid-way and another past its end; leave the third unstored.
        middle, past_end, unstored = sorted(by_source)
        stored = {
            middle: by_source[middle][len(by_source[middle]) // 2].offset,
            past_end: by_source[past_end][-1].offset + 1,
        }

        positions = StoredPositions(stored)
        resumed = await _started(kafka_stream, positions)
        expected = [r for r in everything if r.offset >= stored.get(r.source, 0)]
        records = await _poll_until(resumed, len(expected), positions)
        records += await _poll_once(resumed, positions)

        assert _in_order(records) == _in_order(expected)
        assert {r.source for r in records} == {middle, unstored}
        assert 0 < len([r for r in records if r.source == middle]) < len(by_source[middle])

    async def test_partitions_handed_to_a_new_member_resume_from_the_positions_stored_so_far(
        self, kafka_stream: KafkaStream
    ) -> None:
        topic = kafka_stream.topics[0]
        positions = StoredPositions()
        first = await _started(kafka_stream, positions)
        await kafka_stream.publish(trades(topic, 30))
        await _poll_until(first, 30, positions)
        joining = StoredPositions()
        joining.positions = positions.positions  # one database: both members read and write the same rows
        revocations_before, loads_before = positions.revocations, positions.loads

        second = await _started(kafka_stream, joining)
        deadline = time.monotonic() + 30
        while not (positions.revocations > revocations_before and positions.loads > loads_before and joining.loads):
            assert time.monotonic() < deadline, "the group never rebalanced"
            assert await _poll_once(first, positions, 0.1) == []
            assert await _poll_once(second, joining, 0.1) == []
        published = trades(topic, 30, first=30)
        await kafka_stream.publish(published)
        read_by: dict[str, list[InboundRecord]] = {"first": [], "second": []}
        deadline = time.monotonic() + 20
        while sum(map(len, read_by.values())) < 30:
            assert time.monotonic() < deadline, f"got {read_by!r}"
            read_by["first"] += await _poll_once(first, positions, 0.1)
            read_by["second"] += await _poll_once(second, joining, 0.1)
        read_by["first"] += await _poll_once(first, positions)
        read_by["second"] += await _poll_once(second, joining)

        assert _as_sent(read_by["first"] + read_by["second"]) == _sent(published)
        assert read_by["first"], "both members read a share of the partitions"
        assert read_by["second"], "both members read a share of the partitions"
        assert not {r.source for r in read_by["first"]} & {r.source for r in read_by["second"]}


class TestBusRecordSource:
    async def test_lag_counts_the_records_waiting_before_the_first_poll(self, bus_stream: BusStream) -> None:
        source = await _started(bus_stream, StoredPositions())

        await bus_stream.publish(trades(bus_stream.topics[0], 4) + trades(bus_stream.topics[1], 3))

        assert await source.lag() == 7

    async def test_a_later_source_numbers_its_records_above_every_offset_of_an_earlier_one(
        self, bus_stream: BusStream
    ) -> None:
        # The bus forgets everything when the process ends: positions an earlier run stored must never
        # make a later run skip its records as redeliveries.
        positions = StoredPositions()
        earlier = await _started(bus_stream, positions)
        await bus_stream.publish(trades(bus_stream.topics[0], 50))
        first_run = await _poll_until(earlier, 50, positions)
        await earlier.stop()

        later = await _started(bus_stream, StoredPositions())
        await bus_stream.publish(trades(bus_stream.topics[0], 50, first=50))
        second_run = await _poll_until(later, 50, StoredPositions())

        assert min(record.offset for record in second_run) > max(record.offset for record in first_run)
        assert [record.offset for record in second_run] == sorted(set(record.offset for record in second_run))
