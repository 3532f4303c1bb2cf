"""Fixed-window rate limiting in Redis, so that limits hold across API replicas."""

from __future__ import annotations

from redis.asyncio import Redis

# INCR and the first EXPIRE run atomically, so a crash between them cannot leave an immortal counter.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
return {count, ttl}
"""


class RedisRateLimiter:
    def __init__(self, client: Redis, prefix: str = "cap:ratelimit:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_HIT)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int:
        count, ttl = await self._script(keys=[self._prefix + key], args=[window_seconds])
        return 0 if int(count) <= limit else max(1, int(ttl))
