from __future__ import annotations

from uuid import uuid4

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from application.messagebus import CommandBus
from application.users.commands import ChangePreferences, ChangeProfile
from domain.shared.errors import InvalidInput
from domain.users.errors import EmailAlreadyRegistered, InvalidCredentials, UserNotFound
from domain.users.events import PreferencesChanged, ProfileChanged

from ..fakes import LogInAs, Register


class TestProfile:
    async def test_changes_the_display_name(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()

        changed = await bus.handle(ChangeProfile(user_id=ann.user_id, display_name="  Ann Lee "))

        event = (await store.load(ann.user_id))[-1]
        assert isinstance(event, ProfileChanged)
        assert (event.display_name, event.email) == ("Ann Lee", None)
        assert (changed.version, changed.notification_id) == (2, await store.last_notification_id())

    async def test_an_unchanged_profile_stores_nothing(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register(email="ann@example.com", display_name="Ann")
        head = await store.last_notification_id()
        changed = await bus.handle(ChangeProfile(user_id=ann.user_id, email="ANN@example.com", display_name="Ann"))
        assert changed.version == 1
        assert await store.last_notification_id() == head

    async def test_rejects_invalid_fields_listing_each(self, register: Register, bus: CommandBus) -> None:
        ann = await register()
        with pytest.raises(InvalidInput) as raised:
            await bus.handle(ChangeProfile(user_id=ann.user_id, email="nope", display_name=""))
        assert [error.field for error in raised.value.errors] == ["email", "display_name"]

    async def test_an_unknown_user_is_not_found(self, bus: CommandBus) -> None:
        with pytest.raises(UserNotFound):
            await bus.handle(ChangeProfile(user_id=uuid4(), display_name="Ghost"))


class TestEmailChange:
    async def test_an_email_taken_by_another_user_is_a_conflict_and_stores_nothing(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register(email="ann@example.com")
        await register(email="bob@example.com")
        head = await store.last_notification_id()

        with pytest.raises(EmailAlreadyRegistered):
            await bus.handle(ChangeProfile(user_id=ann.user_id, email="BOB@example.com", display_name="Ann B."))

        assert await store.last_notification_id() == head

    async def test_the_new_email_logs_in_and_the_old_one_does_not(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(ChangeProfile(user_id=ann.user_id, email="Ann.New@example.com"))

        await log_in(email="ann.new@example.com")
        with pytest.raises(InvalidCredentials):
            await log_in(email="ann@example.com")

    async def test_the_old_email_is_released_for_anyone(self, register: Register, bus: CommandBus) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(ChangeProfile(user_id=ann.user_id, email="ann.new@example.com"))

        bob = await register(email="ann@example.com", display_name="Bob")

        assert bob.user_id != ann.user_id
        with pytest.raises(EmailAlreadyRegistered):
            await register(email="ann.new@example.com", display_name="Carol")

    async def test_a_user_can_return_to_an_email_they_released(self, register: Register, bus: CommandBus) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(ChangeProfile(user_id=ann.user_id, email="ann.new@example.com"))
        changed = await bus.handle(ChangeProfile(user_id=ann.user_id, email="ann@example.com"))
        assert changed.version == 3


class TestPreferences:
    async def test_stores_valid_preferences(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()

        await bus.handle(
            ChangePreferences(
                user_id=ann.user_id, base_currency="EUR", default_interval="4h", timezone="Europe/Berlin", theme="dark"
            )
        )

        event = (await store.load(ann.user_id))[-1]
        assert isinstance(event, PreferencesChanged)
        assert (event.base_currency, event.default_interval, event.timezone, event.theme) == (
            "EUR",
            "4h",
            "Europe/Berlin",
            "dark",
        )

    async def test_rejects_every_bad_field_and_stores_nothing(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()
        head = await store.last_notification_id()
        with pytest.raises(InvalidInput) as raised:
            await bus.handle(
                ChangePreferences(
                    user_id=ann.user_id,
                    base_currency="eur",
                    default_interval="2h",
                    timezone="../etc/passwd",
                    theme="neon",
                )
            )
        assert [error.field for error in raised.value.errors] == [
            "base_currency",
            "default_interval",
            "timezone",
            "theme",
        ]
        assert await store.last_notification_id() == head

    async def test_the_default_preferences_store_nothing(
        self, register: Register, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()
        head = await store.last_notification_id()
        await bus.handle(
            ChangePreferences(
                user_id=ann.user_id, base_currency="USD", default_interval="1h", timezone="UTC", theme="light"
            )
        )
        assert await store.last_notification_id() == head
