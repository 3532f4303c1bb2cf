"""The analytics result cache contract, run against memory (embedded) and Redis shared by two replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from adapters.memory.result_cache import MemoryResultCache
from adapters.redis.result_cache import RedisResultCache
from application.ports.cache import ResultCache

pytestmark = pytest.mark.integration

BTC = ("binance", "BTC-USDT", "1m")
ETH = ("binance", "ETH-USDT", "1m")
BTC_1H = ("binance", "BTC-USDT", "1h")

CacheFactory = Callable[[], ResultCache]


async def put(cache: ResultCache, series: list, key: str, data: bytes, ttl: int) -> None:
    """Store as the cached path does: under the versions a lookup just returned."""
    lookup = await cache.get(series, key)
    await cache.put(series, lookup.versions, key, data, ttl)


async def value(cache: ResultCache, series: list, key: str) -> bytes | None:
    return (await cache.get(series, key)).value


@pytest.fixture
async def redis_replicas(redis_url: str) -> AsyncIterator[CacheFactory]:
    prefix = f"test:{uuid.uuid4().hex[:8]}:cache:"
    clients: list[Redis] = []

    def replica() -> ResultCache:
        client = Redis.from_url(redis_url)
        clients.append(client)
        return RedisResultCache(client, prefix)

    yield replica
    if clients:
        async for key in clients[0].scan_iter(match=f"{prefix}*"):
            await clients[0].delete(key)
    for client in clients:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def new_cache(request: pytest.FixtureRequest) -> CacheFactory:
    if request.param == "memory":
        shared = MemoryResultCache()
        return lambda: shared
    return request.getfixturevalue("redis_replicas")


async def test_a_stored_value_is_found_by_its_series_and_key(new_cache: CacheFactory) -> None:
    writer, reader = new_cache(), new_cache()
    await put(writer, [BTC], "rsi:14", b'{"points": []}', 60)
    assert await value(reader, [BTC], "rsi:14") == b'{"points": []}'
    assert await value(reader, [BTC], "rsi:21") is None
    assert await value(reader, [ETH], "rsi:14") is None


async def test_invalidating_a_series_retires_only_the_values_computed_from_it(new_cache: CacheFactory) -> None:
    cache = new_cache()
    await put(cache, [BTC], "rsi", b"btc", 60)
    await put(cache, [BTC_1H], "rsi", b"btc-1h", 60)
    await put(cache, [ETH], "rsi", b"eth", 60)
    await new_cache().invalidate([BTC])
    assert await value(cache, [BTC], "rsi") is None
    assert await value(cache, [BTC_1H], "rsi") == b"btc-1h"
    assert await value(cache, [ETH], "rsi") == b"eth"
    await put(cache, [BTC], "rsi", b"btc again", 60)
    assert await value(cache, [BTC], "rsi") == b"btc again"


async def test_a_value_over_several_series_is_retired_when_any_of_them_changes(new_cache: CacheFactory) -> None:
    cache = new_cache()
    await put(cache, [BTC, ETH], "correlation:90", b"0.8", 60)
    assert await value(cache, [BTC, ETH], "correlation:90") == b"0.8"
    await cache.invalidate([ETH])
    assert await value(cache, [BTC, ETH], "correlation:90") is None


async def test_a_value_computed_while_its_series_moved_on_is_never_served(new_cache: CacheFactory) -> None:
    cache = new_cache()
    before = await cache.get([BTC], "rsi")
    await new_cache().invalidate([BTC])  # a final candle arrives while the value is being computed
    await cache.put([BTC], before.versions, "rsi", b"computed from the old candles", 60)
    assert await value(cache, [BTC], "rsi") is None


async def test_a_value_expires_after_its_time_to_live(new_cache: CacheFactory) -> None:
    cache = new_cache()
    await put(cache, [BTC], "short", b"x", 1)
    await put(cache, [BTC], "long", b"y", 60)
    for _ in range(60):
        if await value(cache, [BTC], "short") is None:
            break
        await asyncio.sleep(0.05)
    assert await value(cache, [BTC], "short") is None
    assert await value(cache, [BTC], "long") == b"y"
