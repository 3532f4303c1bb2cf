"""Unit-test wiring: the real in-memory event store with crypto-shredding, fakes for the rest."""

from __future__ import annotations

import pytest

from adapters.eventsourcing.mapper import EventMapper
from adapters.eventsourcing.recorders import memory_recorder
from adapters.eventsourcing.store import RecorderEventStore
from adapters.memory.session_revocations import MemorySessionRevocations
from adapters.security.field_cipher import FieldCipher
from adapters.security.fingerprints import HmacEmailFingerprints
from adapters.security.key_vault import MemoryKeyVault
from adapters.security.tokens import JwtTokenService
from application.messagebus import CommandBus
from application.users.commands import LogIn, RegisterUser
from application.users.results import Registered, TokenPair
from application.users.services import LoginLimits, UserServices
from bootstrap.handlers import command_guards, command_handlers
from domain.users.events import USER_EVENTS

from .fakes import (
    AUDIENCE,
    ISSUER,
    PASSWORD,
    SIGNING_KEY,
    FakeClock,
    FakePasswordHasher,
    FakeRateLimiter,
    LogInAs,
    Register,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def limiter() -> FakeRateLimiter:
    return FakeRateLimiter()


@pytest.fixture
def vault() -> MemoryKeyVault:
    return MemoryKeyVault(b"m" * 32)


@pytest.fixture
def cipher(vault: MemoryKeyVault) -> FieldCipher:
    return FieldCipher(vault)


@pytest.fixture
def mapper(cipher: FieldCipher) -> EventMapper:
    return EventMapper(USER_EVENTS, cipher)


@pytest.fixture
def store(mapper: EventMapper) -> RecorderEventStore:
    return RecorderEventStore(memory_recorder(), mapper, threads=2)


@pytest.fixture
def tokens() -> JwtTokenService:
    return JwtTokenService(SIGNING_KEY, issuer=ISSUER, audience=AUDIENCE, refresh_lifetime_seconds=3600)


@pytest.fixture
def fingerprints() -> HmacEmailFingerprints:
    return HmacEmailFingerprints(b"f" * 32)


@pytest.fixture
def revocations() -> MemorySessionRevocations:
    return MemorySessionRevocations(ttl_seconds=960)


@pytest.fixture
def services(
    hasher: FakePasswordHasher,
    tokens: JwtTokenService,
    fingerprints: HmacEmailFingerprints,
    vault: MemoryKeyVault,
    limiter: FakeRateLimiter,
    clock: FakeClock,
    revocations: MemorySessionRevocations,
) -> UserServices:
    return UserServices(
        hasher=hasher,
        tokens=tokens,
        fingerprints=fingerprints,
        vault=vault,
        limiter=limiter,
        clock=clock,
        revocations=revocations,
        login_limits=LoginLimits(attempts=5, window_seconds=60),
    )


@pytest.fixture
def bus(store: RecorderEventStore, services: UserServices) -> CommandBus:
    return CommandBus(store, command_handlers(services), guards=command_guards(services))


@pytest.fixture
def register(bus: CommandBus) -> Register:
    async def _register(
        email: str = "ann@example.com", password: str = PASSWORD, display_name: str = "Ann"
    ) -> Registered:
        return await bus.handle(RegisterUser(email=email, password=password, display_name=display_name))

    return _register


@pytest.fixture
def log_in(bus: CommandBus) -> LogInAs:
    async def _log_in(
        email: str = "ann@example.com", password: str = PASSWORD, client_address: str = "203.0.113.7"
    ) -> TokenPair:
        return await bus.handle(LogIn(email=email, password=password, client_address=client_address))

    return _log_in
