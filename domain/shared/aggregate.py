"""Event-sourced aggregate base: state changes only by applying events, which are kept until saved."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self
from uuid import UUID

from domain.shared.events import DomainEvent


class Aggregate:
    """An aggregate is the fold of its events.

    Subclasses implement `apply(event)` (usually a `match` on the event type). Command methods check
    the rules, then call `_trigger(EventType, at=..., **fields)`; the same `apply` runs again when the
    aggregate is rebuilt from its stream, so the rules never run on replay.
    """

    def __init__(self, id: UUID) -> None:
        self.id = id
        self.version = 0
        self._pending: list[DomainEvent] = []

    def apply(self, event: DomainEvent) -> None:
        raise NotImplementedError

    def _trigger(self, event_type: type[DomainEvent], **fields: Any) -> DomainEvent:
        event = event_type(stream_id=self.id, version=self.version + 1, **fields)
        self._mutate(event)
        self._pending.append(event)
        return event

    def _mutate(self, event: DomainEvent) -> None:
        if event.version != self.version + 1:
            raise ValueError(f"event version {event.version} does not follow {self.version} in {self.id}")
        self.apply(event)
        self.version = event.version

    @classmethod
    def replay(cls, id: UUID, events: Iterable[DomainEvent]) -> Self:
        aggregate = cls.__new__(cls)
        Aggregate.__init__(aggregate, id)
        aggregate._init_state()
        for event in events:
            aggregate._mutate(event)
        return aggregate

    def _init_state(self) -> None:
        """Set the empty state a stream starts from (before its first event)."""

    @property
    def pending_events(self) -> list[DomainEvent]:
        return list(self._pending)

    @property
    def original_version(self) -> int:
        """The version the aggregate had when loaded: what the store must still hold when we save."""
        return self.version - len(self._pending)

    def collect_events(self) -> list[DomainEvent]:
        events, self._pending = self._pending, []
        return events
