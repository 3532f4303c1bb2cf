from __future__ import annotations

from uuid import uuid4

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.tokens import JwtTokenService
from application.messagebus import CommandBus
from application.users.commands import LogOut, RefreshSession
from application.users.results import TokenPair
from domain.users.errors import InvalidRefreshToken, RefreshTokenReused
from domain.users.events import SessionRefreshed, SessionRevoked

from ..fakes import FakeClock, LogInAs, Register


async def _refresh(bus: CommandBus, token: str) -> TokenPair:
    return await bus.handle(RefreshSession(refresh_token=token))


class TestRefresh:
    async def test_refreshing_rotates_to_a_new_pair_of_the_same_session(
        self, register: Register, log_in: LogInAs, bus: CommandBus, tokens: JwtTokenService, store: RecorderEventStore
    ) -> None:
        ann = await register()
        first = await log_in()

        second = await _refresh(bus, first.refresh_token)

        assert second.refresh_token != first.refresh_token
        claims = tokens.decode_access(second.access_token)
        assert claims.user_id == ann.user_id
        assert claims.session_id == tokens.decode_access(first.access_token).session_id
        assert second.notification_id == await store.last_notification_id()
        assert isinstance((await store.load(ann.user_id))[-1], SessionRefreshed)

    async def test_the_newest_token_keeps_rotating(self, register: Register, log_in: LogInAs, bus: CommandBus) -> None:
        await register()
        pair = await log_in()
        for _ in range(3):
            pair = await _refresh(bus, pair.refresh_token)
        assert pair.refresh_token

    async def test_a_rotated_out_token_revokes_its_family(
        self, register: Register, log_in: LogInAs, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()
        first = await log_in()
        second = await _refresh(bus, first.refresh_token)

        with pytest.raises(RefreshTokenReused):
            await _refresh(bus, first.refresh_token)

        revoked = (await store.load(ann.user_id))[-1]
        assert isinstance(revoked, SessionRevoked)
        assert revoked.reason == "refresh token reused"
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, second.refresh_token)

    async def test_reuse_leaves_the_users_other_sessions_alone(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        await register()
        stolen, other = await log_in(), await log_in()
        await _refresh(bus, stolen.refresh_token)
        with pytest.raises(RefreshTokenReused):
            await _refresh(bus, stolen.refresh_token)
        assert (await _refresh(bus, other.refresh_token)).refresh_token

    async def test_an_expired_refresh_token_is_invalid(
        self, register: Register, log_in: LogInAs, bus: CommandBus, clock: FakeClock, tokens: JwtTokenService
    ) -> None:
        await register()
        pair = await log_in()
        clock.advance(seconds=tokens.refresh_lifetime_seconds)
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, pair.refresh_token)

    async def test_a_refresh_token_just_before_expiry_still_rotates(
        self, register: Register, log_in: LogInAs, bus: CommandBus, clock: FakeClock, tokens: JwtTokenService
    ) -> None:
        await register()
        pair = await log_in()
        clock.advance(seconds=tokens.refresh_lifetime_seconds - 1)
        assert (await _refresh(bus, pair.refresh_token)).refresh_token

    @pytest.mark.parametrize("token", ["", "garbage", "x" * 86])
    async def test_a_malformed_refresh_token_is_invalid(
        self, bus: CommandBus, store: RecorderEventStore, token: str
    ) -> None:
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, token)
        assert await store.last_notification_id() == 0

    async def test_a_well_formed_token_of_an_unknown_user_is_invalid(
        self, bus: CommandBus, tokens: JwtTokenService
    ) -> None:
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, tokens.new_refresh_token(uuid4(), uuid4()).token)

    async def test_a_forged_token_for_a_real_session_is_invalid(
        self, register: Register, log_in: LogInAs, bus: CommandBus, tokens: JwtTokenService
    ) -> None:
        ann = await register()
        pair = await log_in()
        family = tokens.read_refresh_token(pair.refresh_token).family_id
        with pytest.raises(InvalidRefreshToken) as raised:
            await _refresh(bus, tokens.new_refresh_token(ann.user_id, family).token)
        assert not isinstance(raised.value, RefreshTokenReused)
        assert (await _refresh(bus, pair.refresh_token)).refresh_token


class TestLogOut:
    async def test_logging_out_revokes_the_session(
        self, register: Register, log_in: LogInAs, bus: CommandBus, store: RecorderEventStore
    ) -> None:
        ann = await register()
        pair = await log_in()

        changed = await bus.handle(LogOut(refresh_token=pair.refresh_token))

        revoked = (await store.load(ann.user_id))[-1]
        assert isinstance(revoked, SessionRevoked)
        assert revoked.reason == "logout"
        assert (changed.user_id, changed.notification_id) == (ann.user_id, await store.last_notification_id())
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, pair.refresh_token)

    async def test_logging_out_twice_is_an_invalid_token(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        await register()
        pair = await log_in()
        await bus.handle(LogOut(refresh_token=pair.refresh_token))
        with pytest.raises(InvalidRefreshToken):
            await bus.handle(LogOut(refresh_token=pair.refresh_token))

    async def test_logging_out_with_an_older_token_of_the_family_revokes_the_newest(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        await register()
        first = await log_in()
        second = await _refresh(bus, first.refresh_token)
        await bus.handle(LogOut(refresh_token=first.refresh_token))
        with pytest.raises(InvalidRefreshToken):
            await _refresh(bus, second.refresh_token)

    async def test_logging_out_leaves_other_sessions_alone(
        self, register: Register, log_in: LogInAs, bus: CommandBus
    ) -> None:
        await register()
        leaving, staying = await log_in(), await log_in()
        await bus.handle(LogOut(refresh_token=leaving.refresh_token))
        assert (await _refresh(bus, staying.refresh_token)).refresh_token

    async def test_a_malformed_token_cannot_log_out(self, bus: CommandBus) -> None:
        with pytest.raises(InvalidRefreshToken):
            await bus.handle(LogOut(refresh_token="garbage"))
