from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.key_vault import MemoryKeyVault
from adapters.security.tokens import JwtTokenService
from application.messagebus import CommandBus
from application.ports.event_store import RecordedEvent
from application.users.commands import ChangeProfile, DeleteUser, RefreshSession
from application.users.services import UserServices
from bootstrap.handlers import command_handlers
from domain.shared.errors import ConcurrencyConflict
from domain.shared.events import DomainEvent
from domain.shared.personal_data import ERASED
from domain.users.errors import InvalidCredentials, InvalidRefreshToken, UserNotFound
from domain.users.events import LoginSucceeded, ProfileChanged, SessionRevoked, UserDeleted, UserRegistered

from ..fakes import LogInAs, Register


class RefusingStore:
    """Loads and reads like the real store; every append loses a race."""

    def __init__(self, store: RecorderEventStore) -> None:
        self._store = store

    async def append(self, events: Sequence[DomainEvent]) -> int:
        raise ConcurrencyConflict("someone else wrote first")

    async def load(self, stream_id: UUID, *, up_to_version: int | None = None) -> list[DomainEvent]:
        return await self._store.load(stream_id, up_to_version=up_to_version)

    async def read(self, *, after: int, limit: int) -> list[RecordedEvent]:
        return await self._store.read(after=after, limit=limit)

    async def last_notification_id(self) -> int:
        return await self._store.last_notification_id()


class TestDeletion:
    async def test_records_the_deletion_after_revoking_every_session(
        self, register: Register, log_in: LogInAs, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()
        await log_in()
        await log_in()

        changed = await bus.handle(DeleteUser(user_id=ann.user_id))

        *_, first, second, deleted = await store.load(ann.user_id)
        assert [type(first), type(second), type(deleted)] == [SessionRevoked, SessionRevoked, UserDeleted]
        assert (changed.version, changed.notification_id) == (deleted.version, await store.last_notification_id())

    async def test_personal_fields_read_as_erased_afterwards(
        self, register: Register, log_in: LogInAs, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register(email="ann.lee@example.com", display_name="Ann Lee")
        await log_in(email="ann.lee@example.com", client_address="203.0.113.7")
        await bus.handle(ChangeProfile(user_id=ann.user_id, display_name="Ann B. Lee"))

        await bus.handle(DeleteUser(user_id=ann.user_id))

        events = await store.load(ann.user_id)
        registered = next(e for e in events if isinstance(e, UserRegistered))
        login = next(e for e in events if isinstance(e, LoginSucceeded))
        profile = next(e for e in events if isinstance(e, ProfileChanged))
        assert (registered.email, registered.display_name, registered.password_hash) == (ERASED, ERASED, ERASED)
        assert (login.client_address, profile.display_name) == (ERASED, ERASED)
        for raw in store.recorder.select_events(ann.user_id):
            assert b"ann.lee" not in raw.state
            assert b"Ann Lee" not in raw.state

    async def test_the_key_is_shredded(self, register: Register, bus: CommandBus, vault: MemoryKeyVault) -> None:
        ann = await register()
        assert vault.key_for(ann.user_id) is not None
        await bus.handle(DeleteUser(user_id=ann.user_id))
        assert vault.key_for(ann.user_id) is None

    async def test_the_email_can_register_again(self, register: Register, bus: CommandBus) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(DeleteUser(user_id=ann.user_id))

        again = await register(email="ANN@example.com", display_name="Ann again")

        assert again.user_id != ann.user_id

    async def test_the_deleted_user_can_no_longer_log_in(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(DeleteUser(user_id=ann.user_id))
        with pytest.raises(InvalidCredentials):
            await log_in(email="ann@example.com")

    async def test_the_new_account_on_the_same_email_logs_in_as_itself(
        self, register: Register, log_in: LogInAs, bus: CommandBus, tokens: JwtTokenService
    ) -> None:
        ann = await register(email="ann@example.com")
        await bus.handle(DeleteUser(user_id=ann.user_id))
        again = await register(email="ann@example.com", password="another-long-passphrase-7")

        with pytest.raises(InvalidCredentials):
            await log_in(email="ann@example.com")
        pair = await log_in(email="ann@example.com", password="another-long-passphrase-7")
        assert tokens.decode_access(pair.access_token).user_id == again.user_id

    async def test_the_deleted_users_refresh_tokens_are_dead(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        ann = await register()
        pair = await log_in()
        await bus.handle(DeleteUser(user_id=ann.user_id))
        with pytest.raises(InvalidRefreshToken):
            await bus.handle(RefreshSession(refresh_token=pair.refresh_token))

    async def test_a_deleted_user_is_not_found_for_further_commands(self, register: Register, bus: CommandBus) -> None:
        ann = await register()
        await bus.handle(DeleteUser(user_id=ann.user_id))
        with pytest.raises(UserNotFound):
            await bus.handle(DeleteUser(user_id=ann.user_id))
        with pytest.raises(UserNotFound):
            await bus.handle(ChangeProfile(user_id=ann.user_id, display_name="Back"))

    async def test_the_key_survives_when_the_deletion_could_not_be_recorded(
        self, register: Register, store: RecorderEventStore, services: UserServices, vault: MemoryKeyVault
    ) -> None:
        ann = await register(email="ann@example.com")
        losing_bus = CommandBus(RefusingStore(store), command_handlers(services))

        with pytest.raises(ConcurrencyConflict):
            await losing_bus.handle(DeleteUser(user_id=ann.user_id))

        assert vault.key_for(ann.user_id) is not None
        [registered] = await store.load(ann.user_id)
        assert registered.email == "ann@example.com"
