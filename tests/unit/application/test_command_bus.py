from __future__ import annotations

import asyncio

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from application.messagebus import CommandBus, QueryBus
from application.unit_of_work import UnitOfWork
from application.users.commands import LogIn, RegisterUser
from application.users.services import UserServices
from bootstrap.handlers import command_guards, command_handlers
from domain.shared.errors import ConcurrencyConflict, InvalidInput
from domain.users.errors import InvalidCredentials

from ..fakes import PASSWORD


def _bus(store: RecorderEventStore, services: UserServices, committed: list[int]) -> CommandBus:
    return CommandBus(store, command_handlers(services), on_committed=committed.append)


async def test_tells_the_listener_the_last_notification_id_committed(
    store: RecorderEventStore, services: UserServices
) -> None:
    committed: list[int] = []
    result = await _bus(store, services, committed).handle(
        RegisterUser(email="ann@example.com", password=PASSWORD, display_name="Ann")
    )
    assert committed == [result.notification_id] == [await store.last_notification_id()]


async def test_tells_the_listener_nothing_when_the_command_failed(
    store: RecorderEventStore, services: UserServices
) -> None:
    committed: list[int] = []
    with pytest.raises(InvalidInput):
        await _bus(store, services, committed).handle(RegisterUser(email="x", password=PASSWORD, display_name="Ann"))
    assert committed == []


async def test_refuses_a_command_without_a_handler(store: RecorderEventStore) -> None:
    with pytest.raises(LookupError, match="RegisterUser"):
        await CommandBus(store, {}).handle(RegisterUser(email="a@b.cd", password=PASSWORD, display_name="A"))


async def test_the_query_bus_refuses_a_query_without_a_handler() -> None:
    with pytest.raises(LookupError, match="object"):
        await QueryBus({}).ask(object())


class TestRetryOnConflict:
    async def test_runs_the_handler_again_on_fresh_state_after_a_conflict(self, store: RecorderEventStore) -> None:
        attempts: list[int] = []

        async def conflicts_once(_command: object, uow: UnitOfWork) -> str:
            attempts.append(len(attempts) + 1)
            if len(attempts) == 1:
                raise ConcurrencyConflict("another writer won")
            return "done"

        result = await CommandBus(store, {RegisterUser: conflicts_once}).handle(_registration())

        assert result == "done"
        assert attempts == [1, 2]

    async def test_gives_up_with_the_conflict_when_it_persists(self, store: RecorderEventStore) -> None:
        attempts: list[int] = []

        async def always_conflicts(_command: object, _uow: UnitOfWork) -> None:
            attempts.append(1)
            raise ConcurrencyConflict("another writer won")

        with pytest.raises(ConcurrencyConflict):
            await CommandBus(store, {RegisterUser: always_conflicts}, attempts=3).handle(_registration())
        assert len(attempts) == 3

    async def test_concurrent_logins_of_one_user_all_succeed(
        self, store: RecorderEventStore, services: UserServices
    ) -> None:
        bus = CommandBus(store, command_handlers(services), guards=command_guards(services))
        await bus.handle(_registration())

        pairs = await asyncio.gather(
            *(
                bus.handle(LogIn(email="ann@example.com", password=PASSWORD, client_address=f"10.0.0.{n}"))
                for n in range(3)
            )
        )

        assert len({pair.refresh_token for pair in pairs}) == 3

    async def test_tells_the_listener_about_a_commit_even_when_the_handler_then_fails(
        self, store: RecorderEventStore, services: UserServices
    ) -> None:
        committed: list[int] = []
        bus = _bus(store, services, committed)
        await bus.handle(_registration())

        with pytest.raises(InvalidCredentials):
            await bus.handle(LogIn(email="ann@example.com", password="a wrong password!", client_address="10.0.0.1"))

        assert committed[-1] == await store.last_notification_id()
        assert len(committed) == 2


def _registration() -> RegisterUser:
    return RegisterUser(email="ann@example.com", password=PASSWORD, display_name="Ann")
