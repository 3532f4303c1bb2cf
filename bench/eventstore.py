"""Events appended and replayed per second: our event store against the bare eventsourcing recorder.

Ours: `RecorderEventStore` (async, on worker threads) with `EventMapper(USER_EVENTS, FieldCipher(MemoryKeyVault))`,
appending `PreferencesChanged` domain events and loading them back as Structs. Bare: the same recorder class
(a second recorder on the same database), `insert_events` of pre-built `StoredEvent`s whose state is equivalent
JSON bytes, and `select_events` returning `StoredEvent`s. Both sides call one at a time; the difference is what
our adapter costs (mapping, the thread hop, tracing, error translation).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.recorders import postgres_recorder, sqlite_recorder
from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.field_cipher import FieldCipher
from adapters.security.key_vault import MemoryKeyVault
from bench._common import (
    best_of_interleaved,
    calibrate,
    figure,
    note,
    peak_rss_mib,
    reset_peak_rss,
    say,
    timed_rate,
)
from domain.users.events import USER_EVENTS, PreferencesChanged

TARGET = 0.70
BATCH = 100
STREAM_LENGTH = 50
SECONDS_PER_RUN = 0.25
OCCURRED_AT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PREFERENCES = {"base_currency": "EUR", "default_interval": "1h", "timezone": "Europe/Berlin", "theme": "dark"}


def domain_event(stream_id: uuid.UUID, version: int) -> PreferencesChanged:
    return PreferencesChanged(stream_id=stream_id, version=version, occurred_at=OCCURRED_AT, **PREFERENCES)


def bare_stored(stream_id: uuid.UUID, version: int) -> StoredEvent:
    """What the bare recorder stores: the same event as JSON bytes, built without our mapper."""
    state = {"stream_id": str(stream_id), "version": version, "occurred_at": OCCURRED_AT.isoformat(), **PREFERENCES}
    return StoredEvent(
        originator_id=stream_id,
        originator_version=version,
        topic=PreferencesChanged.TOPIC,
        state=json.dumps(state, separators=(",", ":")).encode(),
    )


def _batches(calls: int, per_call: int, make: Callable[[uuid.UUID, int], object]) -> list[list]:
    """`calls` lists of `per_call` events, each list on a new stream (versions 1..per_call)."""
    batches = []
    for _ in range(calls):
        stream_id = uuid.uuid4()
        batches.append([make(stream_id, version) for version in range(1, per_call + 1)])
    return batches


class Bench:
    def __init__(self, backend: str, ours_recorder: ApplicationRecorder, bare_recorder: ApplicationRecorder) -> None:
        self.backend = backend
        self.bare_recorder = bare_recorder
        self.loop = asyncio.Runner()
        self.store = self.loop.run(self._build_store(ours_recorder, inline=backend == "sqlite"))

    @staticmethod
    async def _build_store(recorder: ApplicationRecorder, inline: bool) -> RecorderEventStore:
        # Configured as bootstrap configures it: the embedded SQLite store runs inline on the loop,
        # PostgreSQL calls go to worker threads.
        mapper = EventMapper(USER_EVENTS, FieldCipher(MemoryKeyVault(os.urandom(32))))
        return RecorderEventStore(recorder, mapper, inline=inline)

    def close(self) -> None:
        self.loop.close()

    # --- one side, one run -----------------------------------------------------------------------

    def ours_append(self, batches: Sequence[Sequence[PreferencesChanged]]) -> float:
        async def run() -> float:
            return await _async_rate(sum(map(len, batches)), lambda: _append_all(self.store, batches))

        return self.loop.run(run())

    def bare_append(self, batches: Sequence[Sequence[StoredEvent]]) -> float:
        insert = self.bare_recorder.insert_events

        def run() -> None:
            for batch in batches:
                insert(batch)

        return timed_rate(sum(map(len, batches)), run)

    def ours_replay(self, stream_ids: Sequence[uuid.UUID]) -> float:
        async def run() -> float:
            return await _async_rate(len(stream_ids) * STREAM_LENGTH, lambda: _load_all(self.store, stream_ids))

        return self.loop.run(run())

    def bare_replay(self, stream_ids: Sequence[uuid.UUID]) -> float:
        select = self.bare_recorder.select_events

        def run() -> None:
            for stream_id in stream_ids:
                events = select(stream_id)
                assert len(events) == STREAM_LENGTH

        return timed_rate(len(stream_ids) * STREAM_LENGTH, run)

    # --- figures ---------------------------------------------------------------------------------

    def append_figure(self, per_call: int, label: str) -> None:
        reset_peak_rss()
        # Calibrate on the bare side so that each run takes about SECONDS_PER_RUN.
        probe = 50 if per_call == 1 else 5
        rate = self.bare_append(_batches(probe, per_call, bare_stored))
        self.ours_append(_batches(probe, per_call, domain_event))  # warm-up: decoders, threads, connections
        calls = calibrate(rate / per_call, SECONDS_PER_RUN, 20 if per_call > 1 else 200, 20_000)

        def ours() -> float:
            return self.ours_append(_batches(calls, per_call, domain_event))

        def bare() -> float:
            return self.bare_append(_batches(calls, per_call, bare_stored))

        ours_rate, bare_rate = best_of_interleaved(ours, bare)
        figure(
            f"eventstore.{self.backend}.append.{label}",
            ours_rate,
            bare_rate,
            "ev/s",
            TARGET,
            f"peak_rss={peak_rss_mib():.0f} MiB",
            f"[{calls} calls x {per_call} ev]",
        )

    def replay_figure(self) -> None:
        reset_peak_rss()
        rate = 0.0
        # Streams written once through the bare recorder; both sides then read the very same rows.
        streams: list[uuid.UUID] = []
        for batch in _batches(40, STREAM_LENGTH, bare_stored):
            self.bare_recorder.insert_events(batch)
            streams.append(batch[0].originator_id)
        rate = self.bare_replay(streams)
        self.ours_replay(streams)
        loads = calibrate(rate / STREAM_LENGTH, SECONDS_PER_RUN, 40, 20_000)
        while len(streams) < min(loads, 400):
            for batch in _batches(40, STREAM_LENGTH, bare_stored):
                self.bare_recorder.insert_events(batch)
                streams.append(batch[0].originator_id)
        schedule = [streams[index % len(streams)] for index in range(loads)]
        ours_rate, bare_rate = best_of_interleaved(
            lambda: self.ours_replay(schedule),
            lambda: self.bare_replay(schedule),
        )
        figure(
            f"eventstore.{self.backend}.replay",
            ours_rate,
            bare_rate,
            "ev/s",
            TARGET,
            f"peak_rss={peak_rss_mib():.0f} MiB",
            f"[{loads} loads x {STREAM_LENGTH} ev, {len(streams)} streams]",
        )

    def run(self) -> None:
        self.append_figure(1, "single")
        self.append_figure(BATCH, f"batch{BATCH}")
        self.replay_figure()


async def _async_rate(count: int, run: Callable[[], object]) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await run()  # type: ignore[misc]
    return count / (loop.time() - started)


async def _append_all(store: RecorderEventStore, batches: Sequence[Sequence[PreferencesChanged]]) -> None:
    for batch in batches:
        await store.append(batch)


async def _load_all(store: RecorderEventStore, stream_ids: Sequence[uuid.UUID]) -> None:
    for stream_id in stream_ids:
        events = await store.load(stream_id)
        assert len(events) == STREAM_LENGTH


def breakdown() -> None:
    """What our adapter adds per call and per event, measured on its own (no database)."""
    from anyio import CapacityLimiter, to_thread
    from opentelemetry import trace

    mapper = EventMapper(USER_EVENTS, FieldCipher(MemoryKeyVault(os.urandom(32))))
    count = 3000
    events = [domain_event(uuid.uuid4(), 1) for _ in range(count)]

    def micros(run: Callable[[], object], calls: int = count) -> float:
        started = time.perf_counter()
        run()
        return (time.perf_counter() - started) / calls * 1e6

    async def hops() -> float:
        limiter = CapacityLimiter(8)
        started = time.perf_counter()
        for _ in range(count):
            await to_thread.run_sync(_nothing, limiter=limiter)
        return (time.perf_counter() - started) / count * 1e6

    def spans() -> None:
        tracer = trace.NoOpTracer()
        for _ in range(count):
            with tracer.start_as_current_span("eventstore.append") as span:
                span.set_attribute("eventstore.events", 1)

    hop = min(asyncio.run(hops()) for _ in range(3))
    stored = [mapper.to_stored(event) for event in events]
    encode = min(micros(lambda: [mapper.to_stored(event) for event in events]) for _ in range(3))
    decode = min(micros(lambda: [mapper.to_event(item) for item in stored]) for _ in range(3))
    span = min(micros(spans) for _ in range(3))
    note(
        f"our overhead, measured alone: thread hop (anyio.to_thread) {hop:.0f} us/call, "
        f"tracing span (no-op tracer) {span:.1f} us/call, mapper to_stored {encode:.1f} us/event, "
        f"to_event {decode:.1f} us/event"
    )


def _nothing() -> None:
    return None


def sqlite() -> None:
    with tempfile.TemporaryDirectory(prefix="cap-bench-") as folder:
        path = str(Path(folder) / "events.sqlite")
        bench = Bench("sqlite", sqlite_recorder(path), sqlite_recorder(path))
        try:
            bench.run()
        finally:
            bench.close()


def postgres() -> None:
    admin_dsn = os.environ.get("CAP_TEST_POSTGRES_DSN", "")
    if not admin_dsn:
        note("eventstore.postgres: skipped, CAP_TEST_POSTGRES_DSN is not set")
        return
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        note(f"eventstore.postgres: skipped, PostgreSQL is not reachable ({str(error).strip()[:80]})")
        return
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))
    ours_recorder = bare_recorder = None
    try:
        ours_recorder = postgres_recorder(dsn)
        bare_recorder = postgres_recorder(dsn)
        bench = Bench("postgres", ours_recorder, bare_recorder)
        try:
            bench.run()
        finally:
            bench.close()
    finally:
        for recorder in (ours_recorder, bare_recorder):
            if recorder is not None:
                recorder.datastore.close()  # type: ignore[attr-defined]
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    say("== event store: ours (RecorderEventStore + EventMapper) vs bare eventsourcing recorder ==")
    note(
        "one call at a time on both sides; single = 1 event per append on a new stream; "
        f"batch{BATCH} = {BATCH} events per append on a new stream; replay = load a {STREAM_LENGTH}-event stream"
    )
    note("best of 5 interleaved rounds; events: users.PreferencesChanged.v2 (no personal fields)")
    sqlite()
    postgres()
    breakdown()


if __name__ == "__main__":
    main()
