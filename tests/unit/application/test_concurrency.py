from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.fingerprints import HmacEmailFingerprints
from application.unit_of_work import UnitOfWork
from domain.shared.errors import ConcurrencyConflict, Conflict
from domain.users.email_claim import EmailClaim
from domain.users.events import ProfileChanged
from domain.users.model import User

from ..fakes import FakeClock, Register


async def _loaded(uow: UnitOfWork, user_id: UUID) -> User:
    user = await uow.get(User, user_id)
    assert user is not None
    return user


async def test_the_second_of_two_writers_to_one_user_conflicts_and_stores_nothing(
    register: Register, store: RecorderEventStore, clock: FakeClock, fingerprints: HmacEmailFingerprints
) -> None:
    ann = await register()
    first, second = UnitOfWork(store), UnitOfWork(store)
    user_a, user_b = await _loaded(first, ann.user_id), await _loaded(second, ann.user_id)
    user_a.change_profile(display_name="From A", at=clock.now())
    user_b.change_profile(display_name="From B", at=clock.now())
    new_claim = await second.get_or_new(EmailClaim, fingerprints.stream_id("ann.b@example.com"))
    new_claim.claim(ann.user_id, at=clock.now())
    await first.commit()
    head = await store.last_notification_id()

    with pytest.raises(ConcurrencyConflict):
        await second.commit()

    assert await store.last_notification_id() == head
    assert await store.load(new_claim.id) == []
    [*_, changed] = await store.load(ann.user_id)
    assert isinstance(changed, ProfileChanged)
    assert changed.display_name == "From A"


async def test_a_writer_that_reloads_after_a_conflict_succeeds(
    register: Register, store: RecorderEventStore, clock: FakeClock
) -> None:
    ann = await register()
    first, second = UnitOfWork(store), UnitOfWork(store)
    user_a, user_b = await _loaded(first, ann.user_id), await _loaded(second, ann.user_id)
    user_a.change_profile(display_name="From A", at=clock.now())
    user_b.change_profile(display_name="From B", at=clock.now())
    await first.commit()
    with pytest.raises(ConcurrencyConflict):
        await second.commit()

    retry = UnitOfWork(store)
    (await _loaded(retry, ann.user_id)).change_profile(display_name="From B", at=clock.now())
    await retry.commit()
    assert (await _loaded(UnitOfWork(store), ann.user_id)).display_name == "From B"


async def test_two_simultaneous_registrations_of_one_email_let_exactly_one_win(
    register: Register, store: RecorderEventStore
) -> None:
    outcomes = await asyncio.gather(
        register(email="ann@example.com", display_name="Ann"),
        register(email="Ann@Example.com", display_name="Impostor"),
        return_exceptions=True,
    )
    winners = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], Conflict)
    assert await store.last_notification_id() == winners[0].notification_id
