from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
import pytest

from application.ports.event_store import RecordedEvent
from application.users.integration import USERS_TOPIC, users_route
from domain.shared.events import DomainEvent
from domain.users.events import (
    EmailClaimed,
    EmailReleased,
    LoginFailed,
    LoginSucceeded,
    PasswordRehashed,
    PreferencesChanged,
    ProfileChanged,
    SessionRefreshed,
    SessionRevoked,
    SessionStarted,
    UserDeleted,
    UserRegistered,
)

USER = UUID("6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b")
FAMILY = UUID("0e9d8c7b-6a59-4847-b635-241302f1e0d9")
AT = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
BASE = {"stream_id": USER, "version": 4, "occurred_at": AT}


class PortfolioOpened(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "portfolios.PortfolioOpened.v1"
    name: str


def _message(event: DomainEvent, notification_id: int = 42) -> dict[str, Any]:
    message = users_route(RecordedEvent(notification_id, event))
    assert message is not None
    assert message.topic == USERS_TOPIC
    return msgspec.json.decode(message.value)


def test_a_registration_is_published_without_personal_fields() -> None:
    event = UserRegistered(
        **BASE, email="ann@example.com", display_name="Ann Lee", password_hash="$argon2id$x", role="user"
    )
    recorded = RecordedEvent(42, event)

    message = users_route(recorded)

    assert message is not None
    assert (message.topic, message.key) == (USERS_TOPIC, str(USER).encode())
    assert dict(message.headers) == {"event-topic": b"users.UserRegistered.v1", "version": b"4"}
    for secret in (b"ann@example.com", b"Ann Lee", b"argon2", b"password_hash", b'"email"', b"display_name"):
        assert secret not in message.value
    assert msgspec.json.decode(message.value) == {
        "type": "UserRegistered",
        "topic": "users.UserRegistered.v1",
        "stream_id": str(USER),
        "version": 4,
        "notification_id": 42,
        "occurred_at": "2025-01-06T09:30:00Z",
        "data": {"role": "user"},
    }


@pytest.mark.parametrize(
    ("event", "hidden"),
    [
        (ProfileChanged(**BASE, email="ann@example.org", display_name="Ann B."), ["email", "display_name"]),
        (PasswordRehashed(**BASE, password_hash="$argon2id$y"), ["password_hash"]),
        (LoginSucceeded(**BASE, client_address="203.0.113.7"), ["client_address"]),
        (LoginFailed(**BASE, client_address="203.0.113.7"), ["client_address"]),
    ],
    ids=lambda v: getattr(v, "TOPIC", ""),
)
def test_personal_fields_are_left_out(event: DomainEvent, hidden: list[str]) -> None:
    message = _message(event)
    assert message["type"] == type(event).__name__
    assert message["data"] == {}
    for name in hidden:
        assert str(getattr(event, name)) not in msgspec.json.encode(message).decode()


@pytest.mark.parametrize("event_type", [SessionStarted, SessionRefreshed])
def test_token_hashes_are_left_out(event_type: type[SessionStarted] | type[SessionRefreshed]) -> None:
    event = event_type(**BASE, family_id=FAMILY, token_hash="5e3cret4a5h", expires_at=AT + timedelta(days=7))
    message = _message(event)
    assert message["data"] == {"family_id": str(FAMILY), "expires_at": "2025-01-13T09:30:00Z"}


def test_public_facts_are_published_in_full() -> None:
    revoked = _message(SessionRevoked(**BASE, family_id=FAMILY, reason="logout"))
    preferences = _message(
        PreferencesChanged(**BASE, base_currency="EUR", default_interval="1d", timezone="Europe/Paris", theme="dark")
    )
    deleted = _message(UserDeleted(**BASE))
    assert revoked["data"] == {"family_id": str(FAMILY), "reason": "logout"}
    assert preferences["data"] == {
        "base_currency": "EUR",
        "default_interval": "1d",
        "timezone": "Europe/Paris",
        "theme": "dark",
    }
    assert (deleted["type"], deleted["data"]) == ("UserDeleted", {})


@pytest.mark.parametrize("event_type", [EmailClaimed, EmailReleased])
def test_email_claims_are_not_published(event_type: type[EmailClaimed] | type[EmailReleased]) -> None:
    assert users_route(RecordedEvent(1, event_type(**BASE, user_id=USER))) is None


def test_events_of_other_contexts_are_not_published() -> None:
    assert users_route(RecordedEvent(1, PortfolioOpened(**BASE, name="Long term"))) is None
