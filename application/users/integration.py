"""The users integration events on `users.events.v1`: public facts only, never personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from application.ports.event_store import RecordedEvent
from application.ports.publisher import OutboundMessage
from domain.users.email_claim import EmailClaimed, EmailReleased

USERS_TOPIC = "users.events.v1"


class UserIntegrationEvent(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    topic: str
    stream_id: UUID
    version: int
    notification_id: int
    occurred_at: datetime
    data: dict[str, Any]


_encoder = msgspec.json.Encoder()


def users_route(recorded: RecordedEvent) -> OutboundMessage | None:
    """Map a users domain event to its integration message (personal fields are left out)."""
    event = recorded.event
    # Email claims are keyed by an email fingerprint: an internal uniqueness device, not a public fact.
    if not event.TOPIC.startswith("users.") or isinstance(event, EmailClaimed | EmailReleased):
        return None
    hidden = {"stream_id", "version", "occurred_at", *event.PERSONAL_FIELDS}
    data = {key: value for key, value in msgspec.structs.asdict(event).items() if key not in hidden}
    # Token hashes are credentials-derived: they stay inside the store.
    data.pop("token_hash", None)
    message = UserIntegrationEvent(
        type=type(event).__name__,
        topic=event.TOPIC,
        stream_id=event.stream_id,
        version=event.version,
        notification_id=recorded.notification_id,
        occurred_at=event.occurred_at,
        data=data,
    )
    return OutboundMessage(
        topic=USERS_TOPIC,
        key=str(event.stream_id).encode(),
        value=_encoder.encode(message),
        headers=(("event-topic", event.TOPIC.encode()), ("version", str(event.version).encode())),
    )
