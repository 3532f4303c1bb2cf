"""The relay publishing users events, run against real Kafka and against the in-process bus."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.recorders import memory_recorder
from adapters.eventsourcing.store import RecorderEventStore
from adapters.kafka.publisher import KafkaPublisher
from adapters.memory.bus import InProcessBus
from adapters.security.field_cipher import FieldCipher
from adapters.security.key_vault import MemoryKeyVault
from adapters.sqlalchemy.engine import create_tables, create_views_engine
from adapters.sqlalchemy.positions import SqlPositionStore
from application.ports.event_store import RecordedEvent
from application.ports.publisher import IntegrationPublisher, OutboundMessage
from application.ports.read_models import PositionStore
from application.relay import Relay
from application.users.integration import users_route
from domain.users.events import USER_EVENTS

from .support import UserStream

pytestmark = pytest.mark.integration

RELAY = "relay:test-users"
PARTITIONS = 3


class Received(NamedTuple):
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def body(self) -> dict[str, Any]:
        return msgspec.json.decode(self.value)

    @property
    def identity(self) -> tuple[UUID, int]:
        return UUID(self.body["stream_id"]), self.body["version"]


class Channel(Protocol):
    topic: str

    def publisher(self) -> IntegrationPublisher:
        """A publisher as a freshly started relay process would build it."""
        ...

    async def received(self, at_least: int) -> list[Received]:
        """Every message on the topic so far (at least `at_least`), in delivery order per partition."""
        ...


class KafkaChannel:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self._publishers: list[KafkaPublisher] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._messages: list[Received] = []

    def publisher(self) -> IntegrationPublisher:
        publisher = KafkaPublisher(self._bootstrap, client_id=f"test-relay-{len(self._publishers)}")
        self._publishers.append(publisher)
        return publisher

    async def received(self, at_least: int) -> list[Received]:
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(
                self.topic,
                bootstrap_servers=self._bootstrap,
                group_id=f"test-{uuid.uuid4().hex[:8]}",
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )
            await self._consumer.start()
        partitions = [TopicPartition(self.topic, partition) for partition in range(PARTITIONS)]
        # Publishing returned after the broker acknowledged, so the end offsets count every message.
        in_topic = sum((await self._consumer.end_offsets(partitions)).values())
        deadline = time.monotonic() + 20
        while len(self._messages) < max(at_least, in_topic):
            assert time.monotonic() < deadline, f"got {len(self._messages)} of {max(at_least, in_topic)} messages"
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self._messages += [Received(r.key, r.value, tuple(r.headers)) for r in records]
        return list(self._messages)

    async def close(self) -> None:
        try:
            for publisher in self._publishers:
                await publisher.stop()
        finally:
            if self._consumer is not None:
                await self._consumer.stop()


class BusChannel:
    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.bus = InProcessBus()
        self._subscription = self.bus.subscribe(topic)
        self._messages: list[Received] = []

    def publisher(self) -> IntegrationPublisher:
        # The bus lives as long as the process; a restarted relay task publishes to the same one.
        return self.bus

    async def received(self, at_least: int) -> list[Received]:
        queue = self._subscription.queue
        while len(self._messages) < at_least or not queue.empty():
            message = await asyncio.wait_for(self._subscription.get(), 5)
            self._messages.append(Received(message.key, message.value, message.headers))
        assert self._subscription.dropped == 0
        return list(self._messages)


async def _create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


async def _delete_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


@pytest.fixture
def topic() -> str:
    return f"test.users.events.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def kafka_channel(kafka_bootstrap: str, topic: str) -> AsyncIterator[KafkaChannel]:
    await asyncio.wait_for(_create_topic(kafka_bootstrap, topic), 20)
    channel = KafkaChannel(kafka_bootstrap, topic)
    try:
        yield channel
    finally:
        try:
            await channel.close()
        finally:
            await asyncio.wait_for(_delete_topic(kafka_bootstrap, topic), 20)


@pytest.fixture(params=["kafka", "in-process bus"])
def channel(request: pytest.FixtureRequest, topic: str) -> Channel:
    if request.param == "kafka":
        return request.getfixturevalue("kafka_channel")
    return BusChannel(topic)


@pytest.fixture
async def positions(tmp_path: Path) -> AsyncIterator[SqlPositionStore]:
    engine: AsyncEngine = create_views_engine(f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite'}")
    try:
        await create_tables(engine)
        yield SqlPositionStore(engine)
    finally:
        await engine.dispose()


class Users(NamedTuple):
    store: RecorderEventStore
    vault: MemoryKeyVault
    streams: list[UserStream]


@pytest.fixture
async def users() -> Users:
    """A store with three registered users who logged in, set preferences and renamed; one left."""
    vault = MemoryKeyVault(os.urandom(32))
    store = RecorderEventStore(memory_recorder(), EventMapper(USER_EVENTS, FieldCipher(vault)))
    streams = [UserStream(name) for name in ("alice", "bob", "carol")]
    for user in streams:
        await vault.create_key(user.id)
        await store.append([user.email_claimed(), user.registered()])
    for user in streams:
        await store.append([user.session_started(), user.login_succeeded()])
    for user in streams:
        await store.append([user.preferences_changed()])
        await store.append([user.profile_changed(display_name=f"Renamed {user.id.hex[:6]}")])
    await store.append([streams[1].deleted()])
    return Users(store, vault, streams)


def _published_identities(users: Users) -> set[tuple[UUID, int]]:
    return {(user.id, version) for user in users.streams for version in range(1, user.version + 1)}


def route_to(topic: str) -> Any:
    def route(recorded_event: RecordedEvent) -> OutboundMessage | None:
        message = users_route(recorded_event)
        return None if message is None else msgspec.structs.replace(message, topic=topic)

    return route


def _relay(users: Users, channel: Channel, positions: PositionStore, publisher: IntegrationPublisher) -> Relay:
    return Relay(RELAY, users.store, publisher, positions, [route_to(channel.topic)], batch_size=4)


async def _run(relay: Relay) -> None:
    for _ in range(100):
        if not await relay.step():
            return
    raise AssertionError("the relay never caught up")


class CountingPublisher:
    def __init__(self, inner: IntegrationPublisher) -> None:
        self._inner = inner
        self.published = 0

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        await self._inner.publish(messages)
        self.published += len(messages)


class CrashingPositions:
    """Positions whose n-th store fails: the process dies after publishing, before recording it."""

    def __init__(self, inner: PositionStore, crash_on_set: int) -> None:
        self._inner = inner
        self._sets = 0
        self._crash_on_set = crash_on_set

    async def get(self, name: str) -> int:
        return await self._inner.get(name)

    async def set(self, name: str, position: int) -> None:
        self._sets += 1
        if self._sets == self._crash_on_set:
            raise RuntimeError("crashed before the position was stored")
        await self._inner.set(name, position)


def _versions_by_stream(messages: Sequence[Received]) -> dict[UUID, list[int]]:
    by_stream: defaultdict[UUID, list[int]] = defaultdict(list)
    for message in messages:
        stream_id, version = message.identity
        by_stream[stream_id].append(version)
    return dict(by_stream)


def _deduplicated(messages: Sequence[Received]) -> list[Received]:
    seen: set[tuple[UUID, int]] = set()
    unique = []
    for message in messages:
        if message.identity not in seen:
            seen.add(message.identity)
            unique.append(message)
    return unique


class TestRelayContract:
    async def test_publishes_every_users_event_once_keyed_by_stream_in_stream_order(
        self, users: Users, channel: Channel, positions: SqlPositionStore
    ) -> None:
        publisher = CountingPublisher(channel.publisher())

        await _run(_relay(users, channel, positions, publisher))
        messages = await channel.received(at_least=publisher.published)

        expected = _published_identities(users)
        assert len(messages) == publisher.published == len(expected)
        assert {message.identity for message in messages} == expected
        assert all(message.key == str(message.identity[0]).encode() for message in messages)
        assert _versions_by_stream(messages) == {user.id: list(range(1, user.version + 1)) for user in users.streams}
        assert await positions.get(RELAY) == await users.store.last_notification_id()

    async def test_messages_say_what_happened_with_the_notification_id(
        self, users: Users, channel: Channel, positions: SqlPositionStore
    ) -> None:
        await _run(_relay(users, channel, positions, channel.publisher()))
        messages = await channel.received(at_least=len(_published_identities(users)))

        log = {
            (recorded.event.stream_id, recorded.event.version): recorded
            for recorded in await users.store.read(after=0, limit=1000)
        }
        for message in messages:
            recorded = log[message.identity]
            assert message.body["type"] == type(recorded.event).__name__
            assert message.body["notification_id"] == recorded.notification_id
            assert dict(message.headers)["event-topic"] == recorded.event.TOPIC.encode()

    async def test_no_message_carries_personal_data(
        self, users: Users, channel: Channel, positions: SqlPositionStore
    ) -> None:
        await _run(_relay(users, channel, positions, channel.publisher()))
        messages = await channel.received(at_least=len(_published_identities(users)))

        raw = b"\n".join(m.key + m.value + b"".join(k.encode() + v for k, v in m.headers) for m in messages)
        personal = [value for user in users.streams for value in user.personal_values]
        assert len(personal) >= 15
        leaked = [value for value in personal if value.encode() in raw]
        assert leaked == []

    async def test_a_crash_before_storing_the_position_republishes_and_loses_nothing(
        self, users: Users, channel: Channel, positions: SqlPositionStore
    ) -> None:
        crashing = _relay(users, channel, CrashingPositions(positions, crash_on_set=2), channel.publisher())
        assert await crashing.step()
        with pytest.raises(RuntimeError, match="crashed"):
            await crashing.step()
        position_at_crash = await positions.get(RELAY)

        restarted = CountingPublisher(channel.publisher())
        await _run(_relay(users, channel, positions, restarted))
        messages = await channel.received(at_least=restarted.published)

        expected = _published_identities(users)
        unique = _deduplicated(messages)
        assert position_at_crash > 0
        assert len(messages) > len(expected), "the batch published before the crash is published again"
        assert len(unique) == len(expected)
        assert {message.identity for message in unique} == expected
        assert _versions_by_stream(unique) == {user.id: list(range(1, user.version + 1)) for user in users.streams}

    async def test_a_restarted_relay_publishes_only_what_is_new(
        self, users: Users, channel: Channel, positions: SqlPositionStore
    ) -> None:
        await _run(_relay(users, channel, positions, channel.publisher()))
        before = len(await channel.received(at_least=len(_published_identities(users))))
        alice = users.streams[0]
        await users.store.append([alice.preferences_changed(theme="light")])

        restarted = CountingPublisher(channel.publisher())
        await _run(_relay(users, channel, positions, restarted))
        messages = await channel.received(at_least=before + 1)

        assert restarted.published == 1
        assert len(messages) == before + 1
        assert [m.identity for m in messages if m.identity[0] == alice.id][-1] == (alice.id, alice.version)


class TestInProcessBus:
    def message(self, n: int) -> OutboundMessage:
        return OutboundMessage(topic="users.events.v1", key=b"k", value=str(n).encode())

    async def test_a_slow_subscriber_loses_its_oldest_messages_and_counts_them(self) -> None:
        bus = InProcessBus(subscriber_queue_size=3)
        slow, fast = bus.subscribe("users.events.v1"), bus.subscribe("users.events.v1")
        fast_got = []

        for n in range(1, 6):
            await bus.publish([self.message(n)])
            fast_got.append(await asyncio.wait_for(fast.get(), 1))

        slow_got = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
        assert [m.value for m in slow_got] == [b"3", b"4", b"5"]
        assert slow.dropped == 2
        assert [m.value for m in fast_got] == [str(n).encode() for n in range(1, 6)]
        assert fast.dropped == 0

    async def test_delivers_only_the_subscribed_topic(self) -> None:
        bus = InProcessBus()
        users_sub, other_sub = bus.subscribe("users.events.v1"), bus.subscribe("portfolio.events.v1")

        await bus.publish([self.message(1)])

        assert (await asyncio.wait_for(users_sub.get(), 1)).value == b"1"
        assert other_sub.queue.empty()
