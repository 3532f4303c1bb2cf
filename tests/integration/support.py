"""Builders and polling helpers shared by the integration contract suites."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from application.ports.event_store import RecordedEvent
from domain.shared.events import DomainEvent
from domain.users.events import (
    EmailClaimed,
    LoginSucceeded,
    PreferencesChanged,
    ProfileChanged,
    SessionStarted,
    UserDeleted,
    UserRegistered,
)

T = TypeVar("T")
EPOCH = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class UserStream:
    """The successive events of one user's stream, versions counted, personal values remembered."""

    def __init__(self, name: str = "") -> None:
        self.id = uuid4()
        tag = name or self.id.hex[:8]
        self.email = f"{tag}.{self.id.hex[:6]}@example.org"
        self.display_name = f"Person {tag} {self.id.hex[:6]}"
        self.version = 0
        # Every personal value ever written to this stream: none may leave the store in clear.
        self.personal_values: list[str] = []

    def writer_at(self, version: int) -> UserStream:
        """Another writer of this stream that loaded it at `version`: stale once this one moved past it."""
        other = copy.copy(self)
        other.version = version
        other.personal_values = list(self.personal_values)
        return other

    def _next(self, event_type: type[DomainEvent], **fields: Any) -> Any:
        self.version += 1
        at = EPOCH + timedelta(minutes=self.version)
        return event_type(stream_id=self.id, version=self.version, occurred_at=at, **fields)

    def registered(self, role: str = "user") -> UserRegistered:
        password_hash = f"$argon2id$v=19$m=1024,t=1,p=1$salt{self.id.hex[:10]}$hash{self.id.hex[10:20]}"
        self.personal_values += [self.email, self.display_name, password_hash]
        return self._next(
            UserRegistered, email=self.email, display_name=self.display_name, password_hash=password_hash, role=role
        )

    def email_claimed(self) -> EmailClaimed:
        # The claim lives in its own stream (a fingerprint of the address in production).
        return EmailClaimed(stream_id=uuid4(), version=1, occurred_at=EPOCH, user_id=self.id)

    def profile_changed(self, *, email: str | None = None, display_name: str | None = None) -> ProfileChanged:
        if email is not None:
            self.email = email
            self.personal_values.append(email)
        if display_name is not None:
            self.display_name = display_name
            self.personal_values.append(display_name)
        return self._next(ProfileChanged, email=email, display_name=display_name)

    def preferences_changed(
        self, base_currency: str = "EUR", default_interval: str = "4h", timezone: str = "Europe/Berlin", theme="dark"
    ) -> PreferencesChanged:
        return self._next(
            PreferencesChanged,
            base_currency=base_currency,
            default_interval=default_interval,
            timezone=timezone,
            theme=theme,
        )

    def login_succeeded(self, client_address: str = "") -> LoginSucceeded:
        address = client_address or f"203.0.113.{self.id.int % 250 + 1}"
        self.personal_values.append(address)
        return self._next(LoginSucceeded, client_address=address)

    def session_started(self) -> SessionStarted:
        token_hash = f"tokenhash-{self.id.hex}"
        self.personal_values.append(token_hash)
        return self._next(
            SessionStarted, family_id=uuid4(), token_hash=token_hash, expires_at=EPOCH + timedelta(days=30)
        )

    def deleted(self) -> UserDeleted:
        return self._next(UserDeleted)


def recorded(events: Iterable[DomainEvent], first_id: int = 1) -> list[RecordedEvent]:
    """Events as the notification log would deliver them, numbered from `first_id`."""
    return [RecordedEvent(first_id + offset, event) for offset, event in enumerate(events)]


def stream_versions(events: Sequence[RecordedEvent] | Sequence[DomainEvent]) -> list[tuple[UUID, int]]:
    plain = [item.event if isinstance(item, RecordedEvent) else item for item in events]
    return [(event.stream_id, event.version) for event in plain]


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], within: float = 10.0) -> T:
    """Poll `probe` until its result satisfies `until`; fail with the last result at the deadline."""
    deadline = time.monotonic() + within
    delay = 0.01
    while True:
        result = await probe()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within}s; last result: {result!r}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)
