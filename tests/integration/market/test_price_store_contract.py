"""The latest-price store contract, run against the in-memory store (embedded) and Redis (full mode)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from adapters.memory.prices import MemoryPriceStore
from adapters.redis.prices import RedisPriceStore
from application.ports.market import PriceStore
from domain.market.values import Price

pytestmark = pytest.mark.integration

StoreFactory = Callable[[], PriceStore]
# 2021-10-12 00:35 UTC, in epoch milliseconds.
T0 = 1_633_998_900_000


@pytest.fixture
async def redis_replicas(redis_url: str) -> AsyncIterator[StoreFactory]:
    """Stores as separate processes would build them: each its own connection, one key prefix."""
    prefix = f"test:{uuid.uuid4().hex[:8]}:price:"
    clients: list[Redis] = []

    def replica() -> PriceStore:
        client = Redis.from_url(redis_url)
        clients.append(client)
        return RedisPriceStore(client, prefix=prefix)

    yield replica
    try:
        if clients:
            async for key in clients[0].scan_iter(match=f"{prefix}*"):
                await clients[0].delete(key)
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def new_store(request: pytest.FixtureRequest) -> StoreFactory:
    if request.param == "memory":
        return MemoryPriceStore
    return request.getfixturevalue("redis_replicas")


def price(symbol: str, value: str, seconds: float = 0, source: str = "binance") -> Price:
    return Price(symbol=symbol, price=Decimal(value), time=T0 + int(seconds * 1000), source=source)


class TestEveryPriceStore:
    async def test_get_returns_the_price_that_update_stored(self, new_store: StoreFactory) -> None:
        store = new_store()
        btc = price("BTC-USDT", "57312.45000000", source="coinbase")

        await store.update([btc])

        assert await store.get(["BTC-USDT"]) == {"BTC-USDT": btc}

    async def test_prices_keep_their_exact_digits(self, new_store: StoreFactory) -> None:
        store = new_store()
        tiny, large = price("SHIB-USDT", "0.000000012345678901"), price("BTC-USDT", "123456789.123456789")
        padded = price("NKN-USDT", "0.35270000")

        await store.update([tiny, large, padded])

        stored = await store.get(["SHIB-USDT", "BTC-USDT", "NKN-USDT"])
        assert stored == {"SHIB-USDT": tiny, "BTC-USDT": large, "NKN-USDT": padded}
        assert [str(stored[symbol].price) for symbol in ("BTC-USDT", "NKN-USDT")] == [
            "123456789.123456789",
            "0.35270000",
        ]

    async def test_a_newer_price_replaces_the_stored_one(self, new_store: StoreFactory) -> None:
        store = new_store()
        await store.update([price("BTC-USDT", "57312.45", seconds=0)])

        newer = price("BTC-USDT", "57320.01", seconds=1.5, source="coinbase")
        await store.update([newer])

        assert await store.get(["BTC-USDT"]) == {"BTC-USDT": newer}

    async def test_an_older_price_never_replaces_a_newer_one(self, new_store: StoreFactory) -> None:
        store = new_store()
        newer = price("BTC-USDT", "57320.01", seconds=2)
        await store.update([newer])

        await store.update([price("BTC-USDT", "57100.00", seconds=1, source="coinbase")])
        await store.update([price("BTC-USDT", "57100.00", seconds=-3600)])

        assert await store.get(["BTC-USDT"]) == {"BTC-USDT": newer}

    async def test_within_one_update_an_older_price_does_not_replace_a_newer_one(self, new_store: StoreFactory) -> None:
        store = new_store()
        newer, older = price("ETH-USDT", "3521.10", seconds=5), price("ETH-USDT", "3519.99", seconds=4)

        await store.update([newer, older])

        assert await store.get(["ETH-USDT"]) == {"ETH-USDT": newer}

    async def test_a_price_of_the_same_time_replaces_the_stored_one(self, new_store: StoreFactory) -> None:
        store = new_store()
        await store.update([price("BTC-USDT", "57312.45", seconds=1)])

        same_time = price("BTC-USDT", "57312.50", seconds=1, source="coinbase")
        await store.update([same_time])

        assert await store.get(["BTC-USDT"]) == {"BTC-USDT": same_time}

    async def test_unknown_symbols_are_absent(self, new_store: StoreFactory) -> None:
        store = new_store()
        btc = price("BTC-USDT", "57312.45")
        await store.update([btc])

        assert await store.get(["DOGE-USDT", "BTC-USDT", "XRP-EUR"]) == {"BTC-USDT": btc}
        assert await store.get(["DOGE-USDT"]) == {}
        assert await store.get([]) == {}

    async def test_one_update_stores_many_symbols(self, new_store: StoreFactory) -> None:
        store = new_store()
        coins = ["BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK"]
        prices = [price(f"{coin}-USDT", f"{100 + n}.{n:02d}", seconds=n) for n, coin in enumerate(coins)]

        await store.update(prices)

        assert await store.get([p.symbol for p in prices]) == {p.symbol: p for p in prices}

    async def test_an_empty_update_changes_nothing(self, new_store: StoreFactory) -> None:
        store = new_store()
        btc = price("BTC-USDT", "57312.45")
        await store.update([btc])

        await store.update([])

        assert await store.get(["BTC-USDT"]) == {"BTC-USDT": btc}


class TestRedisPriceStoreReplicas:
    async def test_replicas_read_the_prices_another_one_stored(self, redis_replicas: StoreFactory) -> None:
        worker, api = redis_replicas(), redis_replicas()
        btc = price("BTC-USDT", "57312.45")

        await worker.update([btc])

        assert await api.get(["BTC-USDT"]) == {"BTC-USDT": btc}

    async def test_a_replica_behind_cannot_overwrite_a_newer_price(self, redis_replicas: StoreFactory) -> None:
        ahead, behind = redis_replicas(), redis_replicas()
        newer = price("BTC-USDT", "57320.01", seconds=2)
        await ahead.update([newer])

        await behind.update([price("BTC-USDT", "57100.00", seconds=1)])

        assert await ahead.get(["BTC-USDT"]) == {"BTC-USDT": newer}
