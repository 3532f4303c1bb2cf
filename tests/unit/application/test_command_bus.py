from __future__ import annotations

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from application.messagebus import CommandBus, QueryBus
from application.users.commands import RegisterUser
from application.users.services import UserServices
from bootstrap.handlers import command_handlers
from domain.shared.errors import InvalidInput

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
