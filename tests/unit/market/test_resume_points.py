"""Where exchange feeds resume at start-up: the last stored minute, no more than a day back."""

from __future__ import annotations

from decimal import Decimal

from application.market.resume import MAX_RESUME_MS, resume_points
from domain.market.instruments import Instrument
from domain.market.values import Candle

from .fakes import FakeCandleStore

NOW = 1_767_225_600_000 + 123_456
MINUTE = 60_000


def minute(exchange: str, symbol: str, open_time: int) -> Candle:
    one = Decimal(1)
    return Candle(
        exchange=exchange, symbol=symbol, interval="1m", open_time=open_time, open=one, high=one, low=one, close=one,
        volume=one,
    )  # fmt: skip


async def test_each_symbol_resumes_at_its_last_stored_minute_of_that_exchange():
    store = FakeCandleStore()
    await store.save(
        [
            minute("binance", "BTC-USDT", NOW - NOW % MINUTE - 5 * MINUTE),
            minute("binance", "BTC-USDT", NOW - NOW % MINUTE - 3 * MINUTE),
            minute("coinbase", "ETH-USDT", NOW - NOW % MINUTE - MINUTE),
        ],
        "test",
        {},
    )
    points = await resume_points(store, "binance", [Instrument("BTC", "USDT"), Instrument("ETH", "USDT")], lambda: NOW)
    assert points == {"BTC-USDT": NOW - NOW % MINUTE - 3 * MINUTE}


async def test_a_feed_stopped_for_longer_than_a_day_resumes_a_day_back():
    store = FakeCandleStore()
    await store.save([minute("binance", "BTC-USDT", NOW - 30 * MAX_RESUME_MS)], "test", {})
    points = await resume_points(store, "binance", [Instrument("BTC", "USDT")], lambda: NOW)
    oldest = NOW - MAX_RESUME_MS
    assert points == {"BTC-USDT": oldest - oldest % MINUTE}
