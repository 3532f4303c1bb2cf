from __future__ import annotations

import pytest

from adapters.eventsourcing.store import RecorderEventStore
from adapters.security.tokens import JwtTokenService
from domain.shared.errors import TooManyRequests
from domain.users.errors import InvalidCredentials
from domain.users.events import LoginFailed, LoginSucceeded, PasswordRehashed, SessionStarted

from ..fakes import PASSWORD, FakePasswordHasher, FakeRateLimiter, LogInAs, Register


class TestSuccessfulLogin:
    async def test_issues_tokens_for_the_user_and_starts_a_session(
        self, register: Register, log_in: LogInAs, tokens: JwtTokenService, store: RecorderEventStore
    ) -> None:
        ann = await register()

        pair = await log_in(client_address="203.0.113.7")

        claims = tokens.decode_access(pair.access_token)
        refresh = tokens.read_refresh_token(pair.refresh_token)
        assert (claims.user_id, claims.role) == (ann.user_id, "user")
        assert (refresh.user_id, refresh.family_id) == (ann.user_id, claims.session_id)
        assert pair.notification_id == await store.last_notification_id()
        *_, succeeded, started = await store.load(ann.user_id)
        assert isinstance(succeeded, LoginSucceeded)
        assert succeeded.client_address == "203.0.113.7"
        assert isinstance(started, SessionStarted)
        assert (started.family_id, started.token_hash) == (refresh.family_id, refresh.token_hash)

    async def test_the_email_is_matched_case_insensitively(
        self, register: Register, log_in: LogInAs, tokens: JwtTokenService
    ) -> None:
        ann = await register(email="ann@example.com")
        pair = await log_in(email="  ANN@Example.com ")
        assert tokens.decode_access(pair.access_token).user_id == ann.user_id

    async def test_each_login_opens_its_own_session(
        self, register: Register, log_in: LogInAs, tokens: JwtTokenService
    ) -> None:
        await register()
        first, second = await log_in(), await log_in()
        assert (
            tokens.decode_access(first.access_token).session_id != tokens.decode_access(second.access_token).session_id
        )


class TestRejectedLogin:
    async def test_wrong_password_and_unknown_email_are_the_same_error(
        self, register: Register, log_in: LogInAs
    ) -> None:
        await register(email="ann@example.com")
        with pytest.raises(InvalidCredentials) as wrong_password:
            await log_in(email="ann@example.com", password="not-the-password-1")
        with pytest.raises(InvalidCredentials) as unknown_email:
            await log_in(email="nobody@example.com")
        assert type(wrong_password.value) is type(unknown_email.value)
        assert wrong_password.value.detail == unknown_email.value.detail

    async def test_a_wrong_password_is_recorded_with_the_client_address(
        self, register: Register, log_in: LogInAs, store: RecorderEventStore
    ) -> None:
        ann = await register()
        with pytest.raises(InvalidCredentials):
            await log_in(password="not-the-password-1", client_address="198.51.100.23")
        events = await store.load(ann.user_id)
        assert isinstance(events[-1], LoginFailed)
        assert events[-1].client_address == "198.51.100.23"
        assert not any(isinstance(event, SessionStarted | LoginSucceeded) for event in events)

    async def test_an_unknown_email_costs_a_hash_and_records_nothing(
        self, log_in: LogInAs, hasher: FakePasswordHasher, store: RecorderEventStore
    ) -> None:
        with pytest.raises(InvalidCredentials):
            await log_in(email="nobody@example.com")
        assert hasher.burned == 1
        assert await store.last_notification_id() == 0


class TestRehashing:
    async def test_a_login_rehashes_a_password_hashed_with_old_parameters(
        self, register: Register, log_in: LogInAs, hasher: FakePasswordHasher, store: RecorderEventStore
    ) -> None:
        ann = await register()
        hasher.params = "v2"

        await log_in()

        rehashed = [event for event in await store.load(ann.user_id) if isinstance(event, PasswordRehashed)]
        assert len(rehashed) == 1
        assert rehashed[0].password_hash.startswith("fake$v2$")

    async def test_the_rehashed_password_still_logs_in_and_is_not_rehashed_again(
        self, register: Register, log_in: LogInAs, hasher: FakePasswordHasher, store: RecorderEventStore
    ) -> None:
        ann = await register()
        hasher.params = "v2"
        await log_in()
        await log_in(password=PASSWORD)
        events = await store.load(ann.user_id)
        assert sum(isinstance(event, PasswordRehashed) for event in events) == 1

    async def test_a_current_hash_is_left_alone(
        self, register: Register, log_in: LogInAs, store: RecorderEventStore
    ) -> None:
        ann = await register()
        await log_in()
        assert not any(isinstance(event, PasswordRehashed) for event in await store.load(ann.user_id))

    async def test_a_wrong_password_never_rehashes(
        self, register: Register, log_in: LogInAs, hasher: FakePasswordHasher, store: RecorderEventStore
    ) -> None:
        ann = await register()
        hasher.params = "v2"
        with pytest.raises(InvalidCredentials):
            await log_in(password="not-the-password-1")
        assert not any(isinstance(event, PasswordRehashed) for event in await store.load(ann.user_id))


class TestRateLimiting:
    async def test_the_sixth_attempt_from_one_address_is_refused(
        self, register: Register, log_in: LogInAs, limiter: FakeRateLimiter, store: RecorderEventStore
    ) -> None:
        ann = await register()
        for n in range(5):
            with pytest.raises(InvalidCredentials):
                await log_in(email=f"guess{n}@example.com", client_address="198.51.100.9")

        with pytest.raises(TooManyRequests) as raised:
            await log_in(email="ann@example.com", client_address="198.51.100.9")

        assert raised.value.retry_after == limiter.retry_after
        assert not any(isinstance(event, LoginSucceeded) for event in await store.load(ann.user_id))

    async def test_the_sixth_attempt_on_one_email_is_refused_from_any_address(
        self, register: Register, log_in: LogInAs, limiter: FakeRateLimiter
    ) -> None:
        await register(email="ann@example.com")
        for n in range(5):
            with pytest.raises(InvalidCredentials):
                await log_in(password="not-the-password-1", client_address=f"198.51.100.{n}")

        with pytest.raises(TooManyRequests) as raised:
            await log_in(email="ANN@example.com", client_address="203.0.113.200")

        assert raised.value.retry_after == limiter.retry_after

    async def test_other_addresses_and_emails_are_not_limited(self, register: Register, log_in: LogInAs) -> None:
        await register(email="ann@example.com")
        await register(email="bob@example.com")
        for _ in range(5):
            with pytest.raises(InvalidCredentials):
                await log_in(email="ann@example.com", password="not-the-password-1", client_address="198.51.100.1")
        with pytest.raises(TooManyRequests):
            await log_in(email="ann@example.com", client_address="198.51.100.1")
        pair = await log_in(email="bob@example.com", client_address="203.0.113.5")
        assert pair.access_token

    async def test_a_refused_attempt_checks_no_password(
        self, register: Register, log_in: LogInAs, limiter: FakeRateLimiter, hasher: FakePasswordHasher
    ) -> None:
        for n in range(5):
            with pytest.raises(InvalidCredentials):
                await log_in(email=f"guess{n}@example.com", client_address="198.51.100.9")
        burned = hasher.burned
        with pytest.raises(TooManyRequests):
            await log_in(email="guess9@example.com", client_address="198.51.100.9")
        assert hasher.burned == burned
