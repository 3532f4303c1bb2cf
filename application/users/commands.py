"""Commands of the users context: what a caller asks the system to do."""

from __future__ import annotations

from uuid import UUID

import msgspec


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every command: immutable, keyword-only."""


class RegisterUser(Command, frozen=True, kw_only=True):
    email: str
    password: str
    display_name: str
    role: str = "user"


class LogIn(Command, frozen=True, kw_only=True):
    email: str
    password: str
    client_address: str


class RefreshSession(Command, frozen=True, kw_only=True):
    refresh_token: str


class LogOut(Command, frozen=True, kw_only=True):
    refresh_token: str


class ChangeProfile(Command, frozen=True, kw_only=True):
    user_id: UUID
    email: str | None = None
    display_name: str | None = None


class ChangePreferences(Command, frozen=True, kw_only=True):
    user_id: UUID
    base_currency: str
    default_interval: str
    timezone: str
    theme: str


class DeleteUser(Command, frozen=True, kw_only=True):
    user_id: UUID
