"""What the users commands return: enough for the caller to answer and to read its own writes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class Registered(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    email: str
    display_name: str
    role: str
    created_at: datetime
    version: int
    notification_id: int


class TokenPair(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int
    notification_id: int


class Changed(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    version: int
    notification_id: int
