"""Reads Kafka topics in a consumer group, starting each assigned partition where the consumer stored it.

Offsets are not committed to Kafka: the consumer keeps them in its own database transaction (see the
candle store), which is what makes a redelivery after a crash change nothing. On every rebalance the
stored positions are loaded again and the assigned partitions are sought to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from application.ports.records import InboundRecord


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(
        self,
        source: KafkaRecordSource,
        load_positions: Callable[[], Awaitable[dict[str, int]]],
        on_revoked: Callable[[], None],
    ) -> None:
        self._source = source
        self._load_positions = load_positions
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if revoked:
            self._on_revoked()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # aiokafka's fetcher starts on new partitions while this listener still runs: pause them
        # before the first await, or records before the stored positions get read (and a late seek
        # to the beginning rewinds a partition already read).
        current = self._source.consumer
        if current is None or not assigned:
            return
        consumer: AIOKafkaConsumer = current
        consumer.pause(*assigned)
        try:
            await self._source.seek_to_positions(consumer, assigned, await self._load_positions())
        finally:
            still_current = self._source.consumer is consumer
            if still_current:
                consumer.resume(*assigned)


class KafkaRecordSource:
    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        client_id: str = "cap",
        topic_prefix: str = "",
        start_at: Literal["earliest", "latest"] = "earliest",
    ) -> None:
        """`start_at`: where a partition without a stored position is read from."""
        self._start_at = start_at
        self._bootstrap_servers = bootstrap_servers
        self._prefix = topic_prefix
        self._group_id = group_id
        self._client_id = client_id
        self._consumer: AIOKafkaConsumer | None = None

    async def start(
        self,
        topics: Sequence[str],
        load_positions: Callable[[], Awaitable[dict[str, int]]],
        on_revoked: Callable[[], None],
    ) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Read only what producers' transactions/idempotent batches have made durable.
            isolation_level="read_committed",
            max_poll_records=5_000,
            fetch_max_wait_ms=50,
        )
        consumer.subscribe(
            [self._prefix + topic for topic in topics],
            listener=_SeekToStoredPositions(self, load_positions, on_revoked),
        )
        # Set before starting: the first assignment (and its seek) can happen inside start().
        self._consumer = consumer
        await consumer.start()

    @property
    def consumer(self) -> AIOKafkaConsumer | None:
        return self._consumer

    async def seek_to_positions(
        self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition], positions: dict[str, int]
    ) -> None:
        unstored = []
        for partition in assigned:
            position = positions.get(f"{self._logical(partition.topic)}:{partition.partition}")
            if position is None:
                unstored.append(partition)
            else:
                consumer.seek(partition, position)
        if unstored and self._start_at == "latest":
            await consumer.seek_to_end(*unstored)
        elif unstored:
            await consumer.seek_to_beginning(*unstored)

    async def poll(self, max_records: int, timeout_seconds: float) -> list[InboundRecord]:
        assert self._consumer is not None, "start the source first"
        batches = await self._consumer.getmany(timeout_ms=int(timeout_seconds * 1000), max_records=max_records)
        records = []
        for partition, messages in batches.items():
            for message in messages:
                records.append(
                    InboundRecord(
                        self._logical(partition.topic),
                        partition.partition,
                        message.offset,
                        message.key or b"",
                        message.value or b"",
                    )
                )
        return records

    def assigned(self) -> bool:
        """Whether the group gave this consumer partitions yet."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def _logical(self, topic: str) -> str:
        return topic[len(self._prefix) :]

    async def lag(self) -> int:
        if self._consumer is None:
            return 0
        behind = 0
        for partition in self._consumer.assignment():
            highwater = self._consumer.highwater(partition)
            if highwater is not None:
                behind += max(highwater - await self._consumer.position(partition), 0)
        return behind

    async def stop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
