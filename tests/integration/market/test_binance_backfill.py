"""REST kline backfill against the local Binance server: paging, closed klines only, rate limits, giving up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from support.binance_server import BinanceServer
from support.feed_doubles import FakeFeedObserver, FakeSleep

from adapters.binance.backfill import BinanceBackfill
from adapters.feeds.backoff import Backoff
from domain.market.instruments import Instrument

T0 = 1_699_999_980_000  # a minute boundary
MINUTE = 60_000
BTC, ETH = Instrument("BTC", "USDT"), Instrument("ETH", "USDT")


@pytest.fixture
async def exchange() -> AsyncIterator[BinanceServer]:
    async with BinanceServer(symbols=["BTCUSDT", "ETHUSDT"]) as server:
        yield server


@pytest.fixture
def observer() -> FakeFeedObserver:
    return FakeFeedObserver()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def backfill_from(
    server: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep, **options: int
) -> BinanceBackfill:
    return BinanceBackfill(server.rest_url, observer=observer, sleep=sleep, backoff=fast_backoff, **options)


def fast_backoff() -> Backoff:
    return Backoff(base_seconds=0.01, cap_seconds=0.05)


async def test_pages_forward_until_the_whole_range_is_covered(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep
) -> None:
    exchange.seed_klines("BTCUSDT", T0, 2_500)
    found = await backfill_from(exchange, observer, sleep).candles({BTC: T0 + 30_000}, now_ms=T0 + 2_500 * MINUTE)
    assert [c.open_time for c in found.candles] == [T0 + n * MINUTE for n in range(2_500)]
    assert all(c.sealed and c.final and c.interval == "1m" and c.symbol == "BTC-USDT" for c in found.candles)
    assert [int(q["startTime"]) for q in exchange.kline_requests] == [T0, T0 + 1_000 * MINUTE, T0 + 2_000 * MINUTE]
    assert found.failed == ()


async def test_returns_only_the_klines_that_have_closed(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep
) -> None:
    await exchange.trade("BTCUSDT", "100", "1", T0 + 1_000)
    await exchange.trade("BTCUSDT", "101.5", "2", T0 + MINUTE + 1_000)  # the open minute at `now`
    found = await backfill_from(exchange, observer, sleep).candles({BTC: T0}, now_ms=T0 + MINUTE + 5_000)
    [closed] = found.candles
    assert (closed.open_time, closed.close, closed.volume, closed.trades) == (T0, Decimal(100), Decimal(1), 1)


@pytest.mark.parametrize("status", [429, 418])
async def test_waits_the_retry_after_seconds_when_rate_limited_and_asks_again(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep, status: int
) -> None:
    exchange.seed_klines("BTCUSDT", T0, 3)
    exchange.reject_kline_requests(2, status=status, retry_after=7)
    found = await backfill_from(exchange, observer, sleep).candles({BTC: T0}, now_ms=T0 + 3 * MINUTE)
    assert sleep.delays == [7, 7]
    assert len(found.candles) == 3
    assert observer.gaps == []


async def test_gives_up_after_a_bounded_number_of_server_errors_and_reports_the_gap(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep
) -> None:
    exchange.seed_klines("BTCUSDT", T0, 10)
    exchange.reject_kline_requests(3, status=502, retry_after=None)
    found = await backfill_from(exchange, observer, sleep, max_attempts=3).candles({BTC: T0}, now_ms=T0 + 10 * MINUTE)
    assert found.candles == []
    assert found.failed == (BTC,)
    assert len(exchange.kline_requests) == 3
    assert len(sleep.delays) == 2
    assert observer.gaps == [10]


async def test_gives_up_rather_than_wait_out_a_long_ban(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep
) -> None:
    exchange.reject_kline_requests(1, status=418, retry_after=3_600)
    found = await backfill_from(exchange, observer, sleep).candles({BTC: T0}, now_ms=T0 + 5 * MINUTE)
    assert found.failed == (BTC,)
    assert sleep.delays == []
    assert observer.gaps == [5]


async def test_a_symbol_the_exchange_does_not_know_fails_alone_and_at_once(
    exchange: BinanceServer, observer: FakeFeedObserver, sleep: FakeSleep
) -> None:
    exchange.seed_klines("ETHUSDT", T0, 2)
    delisted = Instrument("GONE", "USDT")
    found = await backfill_from(exchange, observer, sleep).candles({delisted: T0, ETH: T0}, now_ms=T0 + 2 * MINUTE)
    assert found.failed == (delisted,)
    assert [c.symbol for c in found.candles] == ["ETH-USDT", "ETH-USDT"]
    assert sum(q["symbol"] == "GONEUSDT" for q in exchange.kline_requests) == 1


async def test_gives_up_when_the_exchange_cannot_be_reached(observer: FakeFeedObserver, sleep: FakeSleep) -> None:
    async with BinanceServer() as gone:
        rest_url = gone.rest_url
    backfill = BinanceBackfill(rest_url, observer=observer, sleep=sleep, max_attempts=2, backoff=fast_backoff)
    found = await backfill.candles({BTC: T0}, now_ms=T0 + 3 * MINUTE)
    assert found.failed == (BTC,)
    assert len(sleep.delays) == 1
    assert observer.gaps == [3]
