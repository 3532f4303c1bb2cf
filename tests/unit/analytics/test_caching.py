"""Cached analytics: served from the cache until a final candle of their series arrives."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from adapters.memory.result_cache import MemoryResultCache
from application.analytics.caching import CachedResults
from application.analytics.invalidation import CacheInvalidator
from application.market.messages import final_candle_messages
from application.ports.records import InboundRecord
from domain.market.values import Candle

BTC = ("simulated", "BTC-USDT", "1m")
ETH = ("simulated", "ETH-USDT", "1m")


class Answer(msgspec.Struct):
    value: int


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.lookups: list[tuple[str, bool]] = []

    async def compute(self) -> Answer:
        self.calls += 1
        return Answer(self.calls)

    def count(self, kind: str, hit: bool) -> None:
        self.lookups.append((kind, hit))


def final_candle_record(symbol: str, offset: int = 0) -> InboundRecord:
    one = Decimal(1)
    candle = Candle(
        exchange="simulated", symbol=symbol, interval="1m", open_time=0, open=one, high=one, low=one, close=one,
        volume=one, final=True,
    )  # fmt: skip
    (message,) = final_candle_messages([candle])
    return InboundRecord(message.topic, 0, offset, message.key, message.value)


async def test_a_result_is_computed_once_and_then_served_from_the_cache():
    counter = Counter()
    results = CachedResults(MemoryResultCache(), counter.count)
    first = await results.get_or_compute("indicator", [BTC], "rsi", counter.compute)
    second = await results.get_or_compute("indicator", [BTC], "rsi", counter.compute)
    assert first == second == b'{"value":1}'
    assert counter.calls == 1
    assert counter.lookups == [("indicator", False), ("indicator", True)]


async def test_a_final_candle_of_the_series_makes_the_next_request_compute_again():
    cache, counter = MemoryResultCache(), Counter()
    results = CachedResults(cache, counter.count)
    await results.get_or_compute("indicator", [BTC], "rsi", counter.compute)
    await results.get_or_compute("correlation", [BTC, ETH], "90", counter.compute)
    await results.get_or_compute("indicator", [ETH], "rsi", counter.compute)

    await CacheInvalidator(cache).handle([final_candle_record("BTC-USDT")])

    assert await results.get_or_compute("indicator", [BTC], "rsi", counter.compute) == b'{"value":4}'
    assert await results.get_or_compute("correlation", [BTC, ETH], "90", counter.compute) == b'{"value":5}'
    assert await results.get_or_compute("indicator", [ETH], "rsi", counter.compute) == b'{"value":3}'


async def test_a_malformed_candle_record_is_skipped():
    invalidator = CacheInvalidator(MemoryResultCache())
    bad = InboundRecord("market.candles.v1", 0, 0, b"k", b"not json")
    await invalidator.handle([bad, final_candle_record("ETH-USDT", 1)])
    assert invalidator.invalidated == 1
