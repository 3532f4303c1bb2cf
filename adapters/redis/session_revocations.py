"""Revoked sessions in Redis, seen by every API replica, each key expiring with the last token it guards."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis


class RedisSessionRevocations:
    def __init__(self, client: Redis, ttl_seconds: int, prefix: str = "cap:revoked:") -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    async def revoke(self, session_ids: Sequence[UUID]) -> None:
        if not session_ids:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.set(f"{self._prefix}{session_id}", b"1", ex=self._ttl)
            await pipe.execute()

    async def is_revoked(self, session_id: UUID) -> bool:
        return bool(await self._client.exists(f"{self._prefix}{session_id}"))
