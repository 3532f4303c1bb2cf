from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.shared.aggregate import Aggregate
from domain.shared.events import DomainEvent

AT = datetime(2025, 1, 6, tzinfo=UTC)


class Deposited(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "test.Deposited.v1"
    amount: int


class Wallet(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.balance = 0

    def deposit(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError("deposits are positive")
        self._trigger(Deposited, occurred_at=AT, amount=amount)

    def apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Deposited)
        self.balance += event.amount


def _deposited(stream_id: UUID, version: int, amount: int) -> Deposited:
    return Deposited(stream_id=stream_id, version=version, occurred_at=AT, amount=amount)


class TestCommands:
    def test_a_command_applies_its_event_and_keeps_it_pending(self) -> None:
        wallet = Wallet(uuid4())
        wallet.deposit(5)
        wallet.deposit(7)
        assert wallet.balance == 12
        assert wallet.version == 2
        assert [(e.version, e.amount) for e in wallet.pending_events] == [(1, 5), (2, 7)]
        assert all(e.stream_id == wallet.id for e in wallet.pending_events)

    def test_original_version_is_the_version_before_the_pending_events(self) -> None:
        stream = uuid4()
        wallet = Wallet.replay(stream, [_deposited(stream, 1, 5), _deposited(stream, 2, 5)])
        wallet.deposit(1)
        assert (wallet.version, wallet.original_version) == (3, 2)

    def test_collecting_events_empties_the_pending_list(self) -> None:
        wallet = Wallet(uuid4())
        wallet.deposit(5)
        collected = wallet.collect_events()
        assert [e.amount for e in collected] == [5]
        assert wallet.pending_events == []
        assert wallet.original_version == wallet.version == 1

    def test_pending_events_is_a_copy(self) -> None:
        wallet = Wallet(uuid4())
        wallet.deposit(5)
        wallet.pending_events.clear()
        assert len(wallet.pending_events) == 1

    def test_a_refused_command_records_nothing(self) -> None:
        wallet = Wallet(uuid4())
        with pytest.raises(ValueError, match="positive"):
            wallet.deposit(0)
        assert (wallet.version, wallet.pending_events) == (0, [])


class TestReplay:
    def test_replay_folds_the_stream_into_state_without_pending_events(self) -> None:
        stream = uuid4()
        wallet = Wallet.replay(stream, [_deposited(stream, 1, 5), _deposited(stream, 2, 7)])
        assert (wallet.id, wallet.balance, wallet.version) == (stream, 12, 2)
        assert wallet.pending_events == []
        assert wallet.original_version == 2

    def test_replay_of_an_empty_stream_gives_the_initial_state(self) -> None:
        wallet = Wallet.replay(uuid4(), [])
        assert (wallet.balance, wallet.version) == (0, 0)

    def test_replay_rejects_a_gap_in_versions(self) -> None:
        stream = uuid4()
        with pytest.raises(ValueError, match="does not follow"):
            Wallet.replay(stream, [_deposited(stream, 1, 5), _deposited(stream, 3, 7)])

    def test_replay_rejects_a_repeated_version(self) -> None:
        stream = uuid4()
        with pytest.raises(ValueError, match="does not follow"):
            Wallet.replay(stream, [_deposited(stream, 1, 5), _deposited(stream, 1, 5)])

    def test_replaying_the_recorded_events_rebuilds_the_same_state(self) -> None:
        wallet = Wallet(uuid4())
        for amount in (3, 4, 5):
            wallet.deposit(amount)
        rebuilt = Wallet.replay(wallet.id, wallet.collect_events())
        assert (rebuilt.balance, rebuilt.version) == (wallet.balance, wallet.version)
