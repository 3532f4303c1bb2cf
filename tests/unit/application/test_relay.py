from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from application.ports.event_store import RecordedEvent
from application.ports.publisher import OutboundMessage
from application.relay import Relay
from domain.users.events import EmailClaimed, SessionRevoked

from ..fakes import FakePositionStore, FakePublisher

AT = datetime(2025, 1, 6, tzinfo=UTC)


def _revocations_only(recorded: RecordedEvent) -> OutboundMessage | None:
    if not isinstance(recorded.event, SessionRevoked):
        return None
    return OutboundMessage(
        topic="t", key=str(recorded.event.stream_id).encode(), value=str(recorded.notification_id).encode()
    )


async def _append(store: RecorderEventStore, revoked: int, claimed: int = 0) -> int:
    events = [
        SessionRevoked(stream_id=uuid4(), version=1, occurred_at=AT, family_id=uuid4(), reason="logout")
        for _ in range(revoked)
    ] + [EmailClaimed(stream_id=uuid4(), version=1, occurred_at=AT, user_id=uuid4()) for _ in range(claimed)]
    return await store.append(events)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def positions() -> FakePositionStore:
    return FakePositionStore()


@pytest.fixture
def relay(store: RecorderEventStore, publisher: FakePublisher, positions: FakePositionStore) -> Relay:
    return Relay("users-relay", store, publisher, positions, [_revocations_only], batch_size=3)


def _values(batch: list[OutboundMessage]) -> list[bytes]:
    return [message.value for message in batch]


async def test_publishes_the_next_batch_and_then_stores_its_position(
    store: RecorderEventStore, relay: Relay, publisher: FakePublisher, positions: FakePositionStore
) -> None:
    await _append(store, revoked=5)

    assert await relay.step() is True

    assert [_values(batch) for batch in publisher.published] == [[b"1", b"2", b"3"]]
    assert await relay.position() == 3 == positions.positions["users-relay"]


async def test_resumes_from_the_stored_position(
    store: RecorderEventStore, relay: Relay, publisher: FakePublisher
) -> None:
    await _append(store, revoked=5)
    while await relay.step():
        pass
    assert [_values(batch) for batch in publisher.published] == [[b"1", b"2", b"3"], [b"4", b"5"]]
    assert await relay.position() == 5


async def test_a_failed_publish_leaves_the_position_and_the_next_step_sends_the_batch_again(
    store: RecorderEventStore, relay: Relay, publisher: FakePublisher
) -> None:
    await _append(store, revoked=2)
    publisher.failing = True

    with pytest.raises(ConnectionError):
        await relay.step()
    assert await relay.position() == 0

    publisher.failing = False
    assert await relay.step() is True
    assert [_values(batch) for batch in publisher.published] == [[b"1", b"2"]]
    assert await relay.position() == 2


async def test_a_batch_with_nothing_to_publish_still_moves_the_position(
    store: RecorderEventStore, relay: Relay, publisher: FakePublisher
) -> None:
    await _append(store, revoked=0, claimed=2)
    assert await relay.step() is True
    assert publisher.published == []
    assert await relay.position() == 2


async def test_routes_only_the_events_a_route_accepts(
    store: RecorderEventStore, relay: Relay, publisher: FakePublisher
) -> None:
    await _append(store, revoked=1, claimed=2)
    await relay.step()
    assert [_values(batch) for batch in publisher.published] == [[b"1"]]


async def test_a_step_with_nothing_new_does_nothing(relay: Relay, publisher: FakePublisher) -> None:
    assert await relay.step() is False
    assert publisher.published == []
