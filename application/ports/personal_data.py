"""The key vault port: one encryption key per data subject, destroyed to erase their personal data."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class KeyVault(Protocol):
    async def create_key(self, subject_id: UUID) -> None:
        """Create the subject's key if it does not exist yet (idempotent)."""
        ...

    async def shred(self, subject_id: UUID) -> None:
        """Destroy the subject's key: every personal field encrypted with it becomes unreadable."""
        ...
