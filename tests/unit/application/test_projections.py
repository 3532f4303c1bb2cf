from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from application.projections import Projections
from domain.users.events import EmailClaimed

from ..fakes import FakeView

AT = datetime(2025, 1, 6, tzinfo=UTC)


async def _append_claims(store: RecorderEventStore, count: int) -> int:
    events = [EmailClaimed(stream_id=uuid4(), version=1, occurred_at=AT, user_id=uuid4()) for _ in range(count)]
    return await store.append(events)


@pytest.fixture
def users_view() -> FakeView:
    return FakeView("users")


@pytest.fixture
def audit_view() -> FakeView:
    return FakeView("audit")


@pytest.fixture
def projections(store: RecorderEventStore, users_view: FakeView, audit_view: FakeView) -> Projections:
    return Projections(store, [users_view, audit_view], batch_size=2)


class TestCatchUp:
    async def test_applies_every_event_to_every_view_in_order(
        self, store: RecorderEventStore, projections: Projections, users_view: FakeView, audit_view: FakeView
    ) -> None:
        head = await _append_claims(store, 5)

        await projections.catch_up()

        for view in (users_view, audit_view):
            assert [recorded.notification_id for recorded in view.applied] == [1, 2, 3, 4, 5]
            assert await view.position() == head

    async def test_catching_up_again_applies_only_what_is_new(
        self, store: RecorderEventStore, projections: Projections, users_view: FakeView
    ) -> None:
        await _append_claims(store, 3)
        await projections.catch_up()
        await _append_claims(store, 2)
        await projections.catch_up()
        assert [recorded.notification_id for recorded in users_view.applied] == [1, 2, 3, 4, 5]

    async def test_a_step_with_nothing_new_reports_no_progress(self, projections: Projections) -> None:
        assert await projections.step() is False

    async def test_status_reports_each_views_lag(
        self, store: RecorderEventStore, projections: Projections, users_view: FakeView
    ) -> None:
        await _append_claims(store, 3)
        await users_view.apply(await store.read(after=0, limit=1))
        status = {s.name: (s.position, s.head, s.lag) for s in await projections.status()}
        assert status == {"users": (1, 3, 2), "audit": (0, 3, 3)}

    async def test_rebuild_replays_the_whole_log_into_one_view(
        self, store: RecorderEventStore, projections: Projections, users_view: FakeView, audit_view: FakeView
    ) -> None:
        await _append_claims(store, 5)
        await projections.catch_up()
        progress: list[int] = []

        assert await projections.rebuild("users", progress.append) == 5

        assert progress == [2, 4, 5]
        assert [recorded.notification_id for recorded in users_view.applied] == [1, 2, 3, 4, 5]
        assert len(audit_view.applied) == 5

    def test_an_unknown_view_name_is_refused(self, projections: Projections) -> None:
        with pytest.raises(LookupError, match="users, audit"):
            projections.view("nope")


class TestWaitFor:
    async def test_returns_true_at_once_when_the_views_are_there(
        self, store: RecorderEventStore, projections: Projections
    ) -> None:
        head = await _append_claims(store, 2)
        await projections.catch_up()
        assert await projections.wait_for(head, within_seconds=1.0) is True

    async def test_returns_true_once_the_views_reach_the_position(
        self, store: RecorderEventStore, projections: Projections
    ) -> None:
        head = await _append_claims(store, 4)
        reached, _ = await asyncio.gather(projections.wait_for(head, within_seconds=5.0), projections.catch_up())
        assert reached is True

    async def test_returns_false_when_the_time_runs_out(
        self, store: RecorderEventStore, projections: Projections
    ) -> None:
        head = await _append_claims(store, 1)
        assert await projections.wait_for(head, within_seconds=0.02) is False

    async def test_waits_only_for_the_named_views(
        self, store: RecorderEventStore, projections: Projections, users_view: FakeView
    ) -> None:
        head = await _append_claims(store, 2)
        await users_view.apply(await store.read(after=0, limit=10))
        assert await projections.wait_for(head, within_seconds=1.0, names=["users"]) is True
        assert await projections.wait_for(head, within_seconds=0.02, names=["audit"]) is False
