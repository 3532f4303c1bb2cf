"""Domain events: frozen msgspec Structs with stable, versioned topics, and the registry that maps them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec


class DomainEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something that happened to one stream (aggregate) at one version.

    `TOPIC` is the stored name of the event type. It is never renamed: a new shape gets a new topic
    (`...v2`) and the old one is upcast on read. `PERSONAL_FIELDS` name the string fields that hold
    personal data; the event store encrypts them with a key per data subject (crypto-shredding).
    """

    TOPIC: ClassVar[str]
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ()

    stream_id: UUID
    version: int
    occurred_at: datetime


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownTopic(LookupError):
    """A stored topic that no registered event type or upcaster knows."""


class EventRegistry:
    """Maps stored topics to event types, upcasting older versions to the current type on read.

    An upcaster turns the stored state of an old topic into the state of the next topic; chains of
    upcasters (v1 -> v2 -> v3) are followed until a registered type is reached.
    """

    def __init__(
        self,
        event_types: Iterable[type[DomainEvent]] = (),
        upcasters: Mapping[str, tuple[str, Upcaster]] | None = None,
    ) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = dict(upcasters or {})
        for event_type in event_types:
            self.register(event_type)

    def register(self, event_type: type[DomainEvent]) -> None:
        topic = event_type.TOPIC
        if self._types.get(topic, event_type) is not event_type:
            raise ValueError(f"topic {topic!r} is already registered to another event type")
        self._types[topic] = event_type

    def add_upcaster(self, old_topic: str, new_topic: str, upcaster: Upcaster) -> None:
        self._upcasters[old_topic] = (new_topic, upcaster)

    def merged(self, other: EventRegistry) -> EventRegistry:
        merged = EventRegistry(self._types.values(), self._upcasters)
        for event_type in other._types.values():
            merged.register(event_type)
        merged._upcasters.update(other._upcasters)
        return merged

    def type_for(self, topic: str) -> type[DomainEvent]:
        try:
            return self._types[topic]
        except KeyError:
            raise UnknownTopic(topic) from None

    def upcast(self, topic: str, state: dict[str, Any]) -> tuple[type[DomainEvent], dict[str, Any]]:
        """Follow upcasters from `topic` until a registered type is reached."""
        seen = set()
        while topic not in self._types:
            if topic in seen or topic not in self._upcasters:
                raise UnknownTopic(topic)
            seen.add(topic)
            topic, upcaster = self._upcasters[topic]
            state = upcaster(state)
        return self._types[topic], state

    def topics(self) -> list[str]:
        return sorted(self._types)
