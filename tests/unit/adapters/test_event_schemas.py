"""Stored event shapes are a contract with every byte already written: these tests pin them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.key_vault import MemoryKeyVault
from application.unit_of_work import UnitOfWork
from domain.shared.events import DomainEvent
from domain.users.events import (
    USER_EVENTS,
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
from domain.users.model import Role, User

USER = UUID("6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b")
FAMILY = UUID("0e9d8c7b-6a59-4847-b635-241302f1e0d9")
CLAIM = UUID("11111111-2222-5333-8444-555555555555")
AT = datetime(2025, 1, 6, 9, 30, 15, tzinfo=UTC)
EXPIRES = datetime(2025, 1, 13, 9, 30, 15, tzinfo=UTC)
HEAD = b'{"stream_id":"6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b","version":7,"occurred_at":"2025-01-06T09:30:15Z"'
CLAIM_HEAD = b'{"stream_id":"11111111-2222-5333-8444-555555555555","version":2,"occurred_at":"2025-01-06T09:30:15Z"'

PREFERENCES_V1 = (
    b'{"stream_id":"6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b","version":2,"occurred_at":"2021-06-01T12:00:00Z",'
    b'"base_currency":"EUR","default_interval":"4h","timezone":"Europe/Berlin"}'
)

NON_PERSONAL: list[tuple[DomainEvent, bytes]] = [
    (
        SessionStarted(
            stream_id=USER, version=7, occurred_at=AT, family_id=FAMILY, token_hash="ab12", expires_at=EXPIRES
        ),
        HEAD + b',"family_id":"0e9d8c7b-6a59-4847-b635-241302f1e0d9","token_hash":"ab12",'
        b'"expires_at":"2025-01-13T09:30:15Z"}',
    ),
    (
        SessionRefreshed(
            stream_id=USER, version=7, occurred_at=AT, family_id=FAMILY, token_hash="cd34", expires_at=EXPIRES
        ),
        HEAD + b',"family_id":"0e9d8c7b-6a59-4847-b635-241302f1e0d9","token_hash":"cd34",'
        b'"expires_at":"2025-01-13T09:30:15Z"}',
    ),
    (
        SessionRevoked(stream_id=USER, version=7, occurred_at=AT, family_id=FAMILY, reason="logout"),
        HEAD + b',"family_id":"0e9d8c7b-6a59-4847-b635-241302f1e0d9","reason":"logout"}',
    ),
    (
        PreferencesChanged(
            stream_id=USER,
            version=7,
            occurred_at=AT,
            base_currency="EUR",
            default_interval="15m",
            timezone="Asia/Tokyo",
            theme="dark",
        ),
        HEAD + b',"base_currency":"EUR","default_interval":"15m","timezone":"Asia/Tokyo","theme":"dark"}',
    ),
    (UserDeleted(stream_id=USER, version=7, occurred_at=AT), HEAD + b"}"),
    (
        EmailClaimed(stream_id=CLAIM, version=2, occurred_at=AT, user_id=USER),
        CLAIM_HEAD + b',"user_id":"6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"}',
    ),
    (
        EmailReleased(stream_id=CLAIM, version=2, occurred_at=AT, user_id=USER),
        CLAIM_HEAD + b',"user_id":"6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"}',
    ),
]

# Personal fields are sealed with a random nonce; the golden shape shows each of them as "<sealed>".
PERSONAL: list[tuple[DomainEvent, bytes]] = [
    (
        UserRegistered(
            stream_id=USER,
            version=7,
            occurred_at=AT,
            email="ann@example.com",
            display_name="Ann",
            password_hash="$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA",
            role="user",
        ),
        HEAD + b',"email":"<sealed>","display_name":"<sealed>","password_hash":"<sealed>","role":"user"}',
    ),
    (
        ProfileChanged(stream_id=USER, version=7, occurred_at=AT, email=None, display_name="Ann B."),
        HEAD + b',"email":null,"display_name":"<sealed>"}',
    ),
    (
        PasswordRehashed(stream_id=USER, version=7, occurred_at=AT, password_hash="$argon2id$new"),
        HEAD + b',"password_hash":"<sealed>"}',
    ),
    (
        LoginSucceeded(stream_id=USER, version=7, occurred_at=AT, client_address="203.0.113.7"),
        HEAD + b',"client_address":"<sealed>"}',
    ),
    (
        LoginFailed(stream_id=USER, version=7, occurred_at=AT, client_address="203.0.113.7"),
        HEAD + b',"client_address":"<sealed>"}',
    ),
]


@pytest.fixture
def keyed_mapper(mapper: EventMapper, vault: MemoryKeyVault) -> EventMapper:
    vault.create_key_sync(USER)
    return mapper


def _sealed_shape(stored: StoredEvent, personal_fields: tuple[str, ...]) -> bytes:
    state = msgspec.json.decode(stored.state)
    for name in personal_fields:
        if state[name] is not None:
            assert state[name].startswith("enc1:"), f"{name} is not sealed"
            state[name] = "<sealed>"
    return msgspec.json.encode(state)


def test_every_current_topic_has_a_golden_shape() -> None:
    covered = sorted(event.TOPIC for event, _ in NON_PERSONAL + PERSONAL)
    assert covered == USER_EVENTS.topics()


@pytest.mark.parametrize(("event", "golden"), NON_PERSONAL, ids=lambda v: getattr(v, "TOPIC", ""))
def test_a_non_personal_event_is_stored_as_its_golden_bytes(
    keyed_mapper: EventMapper, event: DomainEvent, golden: bytes
) -> None:
    stored = keyed_mapper.to_stored(event)
    assert (stored.topic, stored.originator_id, stored.originator_version) == (
        event.TOPIC,
        event.stream_id,
        event.version,
    )
    assert stored.state == golden
    assert keyed_mapper.to_event(stored) == event


@pytest.mark.parametrize(("event", "golden"), PERSONAL, ids=lambda v: getattr(v, "TOPIC", ""))
def test_a_personal_event_is_stored_in_its_golden_shape(
    keyed_mapper: EventMapper, event: DomainEvent, golden: bytes
) -> None:
    stored = keyed_mapper.to_stored(event)
    assert stored.topic == event.TOPIC
    assert _sealed_shape(stored, event.PERSONAL_FIELDS) == golden
    assert keyed_mapper.to_event(stored) == event


class TestPreferencesChangedV1:
    def _stored_v1(self) -> StoredEvent:
        return StoredEvent(
            originator_id=USER, originator_version=2, topic="users.PreferencesChanged.v1", state=PREFERENCES_V1
        )

    def test_a_stored_v1_event_reads_as_the_current_type_with_the_light_theme(self, mapper: EventMapper) -> None:
        event = mapper.to_event(self._stored_v1())
        assert event == PreferencesChanged(
            stream_id=USER,
            version=2,
            occurred_at=datetime(2021, 6, 1, 12, tzinfo=UTC),
            base_currency="EUR",
            default_interval="4h",
            timezone="Europe/Berlin",
            theme="light",
        )

    def test_a_v1_event_is_read_the_same_way_twice(self, mapper: EventMapper) -> None:
        assert mapper.to_event(self._stored_v1()) == mapper.to_event(self._stored_v1())

    async def test_a_user_with_a_v1_event_in_its_stream_loads_with_upcast_preferences(
        self, keyed_mapper: EventMapper, store: RecorderEventStore
    ) -> None:
        registered = User.register(
            USER, email="ann@example.com", display_name="Ann", password_hash="h", role=Role.USER, at=AT
        ).collect_events()
        store.recorder.insert_events([keyed_mapper.to_stored(registered[0]), self._stored_v1()])

        user = await UnitOfWork(store).get(User, USER)

        assert user is not None
        assert user.version == 2
        assert (user.preferences.base_currency, user.preferences.theme) == ("EUR", "light")
        [_, recorded] = await store.read(after=0, limit=10)
        assert isinstance(recorded.event, PreferencesChanged)
        assert recorded.event.theme == "light"
