"""EventStore on an eventsourcing ApplicationRecorder; the library is synchronous, so calls run on threads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from anyio import CapacityLimiter, to_thread
from eventsourcing.persistence import ApplicationRecorder, IntegrityError
from opentelemetry import trace

from adapters.eventsourcing.mapper import EventMapper
from application.ports.event_store import RecordedEvent
from domain.shared.errors import ConcurrencyConflict
from domain.shared.events import DomainEvent

T = TypeVar("T")


class RecorderEventStore:
    """The EventStore port on a library recorder.

    `inline=True` runs recorder calls on the event loop instead of a worker thread. That is for the
    embedded SQLite file: its calls take 100-300 us, while handing a call to a thread and back costs
    about 90 us on a 2-core machine, and SQLite serialises writers anyway. Over a network (PostgreSQL)
    calls wait on I/O, so they always go to threads.
    """

    def __init__(
        self,
        recorder: ApplicationRecorder,
        mapper: EventMapper,
        threads: int = 8,
        tracer: trace.Tracer | None = None,
        on_appended: Callable[[int], None] = lambda _count: None,
        inline: bool = False,
    ) -> None:
        self._on_appended = on_appended
        self.recorder = recorder
        self._mapper = mapper
        # Bounded to the connection pool size, so threads never queue for a connection inside the library.
        self._limiter = CapacityLimiter(threads)
        self._tracer = tracer or trace.NoOpTracer()
        self._inline = inline

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        if self._inline:
            return function(*args)
        return await to_thread.run_sync(function, *args, limiter=self._limiter)

    async def append(self, events: Sequence[DomainEvent]) -> int:
        with self._tracer.start_as_current_span("eventstore.append") as span:
            span.set_attribute("eventstore.events", len(events))
            return await self._call(self._append, events)

    def _append(self, events: Sequence[DomainEvent]) -> int:
        stored = [self._mapper.to_stored(event) for event in events]
        try:
            ids = self.recorder.insert_events(stored)
        except IntegrityError:
            raise ConcurrencyConflict(
                "The data changed while this request was processed; reload and try again."
            ) from None
        assert ids, "an application recorder returns the notification ids it assigned"
        self._on_appended(len(stored))
        return ids[-1]

    async def load(self, stream_id: UUID, *, up_to_version: int | None = None) -> list[DomainEvent]:
        with self._tracer.start_as_current_span("eventstore.load") as span:
            span.set_attribute("eventstore.stream_id", str(stream_id))
            return await self._call(self._load, stream_id, up_to_version)

    def _load(self, stream_id: UUID, up_to_version: int | None) -> list[DomainEvent]:
        return [self._mapper.to_event(stored) for stored in self.recorder.select_events(stream_id, lte=up_to_version)]

    async def read(self, *, after: int, limit: int) -> list[RecordedEvent]:
        with self._tracer.start_as_current_span("eventstore.read"):
            return await self._call(self._read, after, limit)

    def _read(self, after: int, limit: int) -> list[RecordedEvent]:
        notifications = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [RecordedEvent(n.id, self._mapper.to_event(n)) for n in notifications]

    async def last_notification_id(self) -> int:
        return await self._call(self._last)

    def _last(self) -> int:
        return self.recorder.max_notification_id() or 0
