"""The EventStore contract, run against every recorder: in memory, a SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psycopg
import pytest
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from adapters.eventsourcing.key_vaults import PostgresKeyVault, SqliteKeyVault
from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.recorders import memory_recorder, postgres_recorder, sqlite_recorder
from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.field_cipher import FieldCipher
from adapters.security.key_vault import MemoryKeyVault, SubjectKeyVault
from domain.shared.errors import ConcurrencyConflict
from domain.shared.personal_data import ERASED
from domain.users.events import USER_EVENTS, PreferencesChanged, UserRegistered

from .support import UserStream, stream_versions

pytestmark = pytest.mark.integration


@dataclass
class Backend:
    name: str
    store: RecorderEventStore
    recorder: ApplicationRecorder
    vault: SubjectKeyVault
    mapper: EventMapper
    dsn: str = ""

    async def new_user(self, name: str = "") -> UserStream:
        """A user whose data key exists, as the registration use case creates it before appending."""
        user = UserStream(name)
        await self.vault.create_key(user.id)
        return user


def _build(name: str, request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> Backend:
    dsn = ""
    if name == "memory":
        recorder, vault = memory_recorder(), MemoryKeyVault(master_key)
    elif name == "sqlite":
        path = str(tmp_path / "events.sqlite")
        recorder, vault = sqlite_recorder(path), SqliteKeyVault(path, master_key)
    else:
        dsn = request.getfixturevalue("fresh_database")
        recorder, vault = postgres_recorder(dsn), PostgresKeyVault(dsn, master_key)
    mapper = EventMapper(USER_EVENTS, FieldCipher(vault))
    return Backend(name, RecorderEventStore(recorder, mapper), recorder, vault, mapper, dsn)


def _close(backend: Backend) -> None:
    backend.vault.close()
    datastore = getattr(backend.recorder, "datastore", None)
    if datastore is not None:
        datastore.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> Iterator[Backend]:
    built = _build(request.param, request, tmp_path, master_key)
    yield built
    _close(built)


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path, master_key: bytes) -> Iterator[Backend]:
    built = _build("postgres", request, tmp_path, master_key)
    yield built
    _close(built)


async def _whole_log(backend: Backend) -> list[int]:
    return [recorded.notification_id for recorded in await backend.store.read(after=0, limit=10_000)]


class TestAppendAndLoad:
    async def test_an_empty_store_has_no_last_notification(self, backend: Backend) -> None:
        assert await backend.store.last_notification_id() == 0
        assert await backend.store.read(after=0, limit=10) == []

    async def test_append_returns_increasing_notification_ids(self, backend: Backend) -> None:
        alice, bob = await backend.new_user("alice"), await backend.new_user("bob")

        first = await backend.store.append([alice.registered()])
        second = await backend.store.append([bob.registered()])
        third = await backend.store.append([alice.preferences_changed(), alice.profile_changed(display_name="Al")])

        assert 0 < first < second < third
        assert await backend.store.last_notification_id() == third

    async def test_loads_a_stream_in_version_order_with_personal_fields_readable(self, backend: Backend) -> None:
        alice, bob = await backend.new_user("alice"), await backend.new_user("bob")
        alice_events = [alice.registered()]
        await backend.store.append(alice_events[-1:])
        await backend.store.append([bob.registered()])
        alice_events += [alice.preferences_changed(), alice.profile_changed(email="new.alice@example.org")]
        await backend.store.append(alice_events[1:])
        await backend.store.append([bob.login_succeeded()])

        assert await backend.store.load(alice.id) == alice_events
        assert await backend.store.load(alice.id, up_to_version=2) == alice_events[:2]
        assert await backend.store.load(alice.id, up_to_version=1) == alice_events[:1]

    async def test_a_stream_never_appended_to_loads_empty(self, backend: Backend) -> None:
        nobody = UserStream()
        assert await backend.store.load(nobody.id) == []

    async def test_stores_personal_fields_encrypted(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        await backend.store.append([alice.registered(), alice.login_succeeded()])

        raw = b"".join(stored.state for stored in backend.recorder.select_events(alice.id))

        assert raw
        for value in alice.personal_values:
            assert value.encode() not in raw

    async def test_personal_fields_read_as_erased_once_the_key_is_shredded(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        registered = alice.registered()
        await backend.store.append([registered])

        await backend.vault.shred(alice.id)
        [loaded] = await backend.store.load(alice.id)

        assert isinstance(loaded, UserRegistered)
        assert (loaded.email, loaded.display_name, loaded.password_hash) == (ERASED, ERASED, ERASED)
        assert (loaded.role, loaded.occurred_at) == (registered.role, registered.occurred_at)


class TestOptimisticConcurrency:
    async def test_rejects_a_version_that_already_exists_and_stores_nothing_of_the_batch(
        self, backend: Backend
    ) -> None:
        alice = await backend.new_user("alice")
        original = [alice.registered(), alice.preferences_changed()]
        await backend.store.append(original)
        before = await _whole_log(backend)
        last = await backend.store.last_notification_id()

        # Version 3 is new, but version 1 already exists: the whole batch must fail.
        fresh = alice.profile_changed(display_name="Fresh")
        with pytest.raises(ConcurrencyConflict):
            await backend.store.append([fresh, alice.writer_at(0).registered()])

        assert await backend.store.load(alice.id) == original
        assert await _whole_log(backend) == before
        assert await backend.store.last_notification_id() == last

    async def test_a_conflict_in_one_stream_rejects_the_other_streams_of_the_batch(self, backend: Backend) -> None:
        alice, bob = await backend.new_user("alice"), await backend.new_user("bob")
        await backend.store.append([alice.registered()])
        before = await _whole_log(backend)

        with pytest.raises(ConcurrencyConflict):
            await backend.store.append([bob.registered(), bob.preferences_changed(), alice.writer_at(0).registered()])

        assert await backend.store.load(bob.id) == []
        assert len(await backend.store.load(alice.id)) == 1
        assert await _whole_log(backend) == before

    async def test_appends_events_of_two_streams_together(self, backend: Backend) -> None:
        alice, bob = await backend.new_user("alice"), await backend.new_user("bob")
        batch = [alice.registered(), bob.registered(), alice.preferences_changed()]

        last = await backend.store.append(batch)

        log = await backend.store.read(after=0, limit=10)
        assert [recorded.event for recorded in log] == batch
        assert log[-1].notification_id == last
        assert await backend.store.load(bob.id) == [batch[1]]

    async def test_after_a_conflict_the_next_append_of_the_stream_succeeds(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        await backend.store.append([alice.registered()])
        with pytest.raises(ConcurrencyConflict):
            await backend.store.append([alice.writer_at(0).registered()])

        change = alice.preferences_changed()
        last = await backend.store.append([change])

        assert (await backend.store.load(alice.id))[-1] == change
        assert await backend.store.last_notification_id() == last

    async def test_exactly_one_of_concurrent_writers_of_the_same_version_wins(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        await backend.store.append([alice.registered()])
        candidates = [alice.writer_at(1).profile_changed(display_name=f"writer {n}") for n in range(6)]

        # Each append runs on its own worker thread of the store.
        outcomes = await asyncio.gather(*(backend.store.append([c]) for c in candidates), return_exceptions=True)

        winners = [c for c, outcome in zip(candidates, outcomes, strict=True) if isinstance(outcome, int)]
        losers = [outcome for outcome in outcomes if not isinstance(outcome, int)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(loser, ConcurrencyConflict) for loser in losers), losers
        assert (await backend.store.load(alice.id))[1:] == winners


class TestNotificationLog:
    async def test_pages_the_notification_log_in_append_order(self, backend: Backend) -> None:
        alice, bob = await backend.new_user("alice"), await backend.new_user("bob")
        appended = [alice.registered(), bob.registered()]
        await backend.store.append(appended[:1])
        await backend.store.append(appended[1:])
        more = [alice.preferences_changed(), bob.login_succeeded(), alice.profile_changed(display_name="A")]
        await backend.store.append(more[:2])
        await backend.store.append(more[2:])
        appended += more

        pages, position = [], 0
        while page := await backend.store.read(after=position, limit=2):
            pages.append(page)
            position = page[-1].notification_id

        assert [len(page) for page in pages] == [2, 2, 1]
        ids = [recorded.notification_id for page in pages for recorded in page]
        assert ids == sorted(set(ids))
        assert [recorded.event for page in pages for recorded in page] == appended
        assert position == await backend.store.last_notification_id()

    async def test_reading_after_an_id_excludes_that_id(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        await backend.store.append([alice.registered()])
        second = await backend.store.append([alice.preferences_changed()])
        first_id = (await backend.store.read(after=0, limit=1))[0].notification_id

        after_first = await backend.store.read(after=first_id, limit=10)

        assert [recorded.notification_id for recorded in after_first] == [second]
        assert await backend.store.read(after=second, limit=10) == []

    async def test_reads_a_v1_preferences_event_as_the_current_version(self, backend: Backend) -> None:
        alice = await backend.new_user("alice")
        await backend.store.append([alice.registered()])
        v1_state = {
            "stream_id": str(alice.id),
            "version": 2,
            "occurred_at": "2023-11-05T08:30:00+00:00",
            "base_currency": "GBP",
            "default_interval": "1d",
            "timezone": "Europe/London",
        }
        backend.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=alice.id,
                    originator_version=2,
                    topic="users.PreferencesChanged.v1",
                    state=msgspec.json.encode(v1_state),
                )
            ]
        )

        loaded = (await backend.store.load(alice.id))[-1]
        from_log = (await backend.store.read(after=0, limit=10))[-1].event

        assert isinstance(loaded, PreferencesChanged)
        assert loaded.TOPIC == "users.PreferencesChanged.v2"
        assert (loaded.stream_id, loaded.version) == (alice.id, 2)
        assert (loaded.base_currency, loaded.default_interval, loaded.timezone) == ("GBP", "1d", "Europe/London")
        assert loaded.theme == "light"
        assert loaded.occurred_at.isoformat() == "2023-11-05T08:30:00+00:00"
        assert from_log == loaded


class TestPostgresCommitOrder:
    """Tailing readers must never pass over an id that commits later (infra-ci.md, section 5)."""

    async def test_a_writer_waits_for_an_earlier_uncommitted_insert_so_readers_skip_nothing(
        self, postgres: Backend
    ) -> None:
        early, late = await postgres.new_user("early"), await postgres.new_user("late")
        with psycopg.connect(postgres.dsn) as held, psycopg.connect(postgres.dsn, autocommit=True) as monitor:
            # A transaction that took its notification id and has not committed yet.
            stored = postgres.mapper.to_stored(early.preferences_changed())
            held.execute(
                "INSERT INTO cap_events (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)",
                (stored.originator_id, stored.originator_version, stored.topic, stored.state),
            )
            appending = asyncio.create_task(postgres.store.append([late.preferences_changed()]))
            await _until_done_or_waiting_on_a_lock(appending, monitor)

            # A reader tails the log while the earlier insert is still open.
            seen = await postgres.store.read(after=0, limit=100)
            position = seen[-1].notification_id if seen else 0
            held.commit()
            await asyncio.wait_for(appending, 10)

        rest = await postgres.store.read(after=position, limit=100)
        tailed = [recorded.notification_id for recorded in [*seen, *rest]]
        assert tailed == await _whole_log(postgres)
        assert len(tailed) == 2

    async def test_concurrent_appenders_never_make_a_tailing_reader_skip_an_id(self, postgres: Backend) -> None:
        users = [await postgres.new_user(f"w{n}") for n in range(6)]
        for user in users:
            await postgres.store.append([user.registered()])
        writing = True
        tailed: list[int] = []

        async def write(user: UserStream) -> None:
            for _ in range(12):
                await postgres.store.append([user.login_succeeded(), user.preferences_changed()])

        async def tail() -> None:
            position = 0
            while True:
                done = not writing
                for recorded in await postgres.store.read(after=position, limit=50):
                    tailed.append(recorded.notification_id)
                    position = recorded.notification_id
                if done:
                    return
                await asyncio.sleep(0)

        reader = asyncio.create_task(tail())
        await asyncio.gather(*(write(user) for user in users))
        writing = False
        await asyncio.wait_for(reader, 10)

        assert tailed == await _whole_log(postgres)
        assert len(tailed) == 6 + 6 * 12 * 2
        for user in users:
            assert [version for _, version in stream_versions(await postgres.store.load(user.id))] == list(
                range(1, 2 + 12 * 2)
            )


async def _until_done_or_waiting_on_a_lock(task: asyncio.Task[int], monitor: psycopg.Connection) -> None:
    deadline = time.monotonic() + 10
    while not task.done():
        waiting = monitor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting and waiting[0] > 0:
            return
        assert time.monotonic() < deadline, "the append neither finished nor waited on a lock"
        await asyncio.sleep(0.01)
