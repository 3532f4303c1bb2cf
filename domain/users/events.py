"""Events of the users context. Topics are stored names: never rename one, add a new version instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.shared.events import DomainEvent, EventRegistry


class UserRegistered(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.UserRegistered.v1"
    PERSONAL_FIELDS = ("email", "display_name", "password_hash")
    email: str
    display_name: str
    password_hash: str
    role: str


class ProfileChanged(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.ProfileChanged.v1"
    PERSONAL_FIELDS = ("email", "display_name")
    email: str | None = None
    display_name: str | None = None


class PasswordRehashed(DomainEvent, frozen=True, kw_only=True):
    """The password hash was upgraded to the current argon2 parameters at a successful login."""

    TOPIC = "users.PasswordRehashed.v1"
    PERSONAL_FIELDS = ("password_hash",)
    password_hash: str


class LoginSucceeded(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.LoginSucceeded.v1"
    PERSONAL_FIELDS = ("client_address",)
    client_address: str


class LoginFailed(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.LoginFailed.v1"
    PERSONAL_FIELDS = ("client_address",)
    client_address: str


class SessionStarted(DomainEvent, frozen=True, kw_only=True):
    """A login opened a refresh-token family; only the token's hash is kept."""

    TOPIC = "users.SessionStarted.v1"
    family_id: UUID
    token_hash: str
    expires_at: datetime


class SessionRefreshed(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.SessionRefreshed.v1"
    family_id: UUID
    token_hash: str
    expires_at: datetime


class SessionRevoked(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.SessionRevoked.v1"
    family_id: UUID
    reason: str


class PreferencesChanged(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.PreferencesChanged.v2"
    base_currency: str
    default_interval: str
    timezone: str
    theme: str


class UserDeleted(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.UserDeleted.v1"


class EmailClaimed(DomainEvent, frozen=True, kw_only=True):
    """An email address was taken by a user. The stream id is a keyed fingerprint of the address."""

    TOPIC = "users.EmailClaimed.v1"
    user_id: UUID


class EmailReleased(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "users.EmailReleased.v1"
    user_id: UUID


def _preferences_v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    # v1 predates themes; every v1 user saw the light theme.
    return {**state, "theme": "light"}


USER_EVENTS = EventRegistry(
    [
        UserRegistered,
        ProfileChanged,
        PasswordRehashed,
        LoginSucceeded,
        LoginFailed,
        SessionStarted,
        SessionRefreshed,
        SessionRevoked,
        PreferencesChanged,
        UserDeleted,
        EmailClaimed,
        EmailReleased,
    ],
    upcasters={"users.PreferencesChanged.v1": ("users.PreferencesChanged.v2", _preferences_v1_to_v2)},
)
