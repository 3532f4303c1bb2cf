"""Live summaries: each final candle moves the tracked indicators on, equal to the batch summary."""

from __future__ import annotations

import msgspec
import pytest

from adapters.memory.result_cache import MemoryResultCache
from application.analytics.invalidation import CacheInvalidator
from application.analytics.live import LiveIndicators
from application.analytics.summary import SummaryQuery, latest_summary
from application.market.catalog import Catalog
from application.market.messages import final_candle_messages
from application.ports.records import InboundRecord

from ..market.fakes import FakeCandleStore, FakeFanout
from .test_indicators import random_walk


class NoListings:
    async def all(self):
        return []


def just_after(candles):
    return lambda: candles[-1].open_time + 60_000


def record(candle, offset: int) -> InboundRecord:
    (message,) = final_candle_messages([msgspec.structs.replace(candle, final=True)])
    return InboundRecord(message.topic, 0, offset, message.key, message.value)


def assert_close(live: dict, batch: dict) -> None:
    assert set(live) == set(batch)
    for name, value in batch.items():
        if isinstance(value, dict):
            assert live[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
        else:
            assert live[name] == pytest.approx(value, rel=1e-9), name


async def test_each_final_candle_pushes_a_summary_equal_to_the_batch_one():
    candles = [msgspec.structs.replace(c, exchange="test") for c in random_walk(400)]
    store, fanout = FakeCandleStore(), FakeFanout()
    await store.save(candles[:300], "test", {})
    live = LiveIndicators(CacheInvalidator(MemoryResultCache()), store, fanout, just_after(candles))
    for offset, candle in enumerate(candles[300:]):
        await live.handle([record(candle, offset)])
        await store.save([candle], "test", {})
    batch = await latest_summary(
        SummaryQuery(symbol="BTC-USDT", interval="1m", exchange="test"), Catalog(NoListings()), store
    )
    pushed = msgspec.json.decode(fanout.updates[-1].payload)
    # Only candles that closed just now reach subscribers (the clock is a minute after the last one).
    assert len(fanout.updates) == 2
    assert (pushed["type"], pushed["symbol"], pushed["time"]) == ("indicators", "BTC-USDT", batch.time)
    assert_close(pushed["values"], batch.values)


async def test_a_missing_bucket_is_fed_as_a_flat_bar_like_the_batch_side_fills_it():
    candles = [msgspec.structs.replace(c, exchange="test") for c in random_walk(300, skip=frozenset({295}))]
    store, fanout = FakeCandleStore(), FakeFanout()
    await store.save(candles[:-6], "test", {})
    live = LiveIndicators(CacheInvalidator(MemoryResultCache()), store, fanout, just_after(candles))
    for offset, candle in enumerate(candles[-6:]):
        await live.handle([record(candle, offset)])
        await store.save([candle], "test", {})
    batch = await latest_summary(
        SummaryQuery(symbol="BTC-USDT", interval="1m", exchange="test"), Catalog(NoListings()), store
    )
    assert_close(msgspec.json.decode(fanout.updates[-1].payload)["values"], batch.values)


async def test_a_corrected_candle_rebuilds_the_series_from_the_store():
    candles = [msgspec.structs.replace(c, exchange="test") for c in random_walk(200)]
    store, fanout = FakeCandleStore(), FakeFanout()
    await store.save(candles, "test", {})
    live = LiveIndicators(CacheInvalidator(MemoryResultCache()), store, fanout, just_after(candles))
    await live.handle([record(candles[-1], 0)])
    corrected = msgspec.structs.replace(candles[-1], close=candles[-1].close * 2, high=candles[-1].high * 2)
    await store.save([corrected], "test", {})
    await live.handle([record(corrected, 1)])
    batch = await latest_summary(
        SummaryQuery(symbol="BTC-USDT", interval="1m", exchange="test"), Catalog(NoListings()), store
    )
    assert_close(msgspec.json.decode(fanout.updates[-1].payload)["values"], batch.values)


async def test_an_import_of_old_history_moves_nothing_and_pushes_nothing():
    candles = [msgspec.structs.replace(c, exchange="test") for c in random_walk(3_000)]
    store, fanout = FakeCandleStore(), FakeFanout()
    await store.save(candles, "test", {})
    live = LiveIndicators(CacheInvalidator(MemoryResultCache()), store, fanout, just_after(candles))
    await live.handle([record(candles[-1], 0)])
    before = msgspec.json.decode(fanout.updates[-1].payload)["values"]
    await live.handle([record(c, 1 + n) for n, c in enumerate(candles[:1_500])])
    await live.handle([record(candles[-1], 2_000)])
    assert len(fanout.updates) == 2
    assert_close(msgspec.json.decode(fanout.updates[-1].payload)["values"], before)
