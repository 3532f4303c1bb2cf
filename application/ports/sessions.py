"""The session revocation port: sessions whose access tokens must die before they expire."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID


class SessionRevocations(Protocol):
    """Remembers revoked sessions for as long as an access token of theirs can still be valid."""

    async def revoke(self, session_ids: Sequence[UUID]) -> None: ...

    async def is_revoked(self, session_id: UUID) -> bool: ...
