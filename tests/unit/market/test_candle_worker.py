"""The candle worker: trades and exchange candles in; stored candles, prices and live updates out."""

from __future__ import annotations

import random
from decimal import Decimal

import msgspec
import pytest

from adapters.memory.prices import MemoryPriceStore
from application.market.candle_worker import CandleWorker
from application.market.messages import CANDLES_TOPIC, KLINES_TOPIC, TICKERS_TOPIC, TRADES_TOPIC, to_message
from application.ports.records import InboundRecord
from domain.market.candles import roll_up
from domain.market.intervals import INTERVALS
from domain.market.values import Candle, Ticker, Trade

from .fakes import FakeCandleStore, FakeFanout, FakePublisher

T0 = 1_767_225_600_000
MINUTE = 60_000


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class Harness:
    def __init__(self, store: FakeCandleStore | None = None, now: int = T0) -> None:
        self.store = store or FakeCandleStore()
        self.prices = MemoryPriceStore()
        self.publisher = FakePublisher()
        self.fanout = FakeFanout()
        self.clock = Clock(now)
        self.worker = CandleWorker(self.store, self.prices, self.publisher, self.fanout, self.clock, grace_ms=2_000)
        self.offsets: dict[str, int] = {}

    def record(self, event: Trade | Ticker | Candle, partition: int = 0) -> InboundRecord:
        message = to_message(event)
        offset = self.offsets.get(message.topic, 0)
        self.offsets[message.topic] = offset + 1
        return InboundRecord(message.topic, partition, offset, message.key, message.value)

    def finals(self) -> list[Candle]:
        decoder = msgspec.json.Decoder(Candle)
        return [decoder.decode(m.value) for m in self.publisher.messages if m.topic == CANDLES_TOPIC]


def trade(price: str, at: int, trade_id: int, quantity: str = "1", symbol: str = "BTC-USDT") -> Trade:
    return Trade(
        exchange="test",
        symbol=symbol,
        trade_id=str(trade_id),
        price=Decimal(price),
        quantity=Decimal(quantity),
        time=at,
    )


async def test_trades_become_stored_candles_at_every_interval_with_positions():
    h = Harness()
    await h.worker.load_positions()
    records = [h.record(trade("100", T0 + i * 1_000, i)) for i in range(5)]
    await h.worker.handle(records)
    assert {c.interval for c in h.store.rows.values()} == set(INTERVALS)
    (minute,) = h.store.series("1m")
    assert minute.volume == Decimal(5)
    assert h.store.stored_positions["candles"] == {f"{TRADES_TOPIC}:0": 5}


async def test_redelivered_records_change_nothing():
    h = Harness()
    await h.worker.load_positions()
    records = [h.record(trade("100", T0 + i * 1_000, i)) for i in range(5)]
    await h.worker.handle(records)
    before = dict(h.store.rows)
    await h.worker.handle(records)
    assert h.store.rows == before
    assert h.worker.stats.redelivered == 5


async def test_a_restarted_worker_continues_from_the_stored_candles_and_positions():
    store = FakeCandleStore()
    first = Harness(store)
    await first.worker.load_positions()
    records = [first.record(trade(str(100 + i), T0 + i * 1_000, i)) for i in range(10)]
    await first.worker.handle(records[:6])

    # A crash: the second worker gets everything again from the broker (nothing was committed there).
    second = Harness(store)
    await second.worker.load_positions()
    await second.worker.handle(records)
    (minute,) = store.series("1m")
    assert (minute.volume, minute.trades, minute.close, minute.high) == (Decimal(10), 10, Decimal(109), Decimal(109))


async def test_final_candles_are_published_when_the_interval_ends():
    h = Harness()
    await h.worker.load_positions()
    await h.worker.handle([h.record(trade("100", T0 + 1_000, 1))])
    assert h.finals() == []
    h.clock.now = T0 + MINUTE + 2_000
    await h.worker.handle([])
    (final,) = h.finals()
    assert (final.interval, final.open_time, final.final) == ("1m", T0, True)
    assert h.store.series("1m")[0].final
    (live,) = [u for u in h.fanout.updates if u.kind == "candle"]
    assert msgspec.json.decode(live.payload) == {
        "type": "candle",
        "symbol": "BTC-USDT",
        "exchange": "test",
        "interval": "1m",
        "open_time": "2026-01-01T00:00:00Z",
        "open": "100",
        "high": "100",
        "low": "100",
        "close": "100",
        "volume": "1",
        "trades": 1,
    }


async def test_latest_prices_and_live_price_updates_follow_trades():
    h = Harness()
    await h.worker.load_positions()
    await h.worker.handle([h.record(trade("100", T0 + 1_000, 1)), h.record(trade("101", T0 + 2_000, 2))])
    prices = await h.prices.get(["BTC-USDT"])
    assert prices["BTC-USDT"].price == Decimal("101")
    assert prices["BTC-USDT"].source == "test"
    assert [msgspec.json.decode(u.payload)["price"] for u in h.fanout.updates] == ["101"]


async def test_an_unchanged_price_sends_no_live_update():
    h = Harness()
    await h.worker.load_positions()
    await h.worker.handle([h.record(trade("100", T0 + 1_000, 1))])
    await h.worker.handle([h.record(trade("100", T0 + 2_000, 2))])
    assert len([u for u in h.fanout.updates if u.kind == "price"]) == 1


async def test_a_ticker_updates_the_latest_price_without_a_live_price_message():
    h = Harness()
    await h.worker.load_positions()
    ticker = Ticker(exchange="test", symbol="ETH-USDT", price=Decimal("3000.5"), time=T0)
    await h.worker.handle([h.record(ticker)])
    assert (await h.prices.get(["ETH-USDT"]))["ETH-USDT"].price == Decimal("3000.5")
    assert h.fanout.updates == []
    assert h.store.stored_positions["candles"] == {f"{TICKERS_TOPIC}:0": 1}


async def test_a_malformed_record_is_skipped_and_its_position_still_advances():
    h = Harness()
    await h.worker.load_positions()
    bad = InboundRecord(TRADES_TOPIC, 0, 0, b"test:BTC-USDT", b'{"price": "not a trade"}')
    good = InboundRecord(TRADES_TOPIC, 0, 1, b"test:BTC-USDT", to_message(trade("100", T0, 1)).value)
    await h.worker.handle([bad, good])
    assert h.worker.stats.malformed == 1
    assert h.store.stored_positions["candles"][f"{TRADES_TOPIC}:0"] == 2
    assert h.store.series("1m")[0].trades == 1


async def test_backfilled_exchange_minutes_fill_the_gap_and_roll_up_into_higher_intervals():
    h = Harness(now=T0 + 10 * MINUTE)
    await h.worker.load_positions()
    records = [h.record(trade("100", T0 + 1_000, 1)), h.record(trade("100", T0 + 9 * MINUTE + 1_000, 2))]
    minutes = [
        Candle(
            exchange="test",
            symbol="BTC-USDT",
            interval="1m",
            open_time=T0 + m * MINUTE,
            open=Decimal(100 + m),
            high=Decimal(110 + m),
            low=Decimal(90 + m),
            close=Decimal(101 + m),
            volume=Decimal(2),
            trades=3,
            final=True,
            sealed=True,
        )
        for m in range(1, 9)
    ]
    await h.worker.handle(records[:1])
    await h.worker.handle([h.record(c) for c in minutes])
    await h.worker.handle(records[1:])
    stored = h.store.series("1m")
    assert [c.open_time for c in stored] == [T0 + m * MINUTE for m in range(10)]
    expected = {c.open_time: c for c in roll_up(stored, "5m", final=True)}
    for candle in h.store.series("5m"):
        want = expected[candle.open_time]
        assert (candle.high, candle.low, candle.volume, candle.trades) == (
            want.high,
            want.low,
            want.volume,
            want.trades,
        )
    assert h.store.stored_positions["candles"][f"{KLINES_TOPIC}:0"] == len(minutes)


async def test_a_failed_save_stores_nothing_and_the_retried_batch_counts_each_trade_once():
    h = Harness()
    await h.worker.load_positions()
    await h.worker.handle([h.record(trade("100", T0 + 1_000, 1))])
    batch = [h.record(trade("105", T0 + 2_000, 2)), h.record(trade("95", T0 + 3_000, 3))]
    h.store.fail_next_saves = 1
    with pytest.raises(ConnectionError):
        await h.worker.handle(batch)
    h.worker.forget()
    await h.worker.load_positions()
    await h.worker.handle(batch)
    minute = h.store.series("1m")[0]
    assert (minute.trades, minute.volume, minute.high, minute.low) == (3, Decimal(3), Decimal(105), Decimal(95))


async def test_many_random_trades_give_the_same_candles_in_one_batch_or_many():
    rng = random.Random(11)
    trades = [trade(str(100 + rng.randint(-500, 500) / 100), T0 + i * 3_331, i) for i in range(2_000)]
    whole = Harness(now=T0 + 2_000 * 3_331)
    await whole.worker.load_positions()
    await whole.worker.handle([whole.record(t) for t in trades])
    pieces = Harness(now=T0 + 2_000 * 3_331)
    await pieces.worker.load_positions()
    records = [pieces.record(t) for t in trades]
    for start in range(0, len(records), 37):
        await pieces.worker.handle(records[start : start + 37])
    assert whole.store.rows == pieces.store.rows
