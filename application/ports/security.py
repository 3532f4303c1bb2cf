"""Ports for credentials: password hashing, tokens and keyed email fingerprints."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import msgspec


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        ...

    async def burn(self, password: str) -> None:
        """Spend the time a verification would, so unknown emails answer as slowly as wrong passwords."""
        ...


class AccessClaims(msgspec.Struct, frozen=True):
    user_id: UUID
    role: str
    session_id: UUID
    token_id: str


class IssuedAccessToken(msgspec.Struct, frozen=True):
    token: str
    expires_in: int


class RefreshToken(msgspec.Struct, frozen=True):
    """A refresh token as the client holds it, and the parts we store (only the hash)."""

    token: str
    user_id: UUID
    family_id: UUID
    token_hash: str


class TokenService(Protocol):
    refresh_lifetime_seconds: int

    def issue_access(self, user_id: UUID, role: str, session_id: UUID) -> IssuedAccessToken: ...

    def decode_access(self, token: str) -> AccessClaims:
        """Raises Unauthorized for anything but a valid, unexpired token of ours."""
        ...

    def new_refresh_token(self, user_id: UUID, family_id: UUID) -> RefreshToken: ...

    def read_refresh_token(self, token: str) -> RefreshToken:
        """Raises InvalidRefreshToken when the token is malformed."""
        ...


class EmailFingerprints(Protocol):
    def stream_id(self, normalized_email: str) -> UUID:
        """A stable id for the address that cannot be reversed or confirmed without our key."""
        ...
