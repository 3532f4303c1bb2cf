"""Maps msgspec domain events to the library's StoredEvent and back, with crypto-shredded personal fields.

The library's own Mapper works on `vars(event)` and rebuilds objects through `__dict__`, which slot-based
msgspec Structs do not have, so we map ourselves: the event as JSON (current topics decode straight into
their Struct), upcasting of old topics, and per-subject AES-GCM for the personal fields.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from adapters.security.field_cipher import FieldCipher
from domain.shared.events import DomainEvent, EventRegistry, UnknownTopic
from domain.shared.personal_data import ERASED


class EventMapper:
    def __init__(self, registry: EventRegistry, cipher: FieldCipher) -> None:
        self._registry = registry
        self._cipher = cipher
        self._encoder = msgspec.json.Encoder()
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}

    def to_stored(self, event: DomainEvent) -> StoredEvent:
        if event.PERSONAL_FIELDS:
            encrypted = {
                name: self._cipher.encrypt(event.stream_id, value)
                for name in event.PERSONAL_FIELDS
                if (value := getattr(event, name)) is not None
            }
            event = msgspec.structs.replace(event, **encrypted)
        return StoredEvent(
            originator_id=event.stream_id,
            originator_version=event.version,
            topic=event.TOPIC,
            state=self._encoder.encode(event),
        )

    def to_event(self, stored: StoredEvent) -> DomainEvent:
        decoder = self._decoders.get(stored.topic)
        if decoder is None:
            try:
                decoder = self._decoders[stored.topic] = msgspec.json.Decoder(self._registry.type_for(stored.topic))
            except UnknownTopic:
                return self._upcast(stored)
        event: DomainEvent = decoder.decode(stored.state)
        return self._decrypted(event) if event.PERSONAL_FIELDS else event

    def _upcast(self, stored: StoredEvent) -> DomainEvent:
        state: dict[str, Any] = msgspec.json.decode(stored.state)
        event_type, state = self._registry.upcast(stored.topic, state)
        state["stream_id"] = stored.originator_id
        state["version"] = stored.originator_version
        event = msgspec.convert(state, event_type)
        return self._decrypted(event) if event.PERSONAL_FIELDS else event

    def _decrypted(self, event: DomainEvent) -> DomainEvent:
        subject: UUID = event.stream_id
        plain = {}
        for name in event.PERSONAL_FIELDS:
            value = getattr(event, name)
            if value is not None:
                decrypted = self._cipher.decrypt(subject, value)
                plain[name] = ERASED if decrypted is None else decrypted
        return msgspec.structs.replace(event, **plain)
