"""Seeding a feed's own candle history: only for instruments without candles, rolled up to every interval."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from application.market.history import seed_history
from domain.market.instruments import Instrument
from domain.market.values import Candle

from .fakes import FakeCandleStore, FakePublisher

NOW = 1_767_225_600_000 + 3 * 86_400_000
MINUTE = 60_000


def made_up(instruments: Sequence[Instrument], end_ms: int, days: int) -> dict[str, list[Candle]]:
    one = Decimal(1)
    start = end_ms - days * 86_400_000
    return {
        i.symbol: [
            Candle(exchange="sim", symbol=i.symbol, interval="1m", open_time=start + m * MINUTE, open=one, high=one,
                   low=one, close=one, volume=one, trades=1, final=True, sealed=True)
            for m in range(days * 1440)
        ]
        for i in instruments
    }  # fmt: skip


async def test_history_is_imported_and_rolled_up_for_instruments_without_candles():
    store = FakeCandleStore()
    btc, eth = Instrument("BTC", "USDT"), Instrument("ETH", "USDT")
    await store.save([made_up([eth], NOW, 1)["ETH-USDT"][-1]], "live", {})
    imported = await seed_history(
        made_up, "sim", [btc, eth], days=1, store=store, publisher=FakePublisher(), now_ms=lambda: NOW
    )
    assert imported == 1440
    assert len(store.series("1m", "BTC-USDT", "sim")) == 1440
    assert len(store.series("1d", "BTC-USDT", "sim")) == 1
    assert len(store.series("1m", "ETH-USDT", "sim")) == 1  # left alone: it had candles


async def test_no_days_means_no_history():
    store = FakeCandleStore()
    imported = await seed_history(
        made_up, "sim", [Instrument("BTC", "USDT")], days=0, store=store, publisher=FakePublisher(), now_ms=lambda: NOW
    )
    assert imported == 0
    assert store.rows == {}
