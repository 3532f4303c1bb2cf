"""The candle store contract, run against SQLite (embedded mode) and PostgreSQL (full mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.candles import SqlCandleStore
from adapters.sqlalchemy.engine import create_tables, create_views_engine
from adapters.sqlalchemy.market_tables import market_metadata
from application.ports.market import CandleQuery, CandleStore
from domain.market.values import Candle

pytestmark = pytest.mark.integration

MINUTE = 60_000
# 2021-10-12 00:00 UTC, the day of the Binance capture the prices below come from.
DAY = 1_633_996_800_000
TRADES = "market.trades.v1"
KLINES = "market.klines.v1"
# What the drivers raise for a position beyond a 64-bit integer: asyncpg through SQLAlchemy, sqlite3 bare.
UNSTORABLE = (DBAPIError, OverflowError)


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'market.sqlite'}"
    else:
        url = request.getfixturevalue("fresh_database").replace("postgresql://", "postgresql+asyncpg://", 1)
    built = create_views_engine(url, pool_size=4)
    try:
        await create_tables(built, market_metadata)
        yield built
    finally:
        await built.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> CandleStore:
    return SqlCandleStore(engine)


def candle(
    minute: int,
    close: str = "0.35280000",
    *,
    interval: str = "1m",
    symbol: str = "NKN-USDT",
    exchange: str = "binance",
    **changes: object,
) -> Candle:
    """A candle `minute` minutes into the day, priced like NKN-USDT on Binance that day."""
    open_time = DAY + minute * MINUTE
    base = Candle(
        exchange=exchange,
        symbol=symbol,
        interval=interval,
        open_time=open_time,
        open=Decimal("0.35270000"),
        high=Decimal("0.35290000"),
        low=Decimal("0.35220000"),
        close=Decimal(close),
        volume=Decimal("25877.00000000"),
        trades=30,
        final=True,
        sealed=False,
        last_trade_time=open_time + 59_123,
    )
    return msgspec.structs.replace(base, **changes)


def at(minute: int) -> int:
    return DAY + minute * MINUTE


async def _series(store: CandleStore, interval: str = "1m", symbol: str = "NKN-USDT") -> list[Candle]:
    return await store.between("binance", symbol, interval, at(0), at(24 * 60))


class TestSaving:
    async def test_saved_candles_come_back_as_saved(self, store: CandleStore) -> None:
        saved = [candle(0), candle(1, "0.35300000", sealed=True, trades=7), candle(2, final=False, last_trade_time=0)]

        await store.save(saved, "candles", {})

        assert await _series(store) == saved

    async def test_saving_a_changed_candle_replaces_the_stored_one(self, store: CandleStore) -> None:
        await store.save([candle(0), candle(1, final=False, trades=3)], "candles", {})

        changed = candle(1, "0.35310000", high=Decimal("0.35310000"), trades=9, final=True, sealed=True)
        await store.save([changed], "candles", {})

        assert await _series(store) == [candle(0), changed]

    async def test_saving_the_same_batch_twice_leaves_the_same_rows(self, store: CandleStore) -> None:
        batch = [candle(minute, f"0.3528{minute:04d}") for minute in range(5)]
        await store.save(batch, "candles", {f"{TRADES}:0": 5})
        once = await _series(store)

        await store.save(batch, "candles", {f"{TRADES}:0": 5})

        assert await _series(store) == once == batch
        assert await store.positions("candles") == {f"{TRADES}:0": 5}

    async def test_within_one_batch_the_last_candle_of_a_key_wins(self, store: CandleStore) -> None:
        first, then = candle(3, "0.35250000", trades=1), candle(3, "0.35260000", trades=2)

        await store.save([first, then], "candles", {})

        assert await _series(store) == [then]

    async def test_a_candle_replaces_only_the_candle_of_its_own_exchange_symbol_interval_and_open_time(
        self, store: CandleStore
    ) -> None:
        neighbours = [
            candle(0, interval="5m"),
            candle(0, symbol="BLZ-ETH"),
            candle(0, exchange="coinbase"),
            candle(1),
        ]
        await store.save([candle(0), *neighbours], "candles", {})

        replacement = candle(0, "0.36000000", trades=99)
        await store.save([replacement], "candles", {})

        assert await _series(store) == [replacement, candle(1)]
        assert await _series(store, interval="5m") == [candle(0, interval="5m")]
        assert await _series(store, symbol="BLZ-ETH") == [candle(0, symbol="BLZ-ETH")]
        assert await store.load("coinbase", "NKN-USDT", [("1m", at(0))]) == [candle(0, exchange="coinbase")]

    async def test_decimal_values_come_back_exactly(self, store: CandleStore) -> None:
        precise = candle(
            0,
            "123456789.123456789",
            open=Decimal("0.000000012345678901"),
            high=Decimal("123456789.123456789"),
            low=Decimal("0.000000000000000001"),
            volume=Decimal("98765432109876543.21"),
        )

        await store.save([precise], "candles", {})

        [loaded] = await _series(store)
        values = ("open", "high", "low", "close", "volume")
        assert {name: getattr(loaded, name) for name in values} == {name: getattr(precise, name) for name in values}
        # Through a float they would not survive: 17 significant digits at most.
        assert Decimal(float(loaded.high)) != precise.high
        assert all(isinstance(getattr(loaded, name), Decimal) for name in values)

    async def test_decimal_values_keep_the_digits_they_were_saved_with(self, store: CandleStore) -> None:
        # Exchanges send "0.35270000"; the API shows what was stored, so `1` must not come back as
        # "1.000000000000000000" in one mode and "1" in the other, nor a zero volume as "0E-18".
        as_sent = candle(
            0,
            "123456789.123456789",
            open=Decimal("0.35270000"),
            high=Decimal("123456789.123456789"),
            low=Decimal("1"),
            volume=Decimal("0"),
        )

        await store.save([as_sent], "candles", {})

        [loaded] = await _series(store)
        values = ("open", "high", "low", "close", "volume")
        assert {name: str(getattr(loaded, name)) for name in values} == {
            "open": "0.35270000",
            "high": "123456789.123456789",
            "low": "1",
            "close": "123456789.123456789",
            "volume": "0",
        }


class TestPositions:
    async def test_an_unknown_consumer_has_no_positions(self, store: CandleStore) -> None:
        assert await store.positions("candles") == {}

    async def test_positions_saved_with_candles_are_returned_for_that_consumer(self, store: CandleStore) -> None:
        await store.save([candle(0)], "candles", {f"{TRADES}:0": 41, f"{TRADES}:2": 7, f"{KLINES}:0": 3})

        assert await store.positions("candles") == {f"{TRADES}:0": 41, f"{TRADES}:2": 7, f"{KLINES}:0": 3}

    async def test_each_consumer_has_its_own_positions(self, store: CandleStore) -> None:
        await store.save([candle(0)], "candles", {f"{TRADES}:0": 41})
        await store.save([candle(1)], "candles-replay", {f"{TRADES}:0": 5, f"{TRADES}:1": 9})

        assert await store.positions("candles") == {f"{TRADES}:0": 41}
        assert await store.positions("candles-replay") == {f"{TRADES}:0": 5, f"{TRADES}:1": 9}

    async def test_a_later_save_moves_the_positions_it_names_and_keeps_the_others(self, store: CandleStore) -> None:
        await store.save([candle(0)], "candles", {f"{TRADES}:0": 10, f"{TRADES}:1": 20})

        await store.save([candle(1)], "candles", {f"{TRADES}:1": 25, f"{KLINES}:0": 1})
        await store.save([], "candles", {f"{TRADES}:0": 12})

        assert await store.positions("candles") == {f"{TRADES}:0": 12, f"{TRADES}:1": 25, f"{KLINES}:0": 1}
        assert await _series(store) == [candle(0), candle(1)]

    async def test_a_save_that_fails_stores_neither_its_candles_nor_its_positions(self, store: CandleStore) -> None:
        await store.save([candle(0)], "candles", {f"{TRADES}:0": 10})
        # The candles are written first; the position (beyond a 64-bit offset) cannot be stored.
        failing = [candle(0, "0.99990000"), candle(1)]

        with pytest.raises(UNSTORABLE):
            await store.save(failing, "candles", {f"{TRADES}:0": 11, f"{TRADES}:1": 2**64})

        assert await _series(store) == [candle(0)]
        assert await store.positions("candles") == {f"{TRADES}:0": 10}

    async def test_after_a_failed_save_the_same_batch_saves_whole(self, store: CandleStore) -> None:
        batch = [candle(0, "0.99990000"), candle(1)]
        with pytest.raises(UNSTORABLE):
            await store.save(batch, "candles", {f"{TRADES}:0": 2**64})

        await store.save(batch, "candles", {f"{TRADES}:0": 2})

        assert await _series(store) == batch
        assert await store.positions("candles") == {f"{TRADES}:0": 2}


class TestReading:
    async def test_load_returns_only_the_requested_buckets_that_exist(self, store: CandleStore) -> None:
        stored = [candle(minute) for minute in range(10)] + [
            candle(0, interval="5m"),
            candle(5, interval="5m"),
            candle(0, interval="1h"),
            candle(3, symbol="BLZ-ETH"),
            candle(3, exchange="coinbase"),
        ]
        await store.save(stored, "candles", {})

        loaded = await store.load("binance", "NKN-USDT", [("1m", at(3)), ("5m", at(5)), ("1m", at(42)), ("1h", at(60))])

        assert sorted(loaded, key=lambda c: (c.interval, c.open_time)) == [candle(3), candle(5, interval="5m")]

    async def test_load_of_no_buckets_is_empty(self, store: CandleStore) -> None:
        await store.save([candle(0)], "candles", {})

        assert await store.load("binance", "NKN-USDT", []) == []

    async def test_between_returns_candles_from_start_up_to_but_excluding_end_oldest_first(
        self, store: CandleStore
    ) -> None:
        await store.save([candle(minute) for minute in (7, 2, 5, 3, 9, 4, 8)], "candles", {})
        await store.save([candle(4, interval="5m"), candle(5, symbol="BLZ-ETH")], "candles", {})

        between = await store.between("binance", "NKN-USDT", "1m", at(3), at(8))

        assert between == [candle(3), candle(4), candle(5), candle(7)]
        assert await store.between("binance", "NKN-USDT", "1m", at(10), at(20)) == []

    async def test_a_page_is_oldest_first_and_at_most_the_limit(self, store: CandleStore) -> None:
        await store.save([candle(minute) for minute in (6, 1, 4, 0, 3, 5, 2)], "candles", {})

        page = await store.page(CandleQuery(exchange="binance", symbol="NKN-USDT", interval="1m", limit=3))

        assert page == [candle(0), candle(1), candle(2)]

    async def test_a_page_keeps_within_start_and_end(self, store: CandleStore) -> None:
        await store.save([candle(minute) for minute in range(10)], "candles", {})
        query = CandleQuery(exchange="binance", symbol="NKN-USDT", interval="1m", start=at(2), end=at(6), limit=100)

        assert await store.page(query) == [candle(2), candle(3), candle(4), candle(5)]
        assert await store.page(msgspec.structs.replace(query, start=None)) == [candle(m) for m in range(6)]
        assert await store.page(msgspec.structs.replace(query, end=None)) == [candle(m) for m in range(2, 10)]

    async def test_a_page_after_a_cursor_starts_past_that_open_time(self, store: CandleStore) -> None:
        await store.save([candle(minute) for minute in range(10)], "candles", {})
        query = CandleQuery(exchange="binance", symbol="NKN-USDT", interval="1m", start=at(1), end=at(9), limit=2)

        assert await store.page(msgspec.structs.replace(query, after=at(4))) == [candle(5), candle(6)]
        assert await store.page(msgspec.structs.replace(query, after=at(7))) == [candle(8)]
        assert await store.page(msgspec.structs.replace(query, after=at(0))) == [candle(1), candle(2)]

    async def test_following_the_cursor_walks_every_candle_once(self, store: CandleStore) -> None:
        stored = [candle(minute) for minute in range(11)]
        await store.save([*reversed(stored), candle(3, interval="5m")], "candles", {})
        query = CandleQuery(exchange="binance", symbol="NKN-USDT", interval="1m", limit=4)

        walked: list[Candle] = []
        for _ in range(10):
            page = await store.page(query)
            if not page:
                break
            walked += page
            query = msgspec.structs.replace(query, after=page[-1].open_time)

        assert walked == stored

    async def test_last_open_time_is_the_newest_stored_candle_of_the_series(self, store: CandleStore) -> None:
        await store.save([candle(minute) for minute in (3, 9, 1)], "candles", {})
        await store.save([candle(30, interval="5m"), candle(50, symbol="BLZ-ETH")], "candles", {})

        assert await store.last_open_time("binance", "NKN-USDT", "1m") == at(9)
        assert await store.last_open_time("binance", "NKN-USDT", "5m") == at(30)

    async def test_last_final_open_time_skips_the_candles_still_open(self, store: CandleStore) -> None:
        await store.save([candle(minute, final=True) for minute in (1, 2, 3)], "candles", {})
        await store.save([candle(4, final=False), candle(9, interval="5m", final=False)], "candles", {})

        assert await store.last_final_open_time("binance", "NKN-USDT", "1m") == at(3)
        assert await store.last_final_open_time("binance", "NKN-USDT", "5m") is None
        assert await store.last_open_time("binance", "NKN-USDT", "1m") == at(4)

    async def test_ohlcv_gives_the_series_as_floats_oldest_first_within_the_range(self, store: CandleStore) -> None:
        await store.save([candle(minute) for minute in (5, 1, 9, 3)], "candles", {})
        await store.save([candle(4, interval="5m"), candle(4, symbol="BLZ-ETH")], "candles", {})

        rows = await store.ohlcv("binance", "NKN-USDT", "1m", at(1), at(9))
        expected = [c for c in await _series(store) if at(1) <= c.open_time < at(9)]
        assert rows == [
            (c.open_time, float(c.open), float(c.high), float(c.low), float(c.close), float(c.volume)) for c in expected
        ]
        assert all(isinstance(value, float) for row in rows for value in row[1:])

    async def test_a_series_without_candles_has_no_last_open_time(self, store: CandleStore) -> None:
        await store.save([candle(3)], "candles", {})

        assert await store.last_open_time("binance", "NKN-USDT", "1h") is None
        assert await store.last_open_time("coinbase", "NKN-USDT", "1m") is None
