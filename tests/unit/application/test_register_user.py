from __future__ import annotations

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from domain.shared.errors import InvalidInput
from domain.users.errors import EmailAlreadyRegistered
from domain.users.events import UserRegistered

from ..fakes import PASSWORD, FakeClock, Register


async def test_registers_a_user_under_the_normalised_email(
    register: Register, store: RecorderEventStore, clock: FakeClock
) -> None:
    result = await register(email="  Ann.Lee@Example.COM ", display_name="  Ann Lee ")

    assert (result.email, result.display_name, result.role) == ("ann.lee@example.com", "Ann Lee", "user")
    assert (result.created_at, result.version) == (clock.now(), 1)
    assert result.notification_id == await store.last_notification_id()
    [registered] = await store.load(result.user_id)
    assert isinstance(registered, UserRegistered)
    assert (registered.email, registered.display_name) == ("ann.lee@example.com", "Ann Lee")


async def test_stores_a_hash_of_the_password_never_the_password(register: Register, store: RecorderEventStore) -> None:
    result = await register()
    [registered] = await store.load(result.user_id)
    assert isinstance(registered, UserRegistered)
    assert registered.password_hash.startswith("fake$v1$")
    assert PASSWORD not in registered.password_hash


async def test_rejects_invalid_input_listing_every_bad_field(register: Register, store: RecorderEventStore) -> None:
    with pytest.raises(InvalidInput) as raised:
        await register(email="not-an-email", password="short", display_name="   ")
    assert [error.field for error in raised.value.errors] == ["email", "password", "display_name"]
    assert await store.last_notification_id() == 0


@pytest.mark.parametrize("password", ["Password1234", "aaaaaaaaaaaaaa", "ann@example.com"])
async def test_rejects_a_guessable_password(register: Register, store: RecorderEventStore, password: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await register(email="ann@example.com", password=password)
    assert [error.field for error in raised.value.errors] == ["password"]
    assert await store.last_notification_id() == 0


@pytest.mark.parametrize("second", ["ann@example.com", "ANN@Example.com", "  ann@example.COM  "])
async def test_rejects_an_email_already_registered_in_any_case(
    register: Register, store: RecorderEventStore, second: str
) -> None:
    await register(email="Ann@example.com")
    head = await store.last_notification_id()

    with pytest.raises(EmailAlreadyRegistered):
        await register(email=second, display_name="Impostor")

    assert await store.last_notification_id() == head


async def test_different_addresses_register_independently(register: Register) -> None:
    ann, bob = await register(email="ann@example.com"), await register(email="bob@example.com")
    assert ann.user_id != bob.user_id
