"""Request and response bodies of the users API: dedicated Structs, never domain events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

# Loose type limits only: the rules and their messages live in the domain, which answers 422.
ShortText = Annotated[str, msgspec.Meta(max_length=1024)]


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: ShortText
    password: ShortText
    display_name: ShortText


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: ShortText
    password: ShortText


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: ShortText


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    display_name: ShortText | None = None
    email: ShortText | None = None


class PreferencesBody(msgspec.Struct, forbid_unknown_fields=True):
    base_currency: ShortText
    default_interval: ShortText
    timezone: ShortText
    theme: ShortText


class UserResponse(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    created_at: datetime


class ProfileResponse(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    role: str
    created_at: datetime
    updated_at: datetime


class TokenResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"


class HealthResponse(msgspec.Struct):
    status: str


class DependencyStatus(msgspec.Struct):
    name: str
    ok: bool
    detail: str = ""


class ReadyResponse(msgspec.Struct):
    status: str
    mode: str
    dependencies: list[DependencyStatus]
