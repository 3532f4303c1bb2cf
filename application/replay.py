"""Replay tooling use cases: an aggregate's state at any version, notifications as plain data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.ports.event_store import EventStore, RecordedEvent
from domain.shared.aggregate import Aggregate
from domain.shared.errors import NotFound
from domain.shared.events import DomainEvent
from domain.users.email_claim import EmailClaim
from domain.users.events import EmailClaimed, UserRegistered
from domain.users.model import User

# A stream's first event tells which aggregate it belongs to.
AGGREGATE_BY_FIRST_EVENT: dict[type[DomainEvent], type[Aggregate]] = {
    UserRegistered: User,
    EmailClaimed: EmailClaim,
}

MASK = "***"
_SECRET_STATE = {"password_hash", "sessions"}


async def aggregate_at(store: EventStore, stream_id: UUID, version: int | None = None) -> Aggregate:
    events = await store.load(stream_id, up_to_version=version)
    if not events:
        raise NotFound(f"stream {stream_id} has no events")
    aggregate_type = AGGREGATE_BY_FIRST_EVENT.get(type(events[0]))
    if aggregate_type is None:
        raise NotFound(f"stream {stream_id} starts with {events[0].TOPIC}, which no aggregate starts with")
    return aggregate_type.replay(stream_id, events)


def aggregate_state(aggregate: Aggregate, reveal: bool = False) -> dict[str, Any]:
    """The aggregate's public attributes; credentials are always summarised, personal data masked."""
    state: dict[str, Any] = {"type": type(aggregate).__name__, "id": aggregate.id, "version": aggregate.version}
    personal = {"email", "display_name"}
    for name, value in vars(aggregate).items():
        if name.startswith("_") or name in state:
            continue
        if name == "sessions":
            state["active_sessions"] = len(value)
        elif name in _SECRET_STATE:
            continue
        elif name in personal and not reveal:
            state[name] = MASK
        else:
            state[name] = value
    return state


def notification_record(recorded: RecordedEvent, reveal: bool = False) -> dict[str, Any]:
    event = recorded.event
    data = msgspec.structs.asdict(event)
    for name in ("stream_id", "version", "occurred_at"):
        data.pop(name)
    if not reveal:
        data.update({name: MASK for name in event.PERSONAL_FIELDS if data.get(name) is not None})
    return {
        "id": recorded.notification_id,
        "topic": event.TOPIC,
        "stream_id": event.stream_id,
        "version": event.version,
        "occurred_at": event.occurred_at,
        "data": data,
    }
