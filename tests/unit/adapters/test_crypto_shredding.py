from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.field_cipher import CorruptPersonalData, FieldCipher
from adapters.security.key_vault import MemoryKeyVault, SubjectKeyVault
from domain.shared.personal_data import ERASED
from domain.users.events import USER_EVENTS, LoginFailed, ProfileChanged, UserRegistered

AT = datetime(2025, 1, 6, tzinfo=UTC)
EMAIL = "ann.lee@example.com"
NAME = "Ann Lee"
PASSWORD_HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


def _registered(user_id: UUID) -> UserRegistered:
    return UserRegistered(
        stream_id=user_id,
        version=1,
        occurred_at=AT,
        email=EMAIL,
        display_name=NAME,
        password_hash=PASSWORD_HASH,
        role="user",
    )


class SharedKeyVault(SubjectKeyVault):
    """Gives every subject the same key, so only the authenticated subject id tells them apart."""

    def __init__(self) -> None:
        super().__init__(b"m" * 32)
        self._key = b"k" * 32

    def key_for(self, subject_id: UUID) -> bytes | None:
        return self._key

    def _load(self, subject_id: UUID) -> bytes | None:
        raise NotImplementedError

    def _insert_if_absent(self, subject_id: UUID, wrapped: bytes) -> None:
        raise NotImplementedError

    def _delete(self, subject_id: UUID) -> None:
        raise NotImplementedError


@pytest.fixture
def ann(vault: MemoryKeyVault) -> UUID:
    user_id = uuid4()
    vault.create_key_sync(user_id)
    return user_id


class TestSealing:
    def test_personal_fields_are_not_stored_in_plaintext(self, mapper: EventMapper, ann: UUID) -> None:
        stored = mapper.to_stored(_registered(ann))
        for secret in (EMAIL, NAME, PASSWORD_HASH, "ann.lee"):
            assert secret.encode() not in stored.state
        assert b'"role":"user"' in stored.state

    def test_a_client_address_is_not_stored_in_plaintext(self, mapper: EventMapper, ann: UUID) -> None:
        stored = mapper.to_stored(LoginFailed(stream_id=ann, version=2, occurred_at=AT, client_address="203.0.113.7"))
        assert b"203.0.113" not in stored.state

    def test_sealing_the_same_value_twice_gives_different_ciphertexts(self, mapper: EventMapper, ann: UUID) -> None:
        assert mapper.to_stored(_registered(ann)).state != mapper.to_stored(_registered(ann)).state

    def test_personal_fields_read_back_while_the_key_lives(self, mapper: EventMapper, ann: UUID) -> None:
        assert mapper.to_event(mapper.to_stored(_registered(ann))) == _registered(ann)

    def test_absent_optional_fields_stay_absent(self, mapper: EventMapper, ann: UUID) -> None:
        event = ProfileChanged(stream_id=ann, version=2, occurred_at=AT, email=None, display_name="Ann B.")
        assert mapper.to_event(mapper.to_stored(event)) == event

    def test_an_empty_personal_value_reads_back_empty_while_the_key_lives(self, mapper: EventMapper, ann: UUID) -> None:
        event = LoginFailed(stream_id=ann, version=2, occurred_at=AT, client_address="")
        assert mapper.to_event(mapper.to_stored(event)).client_address == ""

    def test_personal_data_cannot_be_written_before_the_subject_has_a_key(self, mapper: EventMapper) -> None:
        with pytest.raises(LookupError, match="no data key"):
            mapper.to_stored(_registered(uuid4()))


class TestShredding:
    def test_shredded_personal_fields_read_as_erased(
        self, mapper: EventMapper, vault: MemoryKeyVault, ann: UUID
    ) -> None:
        stored = mapper.to_stored(_registered(ann))
        assert mapper.to_event(stored) == _registered(ann)  # the key is now cached

        vault.shred_sync(ann)

        event = mapper.to_event(stored)
        assert isinstance(event, UserRegistered)
        assert (event.email, event.display_name, event.password_hash) == (ERASED, ERASED, ERASED)
        assert (event.stream_id, event.version, event.role) == (ann, 1, "user")

    def test_shredding_one_subject_leaves_the_others_readable(
        self, mapper: EventMapper, vault: MemoryKeyVault, ann: UUID
    ) -> None:
        bob = uuid4()
        vault.create_key_sync(bob)
        stored_bob = mapper.to_stored(_registered(bob))
        vault.shred_sync(ann)
        assert mapper.to_event(stored_bob) == _registered(bob)

    def test_a_shredded_key_does_not_come_back_from_another_mapper(
        self, mapper: EventMapper, vault: MemoryKeyVault, ann: UUID
    ) -> None:
        stored = mapper.to_stored(_registered(ann))
        vault.shred_sync(ann)
        fresh = EventMapper(USER_EVENTS, FieldCipher(vault))
        assert fresh.to_event(stored).email == ERASED

    async def test_the_event_store_serves_erased_fields_after_shredding(
        self, store: RecorderEventStore, vault: MemoryKeyVault, ann: UUID
    ) -> None:
        await store.append([_registered(ann)])
        await vault.shred(ann)
        [event] = await store.load(ann)
        assert event.email == ERASED
        [raw] = store.recorder.select_events(ann)
        assert EMAIL.encode() not in raw.state


class TestSubjectBinding:
    """A sealed field opens only for its own subject: anything else is corruption, not erasure."""

    def _moved(self, stored: StoredEvent, to: UUID) -> StoredEvent:
        state = msgspec.json.decode(stored.state)
        state["stream_id"] = str(to)
        return StoredEvent(originator_id=to, originator_version=1, topic=stored.topic, state=msgspec.json.encode(state))

    def test_a_field_moved_to_another_subjects_event_does_not_decrypt(
        self, mapper: EventMapper, vault: MemoryKeyVault, ann: UUID
    ) -> None:
        mallory = uuid4()
        vault.create_key_sync(mallory)
        with pytest.raises(CorruptPersonalData):
            mapper.to_event(self._moved(mapper.to_stored(_registered(ann)), mallory))

    def test_the_subject_id_is_authenticated_even_under_one_shared_key(self) -> None:
        mapper = EventMapper(USER_EVENTS, FieldCipher(SharedKeyVault()))
        ann, mallory = uuid4(), uuid4()
        stored = mapper.to_stored(_registered(ann))
        assert mapper.to_event(stored).email == EMAIL
        with pytest.raises(CorruptPersonalData):
            mapper.to_event(self._moved(stored, mallory))

    def test_the_cipher_refuses_a_ciphertext_under_another_subject(self) -> None:
        cipher = FieldCipher(SharedKeyVault())
        ann, mallory = uuid4(), uuid4()
        sealed = cipher.encrypt(ann, EMAIL)
        assert cipher.decrypt(ann, sealed) == EMAIL
        with pytest.raises(CorruptPersonalData):
            cipher.decrypt(mallory, sealed)

    def test_a_tampered_ciphertext_does_not_decrypt(self, cipher: FieldCipher, ann: UUID) -> None:
        prefix, _, body = cipher.encrypt(ann, EMAIL).partition(":")
        raw = bytearray(base64.urlsafe_b64decode(body))
        raw[20] ^= 0x01
        tampered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
        with pytest.raises(CorruptPersonalData):
            cipher.decrypt(ann, tampered)
