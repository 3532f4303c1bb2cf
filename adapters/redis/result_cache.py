"""The analytics result cache in Redis, shared by every API replica.

Versions live in one hash; a read fetches the versions and the value in one round trip (a Lua script
builds the key from the versions it just read), so a bump can never be half-seen, and a write goes under
the versions that read returned.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from application.ports.cache import Lookup, Series

# Returns {value or false, version of each series...}: the versions are what a later put stores under.
_GET = """
local versions = redis.call('HMGET', KEYS[1], unpack(ARGV, 2))
local parts = {}
local found = {}
for i, name in ipairs({unpack(ARGV, 2)}) do
  local version = versions[i] or '0'
  parts[#parts + 1] = name .. '@' .. version
  found[#found + 1] = version
end
local value = redis.call('GET', KEYS[2] .. table.concat(parts, ',') .. '|' .. ARGV[1])
return {value, unpack(found)}
"""


class RedisResultCache:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._versions = f"{prefix}versions"
        self._values = f"{prefix}value:"
        self._get = redis.register_script(_GET)

    @staticmethod
    def _names(series: Sequence[Series]) -> list[str]:
        return ["/".join(one) for one in series]

    async def get(self, series: Sequence[Series], key: str) -> Lookup:
        value, *versions = await self._get(keys=[self._versions, self._values], args=[key, *self._names(series)])
        return Lookup(None if not value else bytes(value), tuple(int(v) for v in versions))

    async def put(
        self, series: Sequence[Series], versions: Sequence[int], key: str, value: bytes, ttl_seconds: int
    ) -> None:
        named = ",".join(f"{name}@{version}" for name, version in zip(self._names(series), versions, strict=True))
        await self._redis.set(f"{self._values}{named}|{key}", value, ex=ttl_seconds)

    async def invalidate(self, series: Sequence[Series]) -> None:
        if not series:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in self._names(series):
                pipe.hincrby(self._versions, name, 1)
            await pipe.execute()
