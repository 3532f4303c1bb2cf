from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from adapters.memory.session_revocations import MemorySessionRevocations
from adapters.security.tokens import JwtTokenService
from application.messagebus import CommandBus
from application.users.authentication import Authenticator
from application.users.commands import DeleteUser, LogIn, LogOut, RefreshSession
from application.users.results import Registered, TokenPair
from domain.shared.errors import Unauthorized
from domain.users.errors import RefreshTokenReused

from ..fakes import PASSWORD, Register


class UsersById:
    """A users read model answering from the users registered in the test."""

    def __init__(self) -> None:
        self.views: dict[UUID, Any] = {}

    async def get(self, user_id: UUID) -> Any:
        return self.views.get(user_id)


@pytest.fixture
def users() -> UsersById:
    return UsersById()


@pytest.fixture
def authenticator(tokens: JwtTokenService, revocations: MemorySessionRevocations, users: UsersById) -> Authenticator:
    return Authenticator(tokens, revocations, users)


async def _logged_in(
    bus: CommandBus, register: Register, users: UsersById, email: str = "ann@example.com"
) -> tuple[Registered, TokenPair]:
    registered = await register(email=email)
    users.views[registered.user_id] = registered
    return registered, await bus.handle(LogIn(email=email, password=PASSWORD, client_address="10.0.0.1"))


class TestAuthenticate:
    async def test_a_fresh_access_token_authenticates_its_user(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        registered, pair = await _logged_in(bus, register, users)
        assert await authenticator.user(pair.access_token) is registered

    async def test_an_access_token_dies_with_its_logout(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        _, pair = await _logged_in(bus, register, users)
        await bus.handle(LogOut(refresh_token=pair.refresh_token))
        with pytest.raises(Unauthorized):
            await authenticator.user(pair.access_token)

    async def test_a_reused_refresh_token_kills_the_access_tokens_of_its_login(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        _, pair = await _logged_in(bus, register, users)
        rotated = await bus.handle(RefreshSession(refresh_token=pair.refresh_token))
        with pytest.raises(RefreshTokenReused):
            await bus.handle(RefreshSession(refresh_token=pair.refresh_token))
        for token in (pair.access_token, rotated.access_token):
            with pytest.raises(Unauthorized):
                await authenticator.claims(token)

    async def test_deleting_the_account_kills_every_session_at_once(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        registered, first = await _logged_in(bus, register, users)
        second = await bus.handle(LogIn(email="ann@example.com", password=PASSWORD, client_address="10.0.0.2"))
        await bus.handle(DeleteUser(user_id=registered.user_id))
        for pair in (first, second):
            with pytest.raises(Unauthorized):
                await authenticator.claims(pair.access_token)

    async def test_another_login_of_the_same_user_survives_a_logout(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        registered, first = await _logged_in(bus, register, users)
        second = await bus.handle(LogIn(email="ann@example.com", password=PASSWORD, client_address="10.0.0.2"))
        await bus.handle(LogOut(refresh_token=first.refresh_token))
        assert await authenticator.user(second.access_token) is registered

    async def test_a_token_of_an_account_missing_from_the_view_is_refused(
        self, bus: CommandBus, register: Register, users: UsersById, authenticator: Authenticator
    ) -> None:
        registered, pair = await _logged_in(bus, register, users)
        del users.views[registered.user_id]
        with pytest.raises(Unauthorized, match="no longer exists"):
            await authenticator.user(pair.access_token)


class TestMemorySessionRevocations:
    async def test_forgets_a_revocation_once_no_token_of_it_can_be_valid(self) -> None:
        now = [100.0]
        revocations = MemorySessionRevocations(ttl_seconds=60, clock=lambda: now[0])
        session = uuid.uuid4()
        await revocations.revoke([session])
        assert await revocations.is_revoked(session)
        now[0] += 61
        assert not await revocations.is_revoked(session)
