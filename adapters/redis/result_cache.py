"""The analytics result cache in Redis, shared by every API replica.

Versions live in one hash; a read fetches the versions and the value in one round trip (a Lua script
builds the key from the versions it just read), so a bump can never be half-seen.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from application.ports.cache import Series

_GET = """
local versions = redis.call('HMGET', KEYS[1], unpack(ARGV, 2))
local parts = {}
for i, name in ipairs({unpack(ARGV, 2)}) do
  parts[#parts + 1] = name .. '@' .. (versions[i] or '0')
end
return redis.call('GET', KEYS[2] .. table.concat(parts, ',') .. '|' .. ARGV[1])
"""

_PUT = """
local ttl = ARGV[1]
local key = ARGV[2]
local names = {unpack(ARGV, 4)}
local versions = redis.call('HMGET', KEYS[1], unpack(names))
local parts = {}
for i, name in ipairs(names) do
  parts[#parts + 1] = name .. '@' .. (versions[i] or '0')
end
redis.call('SET', KEYS[2] .. table.concat(parts, ',') .. '|' .. key, ARGV[3], 'EX', ttl)
return 1
"""


class RedisResultCache:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._versions = f"{prefix}versions"
        self._values = f"{prefix}value:"
        self._get = redis.register_script(_GET)
        self._put = redis.register_script(_PUT)

    @staticmethod
    def _names(series: Sequence[Series]) -> list[str]:
        return ["/".join(one) for one in series]

    async def get(self, series: Sequence[Series], key: str) -> bytes | None:
        value = await self._get(keys=[self._versions, self._values], args=[key, *self._names(series)])
        return None if value is None else bytes(value)

    async def put(self, series: Sequence[Series], key: str, value: bytes, ttl_seconds: int) -> None:
        await self._put(keys=[self._versions, self._values], args=[ttl_seconds, key, value, *self._names(series)])

    async def invalidate(self, series: Sequence[Series]) -> None:
        if not series:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in self._names(series):
                pipe.hincrby(self._versions, name, 1)
            await pipe.execute()
