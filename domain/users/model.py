"""The User aggregate: credentials, refresh-token families, preferences and erasure."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.shared.aggregate import Aggregate
from domain.shared.errors import Conflict, DomainError
from domain.shared.events import DomainEvent
from domain.users.errors import InvalidRefreshToken
from domain.users.events import (
    LoginFailed,
    LoginSucceeded,
    PasswordRehashed,
    PreferencesChanged,
    ProfileChanged,
    SessionRefreshed,
    SessionRevoked,
    SessionStarted,
    UserDeleted,
    UserRegistered,
)
from domain.users.preferences import Preferences


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class Rotation(enum.Enum):
    ROTATED = "rotated"
    REUSE_DETECTED = "reuse_detected"


@dataclass
class Session:
    """One refresh-token family: the hash of the live token and of every token it replaced."""

    current_hash: str
    expires_at: datetime
    used_hashes: set[str] = field(default_factory=set)


class User(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self._init_state()

    def _init_state(self) -> None:
        self.email = ""
        self.display_name = ""
        self.password_hash = ""
        self.role = Role.USER
        self.preferences = Preferences()
        self.sessions: dict[UUID, Session] = {}
        self.registered_at: datetime | None = None
        self.last_login_at: datetime | None = None
        self.deleted = False

    @classmethod
    def register(cls, id: UUID, *, email: str, display_name: str, password_hash: str, role: Role, at: datetime) -> User:
        user = cls(id)
        user._trigger(
            UserRegistered,
            occurred_at=at,
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=role.value,
        )
        return user

    def change_profile(self, *, at: datetime, email: str | None = None, display_name: str | None = None) -> None:
        self._ensure_active()
        email = None if email == self.email else email
        display_name = None if display_name == self.display_name else display_name
        if email is not None or display_name is not None:
            self._trigger(ProfileChanged, occurred_at=at, email=email, display_name=display_name)

    def record_login(self, *, succeeded: bool, client_address: str, at: datetime) -> None:
        self._ensure_active()
        self._trigger(LoginSucceeded if succeeded else LoginFailed, occurred_at=at, client_address=client_address)

    def rehash_password(self, password_hash: str, *, at: datetime) -> None:
        self._ensure_active()
        self._trigger(PasswordRehashed, occurred_at=at, password_hash=password_hash)

    def start_session(self, family_id: UUID, *, token_hash: str, expires_at: datetime, at: datetime) -> None:
        self._ensure_active()
        self._trigger(SessionStarted, occurred_at=at, family_id=family_id, token_hash=token_hash, expires_at=expires_at)

    def rotate_refresh_token(
        self, family_id: UUID, *, presented_hash: str, new_hash: str, expires_at: datetime, at: datetime
    ) -> Rotation:
        """Replace the family's live token; a token that was already replaced revokes the family."""
        session = self.sessions.get(family_id)
        if self.deleted or session is None:
            raise InvalidRefreshToken()
        if presented_hash in session.used_hashes:
            self._trigger(SessionRevoked, occurred_at=at, family_id=family_id, reason="refresh token reused")
            return Rotation.REUSE_DETECTED
        if presented_hash != session.current_hash or session.expires_at <= at:
            raise InvalidRefreshToken()
        self._trigger(SessionRefreshed, occurred_at=at, family_id=family_id, token_hash=new_hash, expires_at=expires_at)
        return Rotation.ROTATED

    def revoke_session(self, family_id: UUID, *, presented_hash: str, reason: str, at: datetime) -> None:
        session = self.sessions.get(family_id)
        if self.deleted or session is None or presented_hash not in session.used_hashes | {session.current_hash}:
            raise InvalidRefreshToken()
        self._trigger(SessionRevoked, occurred_at=at, family_id=family_id, reason=reason)

    def set_preferences(self, preferences: Preferences, *, at: datetime) -> None:
        self._ensure_active()
        if preferences != self.preferences:
            self._trigger(PreferencesChanged, occurred_at=at, **_fields(preferences))

    def delete(self, *, at: datetime) -> None:
        self._ensure_active()
        for family_id, session in list(self.sessions.items()):
            if session.expires_at > at:
                self._trigger(SessionRevoked, occurred_at=at, family_id=family_id, reason="account deleted")
        self._trigger(UserDeleted, occurred_at=at)

    def _ensure_active(self) -> None:
        if self.deleted:
            raise Conflict("The account has been deleted.")
        if self.version == 0 and not self._pending:
            raise DomainError("The user has not been registered.")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case UserRegistered():
                self.email, self.display_name = event.email, event.display_name
                self.password_hash, self.role = event.password_hash, Role(event.role)
                self.registered_at = event.occurred_at
            case ProfileChanged():
                self.email = event.email if event.email is not None else self.email
                self.display_name = event.display_name if event.display_name is not None else self.display_name
            case PasswordRehashed():
                self.password_hash = event.password_hash
            case LoginSucceeded():
                self.last_login_at = event.occurred_at
            case LoginFailed():
                pass
            case SessionStarted():
                # Forget families that expired by now: the state of a long-lived account stays small.
                for family_id in [f for f, s in self.sessions.items() if s.expires_at <= event.occurred_at]:
                    del self.sessions[family_id]
                self.sessions[event.family_id] = Session(event.token_hash, event.expires_at)
            case SessionRefreshed():
                session = self.sessions[event.family_id]
                session.used_hashes.add(session.current_hash)
                session.current_hash, session.expires_at = event.token_hash, event.expires_at
            case SessionRevoked():
                self.sessions.pop(event.family_id, None)
            case PreferencesChanged():
                self.preferences = Preferences(
                    base_currency=event.base_currency,
                    default_interval=event.default_interval,
                    timezone=event.timezone,
                    theme=event.theme,
                )
            case UserDeleted():
                self.deleted = True
                self.sessions.clear()
            case _:
                raise TypeError(f"User cannot apply {type(event).__name__}")


def _fields(preferences: Preferences) -> dict[str, str]:
    return {
        "base_currency": preferences.base_currency,
        "default_interval": preferences.default_interval,
        "timezone": preferences.timezone,
        "theme": preferences.theme,
    }
