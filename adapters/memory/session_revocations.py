"""Revoked sessions in process memory (embedded mode), forgotten once their tokens have expired."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from uuid import UUID


class MemorySessionRevocations:
    def __init__(self, ttl_seconds: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._until: dict[UUID, float] = {}

    async def revoke(self, session_ids: Sequence[UUID]) -> None:
        now = self._clock()
        for expired in [sid for sid, until in self._until.items() if until <= now]:
            del self._until[expired]
        for session_id in session_ids:
            self._until[session_id] = now + self._ttl

    async def is_revoked(self, session_id: UUID) -> bool:
        until = self._until.get(session_id)
        return until is not None and until > self._clock()
