"""Candles from trades: the book's incremental building, closing, sealing, and roll-ups from 1m."""

from __future__ import annotations

import random
from decimal import Decimal

from domain.market.candles import CandleBook, higher_buckets, roll_up
from domain.market.intervals import INTERVAL_MS, INTERVALS, bucket_start
from domain.market.values import Candle, Trade

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000


def trade(price: str, quantity: str = "1", at: int = T0, trade_id: int = 1, symbol: str = "BTC-USDT") -> Trade:
    return Trade(
        exchange="test",
        symbol=symbol,
        trade_id=str(trade_id),
        price=Decimal(price),
        quantity=Decimal(quantity),
        time=at,
        side="buy",
    )


def by_key(candles: list[Candle]) -> dict[tuple[str, int], Candle]:
    return {(c.interval, c.open_time): c for c in candles}


def test_first_trade_opens_a_candle_at_every_interval():
    book = CandleBook()
    book.apply(trade("100", "2", at=T0 + 5_000))
    candles = by_key(book.drain())
    assert set(candles) == {(interval, T0) for interval in INTERVALS}
    one = candles[("1m", T0)]
    assert (one.open, one.high, one.low, one.close, one.volume, one.trades) == (
        Decimal("100"),
        Decimal("100"),
        Decimal("100"),
        Decimal("100"),
        Decimal("2"),
        1,
    )
    assert not one.final


def test_trades_update_high_low_close_and_volume_exactly():
    book = CandleBook()
    for i, (price, quantity) in enumerate([("100.10", "0.5"), ("101.25", "0.25"), ("99.95", "1.125"), ("100.5", "2")]):
        book.apply(trade(price, quantity, at=T0 + i * 1000, trade_id=i))
    one = by_key(book.drain())[("1m", T0)]
    assert one.open == Decimal("100.10")
    assert one.high == Decimal("101.25")
    assert one.low == Decimal("99.95")
    assert one.close == Decimal("100.5")
    assert one.volume == Decimal("3.875")
    assert one.trades == 4


def test_a_candle_is_final_once_its_interval_and_the_grace_for_late_trades_have_passed():
    book = CandleBook(grace_ms=2_000)
    book.apply(trade("100", at=T0 + 1_000))
    book.drain()
    book.apply(trade("101", at=T0 + MINUTE + 1_000))
    assert not any(c.final for c in book.drain())
    book.close_due(T0 + MINUTE + 2_000)
    candles = by_key(book.drain())
    assert candles[("1m", T0)].final
    assert ("1m", T0 + MINUTE) not in candles
    # The 5m candle still runs.
    assert ("5m", T0) not in candles


def test_a_trade_for_a_candle_already_final_is_counted_as_late_and_changes_nothing():
    book = CandleBook(grace_ms=2_000)
    book.apply(trade("100", at=T0 + 1_000))
    book.apply(trade("101", at=T0 + MINUTE + 1_000))
    book.close_due(T0 + MINUTE + 2_000)
    book.drain()
    book.apply(trade("50", at=T0 + 59_000))
    assert book.late_trades == 1
    assert book.drain() == []


def test_the_clock_closes_candles_of_a_quiet_symbol_after_the_grace():
    book = CandleBook(grace_ms=2_000)
    book.apply(trade("100", at=T0 + 1_000))
    book.drain()
    book.close_due(T0 + MINUTE + 1_999)
    assert book.drain() == []
    book.close_due(T0 + MINUTE + 2_000)
    closed = by_key(book.drain())
    assert set(closed) == {("1m", T0)}
    assert closed[("1m", T0)].final


def test_a_late_trade_still_lands_in_its_own_minute_and_does_not_move_the_close():
    book = CandleBook()
    book.apply(trade("100", at=T0 + 50_000, trade_id=1))
    book.apply(trade("105", at=T0 + MINUTE + 1_000, trade_id=2))
    book.drain()
    book.apply(trade("90", at=T0 + 40_000, trade_id=3))
    previous = by_key(book.drain())[("1m", T0)]
    assert previous.low == Decimal("90")
    assert previous.close == Decimal("100")
    assert previous.trades == 2
    assert not previous.final  # the grace for late trades has not passed


def test_a_trade_older_than_the_previous_bucket_is_counted_as_too_late():
    book = CandleBook()
    book.apply(trade("100", at=T0 + 10 * MINUTE))
    book.drain()
    book.apply(trade("90", at=T0))
    assert book.late_trades == 1
    changed = book.drain()
    assert ("1m", T0) not in by_key(changed)


def test_higher_intervals_built_from_trades_equal_the_roll_up_of_their_minutes():
    rng = random.Random(3)
    book = CandleBook()
    price = Decimal("100")
    stored: dict[tuple[str, int], Candle] = {}
    for i in range(3_000):
        price = max(Decimal("1"), price + Decimal(rng.randint(-50, 50)) / 100)
        book.apply(trade(str(price), str(Decimal(rng.randint(1, 1000)) / 1000), at=T0 + i * 7_919, trade_id=i))
        if i % 97 == 0:
            stored.update(by_key(book.drain()))
    stored.update(by_key(book.drain()))
    minutes = [c for (interval, _), c in stored.items() if interval == "1m"]
    for interval in INTERVALS[1:]:
        for rolled in roll_up(minutes, interval, final=False):
            built = stored[(interval, rolled.open_time)]
            assert (built.open, built.high, built.low, built.close, built.volume, built.trades) == (
                rolled.open,
                rolled.high,
                rolled.low,
                rolled.close,
                rolled.volume,
                rolled.trades,
            ), interval


def test_a_sealed_exchange_candle_replaces_the_built_one_and_ignores_later_trades():
    book = CandleBook()
    book.apply(trade("100", at=T0 + 1_000))
    book.drain()
    exchange_candle = Candle(
        exchange="test",
        symbol="BTC-USDT",
        interval="1m",
        open_time=T0,
        open=Decimal("100"),
        high=Decimal("102"),
        low=Decimal("99"),
        close=Decimal("101"),
        volume=Decimal("7"),
        trades=9,
        final=True,
        sealed=True,
    )
    assert book.seal(exchange_candle) is True
    book.apply(trade("150", at=T0 + 30_000))
    minute = by_key(book.drain())[("1m", T0)]
    assert (minute.close, minute.volume, minute.sealed) == (Decimal("101"), Decimal("7"), True)


def test_sealing_a_candle_identical_to_the_built_one_reports_no_change():
    book = CandleBook()
    book.apply(trade("100", "2", at=T0 + 1_000))
    built = by_key(book.drain())[("1m", T0)]
    assert book.seal(built) is False


def test_restored_candles_continue_where_the_stored_ones_stopped():
    book = CandleBook()
    book.apply(trade("100", "1", at=T0 + 1_000))
    stored = book.drain()
    restarted = CandleBook()
    restarted.restore(stored)
    restarted.apply(trade("110", "1", at=T0 + 2_000))
    minute = by_key(restarted.drain())[("1m", T0)]
    assert (minute.open, minute.high, minute.close, minute.volume, minute.trades) == (
        Decimal("100"),
        Decimal("110"),
        Decimal("110"),
        Decimal("2"),
        2,
    )


def test_roll_up_leaves_out_buckets_without_minutes():
    minutes = [
        Candle(
            exchange="x",
            symbol="BTC-USDT",
            interval="1m",
            open_time=T0 + offset * MINUTE,
            open=Decimal(1),
            high=Decimal(2),
            low=Decimal(1),
            close=Decimal(2),
            volume=Decimal(1),
        )
        for offset in (0, 1, 12)
    ]
    rolled = roll_up(minutes, "5m", final=True)
    assert [c.open_time for c in rolled] == [T0, T0 + 10 * MINUTE]
    assert rolled[0].volume == Decimal(2)


def test_higher_buckets_name_every_interval_holding_a_minute():
    assert higher_buckets([T0 + 7 * MINUTE]) == {
        (interval, bucket_start(T0 + 7 * MINUTE, interval)) for interval in INTERVALS[1:]
    }
    assert INTERVAL_MS["1d"] == 1440 * MINUTE
