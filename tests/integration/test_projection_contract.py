"""The projected users view and consumer positions, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import create_tables, create_views_engine
from adapters.sqlalchemy.positions import SqlPositionStore
from adapters.sqlalchemy.users_view import SqlUserReadModel, UsersProjection
from adapters.sqlite.users_view_reader import SqliteUserReadModel
from application.ports.event_store import RecordedEvent
from application.ports.read_models import UserReadModel, UserView
from domain.users.preferences import Preferences

from .support import EPOCH, UserStream, recorded

pytestmark = pytest.mark.integration


# "sqlite-direct" reads the SQLite view through the embedded mode's direct reader (with its cache).
@pytest.fixture(params=["sqlite", "sqlite-direct", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite'}"
    else:
        url = request.getfixturevalue("fresh_database").replace("postgresql://", "postgresql+asyncpg://", 1)
    built = create_views_engine(url, pool_size=4)
    try:
        await create_tables(built)
        yield built
    finally:
        await built.dispose()


@pytest.fixture
def read_model(request: pytest.FixtureRequest, engine: AsyncEngine, tmp_path: Path) -> Iterator[UserReadModel]:
    if request.node.callspec.params["engine"] != "sqlite-direct":
        yield SqlUserReadModel(engine)
        return
    direct = SqliteUserReadModel(str(tmp_path / "views.sqlite"))
    yield direct
    direct.close()


class ExplodingUsersProjection(UsersProjection):
    """The users projection with a handler that fails at one notification."""

    def __init__(self, engine: AsyncEngine, fail_at: int) -> None:
        super().__init__(engine)
        self._fail_at = fail_at

    async def _handle(self, conn: AsyncConnection, recorded_event: RecordedEvent) -> None:
        if recorded_event.notification_id == self._fail_at:
            raise RuntimeError("handler failed")
        await super()._handle(conn, recorded_event)


def expected_view(user: UserStream, *, created_version: int = 1, prefs: Preferences | None = None) -> UserView:
    """The view of `user` as its builder stands now (its last event set `updated_at`)."""
    prefs = prefs or Preferences()
    return UserView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role="user",
        created_at=EPOCH + timedelta(minutes=created_version),
        updated_at=EPOCH + timedelta(minutes=user.version),
        base_currency=prefs.base_currency,
        default_interval=prefs.default_interval,
        timezone=prefs.timezone,
        theme=prefs.theme,
    )


async def _views(read_model: UserReadModel, *ids: UUID) -> list[UserView | None]:
    return [await read_model.get(user_id) for user_id in ids]


async def _batches(*batches: Sequence[RecordedEvent]) -> AsyncIterator[Sequence[RecordedEvent]]:
    for batch in batches:
        yield batch


DARK = Preferences(base_currency="EUR", default_interval="4h", timezone="Europe/Berlin", theme="dark")


class TestApplying:
    async def test_builds_the_view_from_events(self, engine: AsyncEngine, read_model: UserReadModel) -> None:
        alice, bob = UserStream("alice"), UserStream("bob")
        events = recorded(
            [
                alice.registered(),
                bob.registered(),
                alice.preferences_changed(),
                alice.profile_changed(display_name="Al"),
            ]
        )
        projection = UsersProjection(engine)

        position = await projection.apply(events)

        assert position == 4
        assert await projection.position() == 4
        assert await _views(read_model, alice.id, bob.id) == [expected_view(alice, prefs=DARK), expected_view(bob)]

    async def test_an_unknown_user_has_no_view(self, engine: AsyncEngine, read_model: UserReadModel) -> None:
        await UsersProjection(engine).apply(recorded([UserStream().registered()]))

        assert await read_model.get(UserStream().id) is None

    async def test_a_changed_email_replaces_the_old_one(self, engine: AsyncEngine, read_model: UserReadModel) -> None:
        alice = UserStream("alice")
        events = recorded([alice.registered(), alice.profile_changed(email="alice@new.example.org")])

        await UsersProjection(engine).apply(events)

        view = await read_model.get(alice.id)
        assert view is not None
        assert (view.email, view.display_name) == ("alice@new.example.org", alice.display_name)

    async def test_a_deleted_user_leaves_the_view(self, engine: AsyncEngine, read_model: UserReadModel) -> None:
        alice, bob = UserStream("alice"), UserStream("bob")
        projection = UsersProjection(engine)
        await projection.apply(recorded([alice.registered(), bob.registered()]))

        await projection.apply(recorded([alice.deleted()], first_id=3))

        assert await _views(read_model, alice.id, bob.id) == [None, expected_view(bob)]
        assert await projection.position() == 3

    async def test_redelivered_events_change_nothing(self, engine: AsyncEngine, read_model: UserReadModel) -> None:
        alice = UserStream("alice")
        events = recorded([alice.registered(), alice.preferences_changed()])
        projection = UsersProjection(engine)
        await projection.apply(events)

        # Re-registering would reset the preferences if the old event were applied again.
        assert await projection.apply(events[:1]) == 2
        assert await projection.apply(events) == 2

        assert await read_model.get(alice.id) == expected_view(alice, prefs=DARK)
        assert await projection.position() == 2

    async def test_a_view_read_before_a_change_is_not_served_after_it(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice = UserStream("alice")
        projection = UsersProjection(engine)
        await projection.apply(recorded([alice.registered()]))
        assert await read_model.get(alice.id) == expected_view(alice)

        await projection.apply(recorded([alice.profile_changed(display_name="Alice B.")], first_id=2))

        renamed = await read_model.get(alice.id)
        assert renamed == expected_view(alice)
        assert renamed is not None
        assert renamed.display_name == "Alice B."

    async def test_a_restarted_projection_continues_from_its_stored_position(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice = UserStream("alice")
        registered, preferences = recorded([alice.registered(), alice.preferences_changed()])
        await UsersProjection(engine).apply([registered, preferences])

        restarted = UsersProjection(engine)
        renamed = recorded([alice.profile_changed(display_name="Alice B.")], first_id=3)
        position = await restarted.apply([registered, *renamed])

        assert position == 3
        assert await restarted.position() == 3
        assert await read_model.get(alice.id) == expected_view(alice, prefs=DARK)

    async def test_a_failing_handler_leaves_neither_rows_nor_position_behind(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice, bob = UserStream("alice"), UserStream("bob")
        events = recorded(
            [alice.registered(), bob.registered(), alice.preferences_changed(), bob.profile_changed(display_name="B")]
        )
        await UsersProjection(engine).apply(events[:1])

        with pytest.raises(RuntimeError, match="handler failed"):
            await ExplodingUsersProjection(engine, fail_at=4).apply(events)

        assert await UsersProjection(engine).position() == 1
        assert await _views(read_model, alice.id, bob.id) == [expected_view(alice.writer_at(1)), None]

        assert await UsersProjection(engine).apply(events) == 4
        assert await _views(read_model, alice.id, bob.id) == [expected_view(alice, prefs=DARK), expected_view(bob)]


class TestRebuilding:
    async def test_a_rebuild_from_zero_gives_the_same_view(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice, bob, carol = UserStream("alice"), UserStream("bob"), UserStream("carol")
        events = recorded(
            [
                alice.registered(),
                bob.registered(),
                carol.registered(),
                alice.preferences_changed(),
                bob.deleted(),
                carol.profile_changed(display_name="C"),
            ]
        )
        projection = UsersProjection(engine)
        await projection.apply(events)
        before = await _views(read_model, alice.id, bob.id, carol.id)
        progress: list[int] = []

        position = await projection.rebuild(_batches(events[:4], events[4:]), progress.append)

        assert position == 6
        assert progress == [4, 6]
        assert await projection.position() == 6
        assert await _views(read_model, alice.id, bob.id, carol.id) == before
        assert before == [expected_view(alice, prefs=DARK), None, expected_view(carol)]

    async def test_readers_see_the_complete_old_view_until_the_rebuild_is_done(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice, bob = UserStream("alice"), UserStream("bob")
        log = recorded(
            [
                alice.registered(),
                bob.registered(),
                alice.profile_changed(display_name="Old name"),
                alice.profile_changed(display_name="New name"),
                bob.deleted(),
            ]
        )
        projection = UsersProjection(engine)
        await projection.apply(log[:3])
        old = await _views(read_model, alice.id, bob.id)
        halfway, resume = asyncio.Event(), asyncio.Event()

        async def slow_batches() -> AsyncIterator[Sequence[RecordedEvent]]:
            yield log[:2]
            halfway.set()
            await resume.wait()
            yield log[2:]

        rebuilding = asyncio.create_task(projection.rebuild(slow_batches(), lambda _: None))
        try:
            await asyncio.wait_for(halfway.wait(), 10)
            during = await _views(read_model, alice.id, bob.id)
            position_during = await UsersProjection(engine).position()
        finally:
            resume.set()
            await asyncio.wait_for(rebuilding, 10)

        assert old[0] is not None
        assert old[0].display_name == "Old name"
        assert during == old
        assert position_during == 3
        assert await _views(read_model, alice.id, bob.id) == [expected_view(alice), None]
        assert await projection.position() == 5

    async def test_an_apply_racing_a_rebuild_neither_rewinds_the_position_nor_reapplies(
        self, engine: AsyncEngine, read_model: UserReadModel
    ) -> None:
        alice, bob = UserStream("alice"), UserStream("bob")
        log = recorded(
            [
                alice.registered(),
                bob.registered(),
                alice.profile_changed(display_name="New"),
                alice.profile_changed(display_name="Newest"),
            ]
        )
        await UsersProjection(engine).apply(log[:1])
        halfway, resume = asyncio.Event(), asyncio.Event()

        async def slow_batches() -> AsyncIterator[Sequence[RecordedEvent]]:
            yield log[:2]
            halfway.set()
            await resume.wait()
            yield log[2:]

        # The follower of a running API, while `cap projections rebuild` runs in another process.
        follower_engine = create_views_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
        reading_position = _signal_when_reading_position(follower_engine)
        rebuilding = asyncio.create_task(UsersProjection(engine).rebuild(slow_batches(), lambda _: None))
        try:
            await asyncio.wait_for(halfway.wait(), 10)
            # It read the log up to n3; the rebuild reads one more event (n4) before it finishes.
            following = asyncio.create_task(UsersProjection(follower_engine).apply(log[1:3]))
            await asyncio.wait_for(reading_position.wait(), 10)
            resume.set()
            await asyncio.wait_for(rebuilding, 10)
            await asyncio.wait_for(following, 10)
        finally:
            resume.set()
            await follower_engine.dispose()

        assert await UsersProjection(engine).position() == 4
        assert await read_model.get(alice.id) == expected_view(alice)


class TestPositionStore:
    async def test_an_unknown_consumer_starts_at_zero(self, engine: AsyncEngine) -> None:
        assert await SqlPositionStore(engine).get("relay:nothing") == 0

    async def test_keeps_the_last_position_of_each_consumer(self, engine: AsyncEngine) -> None:
        positions = SqlPositionStore(engine)
        await positions.set("relay:a", 10)
        await positions.set("relay:b", 3)
        await positions.set("relay:a", 25)

        restarted = SqlPositionStore(engine)
        assert (await restarted.get("relay:a"), await restarted.get("relay:b")) == (25, 3)

    async def test_a_projection_position_is_a_consumer_position(self, engine: AsyncEngine) -> None:
        await UsersProjection(engine).apply(recorded([UserStream().registered()], first_id=7))

        assert await SqlPositionStore(engine).get(UsersProjection.name) == 7


def _signal_when_reading_position(engine: AsyncEngine) -> asyncio.Event:
    """Set once a projection on `engine` has read its position, or is about to lock it to read it."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def _positions(statement: str) -> bool:
        return "consumer_positions" in statement

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # A locking statement may block here until the rebuild commits: waiting for it would deadlock.
        locking = statement.lstrip().upper().startswith("UPDATE") or "FOR UPDATE" in statement.upper()
        if _positions(statement) and locking:
            loop.call_soon_threadsafe(done.set)

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _positions(statement) and statement.lstrip().upper().startswith("SELECT"):
            loop.call_soon_threadsafe(done.set)

    return done
