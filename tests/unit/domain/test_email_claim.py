from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.users.email_claim import EmailClaim
from domain.users.errors import EmailAlreadyRegistered
from domain.users.events import EmailClaimed, EmailReleased

AT = datetime(2025, 1, 6, tzinfo=UTC)


def test_an_unclaimed_address_is_claimed_by_its_first_user() -> None:
    claim, ann = EmailClaim(uuid4()), uuid4()
    claim.claim(ann, at=AT)
    [event] = claim.pending_events
    assert isinstance(event, EmailClaimed)
    assert (event.stream_id, event.user_id) == (claim.id, ann)
    assert claim.holder == ann


def test_claiming_again_by_the_holder_records_nothing() -> None:
    claim, ann = EmailClaim(uuid4()), uuid4()
    claim.claim(ann, at=AT)
    claim.collect_events()
    claim.claim(ann, at=AT)
    assert claim.pending_events == []


def test_another_user_cannot_claim_a_taken_address() -> None:
    claim = EmailClaim(uuid4())
    claim.claim(uuid4(), at=AT)
    claim.collect_events()
    with pytest.raises(EmailAlreadyRegistered):
        claim.claim(uuid4(), at=AT)
    assert claim.pending_events == []


def test_the_holder_releases_the_address() -> None:
    claim, ann = EmailClaim(uuid4()), uuid4()
    claim.claim(ann, at=AT)
    claim.release(ann, at=AT)
    assert [type(e) for e in claim.pending_events] == [EmailClaimed, EmailReleased]
    assert claim.holder is None


def test_someone_else_cannot_release_the_address() -> None:
    claim, ann = EmailClaim(uuid4()), uuid4()
    claim.claim(ann, at=AT)
    claim.collect_events()
    claim.release(uuid4(), at=AT)
    assert claim.pending_events == []
    assert claim.holder == ann


def test_a_released_address_can_be_claimed_by_another_user() -> None:
    claim, ann, bob = EmailClaim(uuid4()), uuid4(), uuid4()
    claim.claim(ann, at=AT)
    claim.release(ann, at=AT)
    claim.claim(bob, at=AT)
    assert claim.holder == bob
    assert claim.version == 3


def test_replay_restores_the_holder() -> None:
    claim, ann, bob = EmailClaim(uuid4()), uuid4(), uuid4()
    claim.claim(ann, at=AT)
    claim.release(ann, at=AT)
    claim.claim(bob, at=AT)
    assert EmailClaim.replay(claim.id, claim.collect_events()).holder == bob
