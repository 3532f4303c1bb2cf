"""The rate limiter contract, run against the in-process limiter and the Redis one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from adapters.memory.rate_limiter import MemoryRateLimiter
from adapters.redis.rate_limiter import RedisRateLimiter
from application.ports.rate_limit import RateLimiter

from .support import eventually

pytestmark = pytest.mark.integration

LimiterFactory = Callable[[], RateLimiter]


@pytest.fixture
async def redis_replicas(redis_url: str) -> AsyncIterator[LimiterFactory]:
    """Limiters as separate API replicas would build them: each its own connection, one key prefix."""
    prefix = f"test:{uuid.uuid4().hex[:8]}:ratelimit:"
    clients: list[Redis] = []

    def replica() -> RateLimiter:
        client = Redis.from_url(redis_url)
        clients.append(client)
        return RedisRateLimiter(client, prefix=prefix)

    yield replica
    try:
        if clients:
            async for key in clients[0].scan_iter(match=f"{prefix}*"):
                await clients[0].delete(key)
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def new_limiter(request: pytest.FixtureRequest) -> LimiterFactory:
    if request.param == "memory":
        return MemoryRateLimiter
    return request.getfixturevalue("redis_replicas")


async def _hits(limiter: RateLimiter, key: str, count: int, *, limit: int, window: int) -> list[int]:
    return [await limiter.hit(key, limit=limit, window_seconds=window) for _ in range(count)]


class TestEveryLimiter:
    async def test_allows_hits_up_to_the_limit(self, new_limiter: LimiterFactory) -> None:
        limiter = new_limiter()

        assert await _hits(limiter, "login:203.0.113.9", 5, limit=5, window=60) == [0] * 5

    async def test_the_hit_over_the_limit_says_when_to_retry(self, new_limiter: LimiterFactory) -> None:
        limiter = new_limiter()
        await _hits(limiter, "login:a", 3, limit=3, window=60)

        retry_after = await limiter.hit("login:a", limit=3, window_seconds=60)
        again = await limiter.hit("login:a", limit=3, window_seconds=60)

        assert 1 <= retry_after <= 60
        assert 1 <= again <= retry_after

    async def test_counts_each_key_on_its_own(self, new_limiter: LimiterFactory) -> None:
        limiter = new_limiter()
        await _hits(limiter, "login:a", 3, limit=2, window=60)

        assert await limiter.hit("login:b", limit=2, window_seconds=60) == 0
        assert await limiter.hit("login:a", limit=2, window_seconds=60) > 0

    async def test_allows_again_once_the_window_is_over(self, new_limiter: LimiterFactory) -> None:
        limiter = new_limiter()
        assert await limiter.hit("login:a", limit=1, window_seconds=1) == 0
        assert await limiter.hit("login:a", limit=1, window_seconds=1) == 1

        await eventually(lambda: limiter.hit("login:a", limit=1, window_seconds=1), lambda wait: wait == 0, within=5)

        assert await limiter.hit("login:a", limit=1, window_seconds=1) == 1


class TestRedisLimiterReplicas:
    async def test_replicas_share_the_counts(self, redis_replicas: LimiterFactory) -> None:
        first, second = redis_replicas(), redis_replicas()
        await _hits(first, "login:a", 2, limit=3, window=60)

        assert await second.hit("login:a", limit=3, window_seconds=60) == 0
        assert await first.hit("login:a", limit=3, window_seconds=60) > 0
        assert await second.hit("login:a", limit=3, window_seconds=60) > 0

    async def test_concurrent_hits_on_replicas_are_all_counted(self, redis_replicas: LimiterFactory) -> None:
        replicas = [redis_replicas() for _ in range(4)]

        outcomes = await asyncio.gather(
            *(replica.hit("login:a", limit=10, window_seconds=60) for replica in replicas for _ in range(5))
        )

        assert sorted(outcome == 0 for outcome in outcomes) == [False] * 10 + [True] * 10
