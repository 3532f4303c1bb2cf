"""The Binance feed against a local server speaking Binance's protocol and enforcing its rules.

Market times are fake epoch milliseconds (the feed's clock is injected); only connection timings
(pings, lifetimes, silences, backoff) are real, and scaled down to fractions of a second.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from support.binance_server import BinanceServer
from support.feed_doubles import Consumed, FakeEpoch, FakeFeedObserver

from adapters.binance.backfill import BinanceBackfill
from adapters.binance.feed import BinanceFeed
from adapters.feeds.backoff import Backoff
from domain.market.candles import CandleBook
from domain.market.instruments import Instrument
from domain.market.values import Candle, Ticker, Trade

T0 = 1_699_999_980_000  # a minute boundary
BTC = Instrument("BTC", "USDT")
ETH = Instrument("ETH", "USDT")


def minute(n: int) -> int:
    return T0 + n * 60_000


def fast_backoff() -> Backoff:
    return Backoff(base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture
def observer() -> FakeFeedObserver:
    return FakeFeedObserver()


@pytest.fixture
def clock() -> FakeEpoch:
    return FakeEpoch(minute(0) + 500)


@pytest.fixture
async def exchange() -> AsyncIterator[BinanceServer]:
    async with BinanceServer() as server:
        yield server


@pytest.fixture
def make_feed(observer: FakeFeedObserver, clock: FakeEpoch) -> Callable[..., BinanceFeed]:
    def make(server: BinanceServer, **overrides: Any) -> BinanceFeed:
        settings: dict[str, Any] = {
            "ws_url": server.url,
            "rest_url": server.rest_url,
            "observer": observer,
            "now_ms": clock.now_ms,
            "backoff": fast_backoff,
            "open_timeout_seconds": 2.0,
            "ack_timeout_seconds": 2.0,
        }
        return BinanceFeed(**(settings | overrides))

    return make


async def subscribed(server: BinanceServer, *instruments: Instrument) -> None:
    names = [
        f"{i.base.lower()}{i.quote.lower()}@{kind}" for i in instruments for kind in ("trade", "kline_1m", "ticker")
    ]
    await server.wait_until(lambda: all(server.subscribed(name) for name in names))


def instruments(count: int) -> list[Instrument]:
    return [Instrument(f"C{n:04d}", "USDT") for n in range(count)]


class TestSubscribing:
    async def test_subscribes_a_full_connection_of_streams_without_exceeding_five_messages_a_second(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed]
    ) -> None:
        many = instruments(341)  # 1023 streams: six SUBSCRIBE messages, one more than a second allows
        async with Consumed(make_feed(exchange), many):
            await exchange.wait_until(lambda: sum(map(len, exchange.streams())) == 1023)
        subscribes = [m for m in exchange.control_messages if m["method"] == "SUBSCRIBE"]
        assert len(subscribes) == 6
        assert all(len(m["params"]) <= 200 for m in subscribes)
        assert exchange.kicks == []
        assert exchange.connections == 1

    async def test_spreads_instruments_beyond_1024_streams_over_several_connections(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed]
    ) -> None:
        many = instruments(400)
        async with Consumed(make_feed(exchange), many) as got:
            await exchange.wait_until(lambda: sorted(map(len, exchange.streams())) == [177, 1023])
            await exchange.trade("C0399USDT", "1.25", "10", minute(0) + 1_000)
            await exchange.trade("C0000USDT", "2.5", "10", minute(0) + 2_000)
            await got.wait_for(lambda: len(got.trades()) == 2)
        assert {t.symbol for t in got.trades()} == {"C0399-USDT", "C0000-USDT"}
        assert exchange.kicks == []


class TestLiveData:
    async def test_delivers_trades_closed_klines_and_tickers_as_they_happen(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed]
    ) -> None:
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43000.5", "0.2", minute(0) + 1_000, buyer_is_maker=True)
            await exchange.trade("BTCUSDT", "43010", "0.1", minute(1) + 1_000)
            await exchange.ticker("BTCUSDT", minute(1) + 2_000, bid="43009.9", ask="43010.1")
            await got.wait_for(lambda: len(got.events) == 4)
        first, sealed, second, ticker = got.events
        assert first == Trade(
            exchange="binance",
            symbol="BTC-USDT",
            trade_id="1",
            price=Decimal("43000.5"),
            quantity=Decimal("0.2"),
            time=minute(0) + 1_000,
            side="sell",
        )
        assert isinstance(sealed, Candle)
        assert (sealed.open_time, sealed.volume, sealed.sealed) == (minute(0), Decimal("0.2"), True)
        assert isinstance(second, Trade)
        assert second.side == "buy"
        assert isinstance(ticker, Ticker)
        assert (ticker.price, ticker.best_bid, ticker.best_ask) == (
            Decimal(43010),
            Decimal("43009.9"),
            Decimal("43010.1"),
        )

    async def test_counts_malformed_frames_and_keeps_streaming(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.send_raw("{not json")
            bad_price = '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"lots","q":"1","T":1,"m":false}'
            await exchange.send_raw(f'{{"stream":"btcusdt@trade","data":{bad_price}}}')
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
            await got.wait_for(lambda: len(got.trades()) == 1)
        assert len(observer.malformed_frames) == 2
        assert observer.reconnects == []


class TestStayingConnected:
    async def test_answers_the_server_pings_and_is_never_dropped_for_it(
        self, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with BinanceServer(ping_interval=0.3, ping_timeout=0.5) as exchange:
            async with Consumed(make_feed(exchange), [BTC]) as got:
                await subscribed(exchange, BTC)
                await exchange.wait_until(lambda: exchange.pongs >= 3)
                await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
                await got.wait_for(lambda: len(got.trades()) == 1)
            assert exchange.kicks == []
            assert exchange.connections == 1
        assert observer.reconnects == []

    async def test_reconnects_and_resumes_after_the_server_drops_the_connection(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
            await got.wait_for(lambda: len(got.trades()) == 1)
            exchange.drop_connections()
            await exchange.wait_until(lambda: exchange.connections == 2)
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43001", "1", minute(0) + 2_000)
            await got.wait_for(lambda: len(got.trades()) == 2)
        [(reason, delay)] = observer.reconnects
        assert "1006" in reason
        assert delay >= 0

    async def test_reconnects_by_itself_at_once_before_the_server_cuts_an_old_connection(
        self, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with (
            BinanceServer(connection_lifetime=1.5, ticker_interval=0.05) as exchange,
            Consumed(make_feed(exchange, connection_lifetime_seconds=0.3), [BTC]),
        ):
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)  # a price: tickers flow every 50 ms
            await exchange.wait_until(lambda: exchange.connections >= 3)
        assert exchange.kicks == []
        assert len(observer.reconnects) >= 2
        assert all(reason.startswith("planned") for reason, _ in observer.reconnects)
        assert all(delay == 0 for _, delay in observer.reconnects)

    async def test_backs_off_before_a_planned_reconnect_of_a_connection_that_delivered_nothing(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        def seeded_backoff() -> Backoff:
            return Backoff(base_seconds=0.01, cap_seconds=0.05, rng=random.Random(7))

        async with Consumed(make_feed(exchange, connection_lifetime_seconds=0.2, backoff=seeded_backoff), [BTC]) as got:
            await got.wait_for(lambda: len(observer.reconnects) >= 2)
        assert all(reason.startswith("planned") and delay > 0 for reason, delay in observer.reconnects)

    async def test_reconnects_when_the_server_cuts_the_connection_at_its_lifetime(
        self, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with BinanceServer(connection_lifetime=0.3) as exchange:
            async with Consumed(make_feed(exchange), [BTC]) as got:
                await exchange.wait_until(lambda: exchange.connections == 1)
                exchange.connection_lifetime = None  # only the first connection is cut
                await exchange.wait_until(lambda: exchange.connections == 2)
                await subscribed(exchange, BTC)
                await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
                await got.wait_for(lambda: len(got.trades()) == 1)
            assert "lifetime" in exchange.kicks
        assert "1001" in observer.reconnects[0][0]

    async def test_reconnects_at_once_when_the_server_announces_a_shutdown(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
            await got.wait_for(lambda: len(got.trades()) == 1)
            await exchange.announce_shutdown(minute(0))
            await exchange.wait_until(lambda: exchange.connections == 2)
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43001", "1", minute(0) + 2_000)
            await got.wait_for(lambda: len(got.trades()) == 2)
        assert observer.reconnects == [("planned: server shutdown announced", 0.0)]
        assert exchange.kicks == []

    async def test_reconnects_when_the_connection_goes_silent(
        self, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        async with (
            BinanceServer(ticker_interval=0.05) as exchange,
            Consumed(make_feed(exchange, silence_seconds=0.3), [BTC]) as got,
        ):
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)  # a price: tickers flow every 50 ms
            await got.wait_for(lambda: len(got.tickers()) > 0)
            exchange.stall_connections()
            await exchange.wait_until(lambda: exchange.connections == 2)
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43001", "1", minute(0) + 2_000)
            await got.wait_for(lambda: any(t.price == Decimal(43001) for t in got.trades()))
        assert observer.reconnects[0][0] == "silence: no frame for 0.3s"

    async def test_keeps_trying_for_as_long_as_the_exchange_refuses_connections(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        exchange.refuse_connections = True
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await got.wait_for(lambda: len(observer.reconnects) >= 12)
            exchange.refuse_connections = False
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "43000", "1", minute(0) + 1_000)
            await got.wait_for(lambda: len(got.trades()) == 1)
        assert all("503" in reason for reason, _ in observer.reconnects)


class TestBackfill:
    async def test_after_an_outage_every_minute_has_its_candle_from_the_stream_or_the_backfill(
        self,
        exchange: BinanceServer,
        make_feed: Callable[..., BinanceFeed],
        observer: FakeFeedObserver,
        clock: FakeEpoch,
    ) -> None:
        async with Consumed(make_feed(exchange), [BTC, ETH]) as got:
            await subscribed(exchange, BTC, ETH)
            await exchange.trade("BTCUSDT", "100", "1", minute(0) + 1_000)
            await exchange.trade("BTCUSDT", "101", "1", minute(0) + 30_000)
            await exchange.trade("BTCUSDT", "102", "1", minute(1) + 5_000)  # closes M0: its kline is streamed
            await got.wait_for(lambda: len(got.trades()) == 3)

            exchange.refuse_connections = True
            exchange.drop_connections()
            await got.wait_for(lambda: len(observer.reconnects) >= 2)
            # Missed by the feed: the rest of M1, all of M2 and M3, and ETH, never traded before.
            await exchange.trade("BTCUSDT", "99", "2", minute(1) + 40_000)
            await exchange.trade("BTCUSDT", "103", "1", minute(2) + 1_000)
            await exchange.trade("ETHUSDT", "5.5", "3", minute(2) + 2_000)
            await exchange.trade("BTCUSDT", "104", "4", minute(3) + 59_000)
            await exchange.trade("ETHUSDT", "5.25", "3", minute(3) + 1_000)
            await exchange.trade("BTCUSDT", "105", "1", minute(4) + 5_000)
            clock.current = minute(4) + 10_000
            exchange.refuse_connections = False

            await got.wait_for(lambda: observer.backfills != [])
            await subscribed(exchange, BTC, ETH)
            await exchange.trade("BTCUSDT", "106", "1", minute(4) + 30_000)
            last = await exchange.trade("BTCUSDT", "107", "1", minute(5) + 1_000)  # closes M4: streamed
            await got.wait_for(lambda: any(t.trade_id == str(last) for t in got.trades()))

        book = CandleBook(intervals=("1m",))
        for event in got.events:
            if isinstance(event, Trade):
                book.apply(event)
            elif isinstance(event, Candle):
                book.seal(event)
        built: dict[str, dict[int, Candle]] = {}
        for candle in book.drain():
            built.setdefault(candle.symbol, {})[candle.open_time] = candle

        assert sorted(built["BTC-USDT"]) == [minute(n) for n in range(6)]
        assert sorted(built["ETH-USDT"]) == [minute(2), minute(3)]
        for symbol, exchange_symbol in (("BTC-USDT", "BTCUSDT"), ("ETH-USDT", "ETHUSDT")):
            for kline in exchange.klines(exchange_symbol):
                if kline.closed or kline.open_time < minute(4):
                    candle = built[symbol][kline.open_time]
                    assert candle.sealed
                    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (
                        kline.open,
                        kline.high,
                        kline.low,
                        kline.close,
                        kline.volume,
                    )
        backfilled = [c for c in got.candles() if c.open_time in (minute(2), minute(3))]
        first_new_trade = next(n for n, e in enumerate(got.events) if isinstance(e, Trade) and e.price == 106)
        assert all(got.events.index(c) < first_new_trade for c in backfilled)
        assert observer.backfills == [5]  # BTC M1 to M3, ETH M2 and M3 (M4 was still open at the time)
        assert exchange.kline_requests[0]["startTime"] == str(minute(1))

    async def test_a_restarted_process_backfills_from_its_last_stored_minute_on_the_first_connection(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        exchange.seed_klines("BTCUSDT", minute(-6), 6)  # minutes -6 to -1 happened while we were down
        async with Consumed(make_feed(exchange), [BTC, ETH], resume_from={"BTC-USDT": minute(-4)}) as got:
            await subscribed(exchange, BTC, ETH)
            await got.wait_for(lambda: observer.backfills != [])
            await exchange.trade("BTCUSDT", "100", "1", minute(0) + 2_000)
            await got.wait_for(lambda: len(got.trades()) == 1)

        assert [c.open_time for c in got.candles() if c.symbol == "BTC-USDT"] == [minute(n) for n in range(-4, 0)]
        assert all(c.sealed and c.final for c in got.candles())
        assert got.events.index(got.trades()[0]) > max(got.events.index(c) for c in got.candles())
        assert exchange.kline_requests[0]["startTime"] == str(minute(-4))

    async def test_a_first_connection_without_stored_minutes_does_not_backfill(
        self, exchange: BinanceServer, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver
    ) -> None:
        exchange.seed_klines("BTCUSDT", minute(-6), 6)
        async with Consumed(make_feed(exchange), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "100", "1", minute(0) + 2_000)
            await got.wait_for(lambda: len(got.trades()) == 1)

        assert got.candles() == []
        assert exchange.kline_requests == []

    async def test_keeps_reading_and_answering_pings_while_the_backfill_waits_out_a_rate_limit(
        self, make_feed: Callable[..., BinanceFeed], observer: FakeFeedObserver, clock: FakeEpoch
    ) -> None:
        busy_market = 3_000  # more frames than the websockets library buffers before it stops reading
        async with BinanceServer(ping_interval=0.3, ping_timeout=0.5) as exchange:
            async with Consumed(make_feed(exchange), [BTC]) as got:
                await subscribed(exchange, BTC)
                await exchange.trade("BTCUSDT", "100", "1", minute(0) + 1_000)
                await got.wait_for(lambda: len(got.trades()) == 1)
                exchange.reject_kline_requests(1, status=429, retry_after=1)
                clock.current = minute(1) + 1_000
                exchange.drop_connections()
                await exchange.wait_until(lambda: len(exchange.kline_requests) == 1)
                pongs_before = exchange.pongs
                for n in range(busy_market):
                    await exchange.trade("BTCUSDT", "101", "0.001", minute(1) + 2_000 + n)
                await got.wait_for(lambda: observer.backfills != [])
                pongs_during_the_wait = exchange.pongs - pongs_before
                await got.wait_for(lambda: len(got.trades()) == 1 + busy_market)
            assert len(exchange.kline_requests) == 2
            assert exchange.kicks == ["dropped"]
            assert exchange.connections == 2
        assert pongs_during_the_wait >= 2
        # M0 over REST first, then what came in meanwhile: the trades, and M0 again as closed by the stream.
        assert isinstance(got.events[1], Candle)
        assert got.events[1].open_time == minute(0)
        assert {c.open_time for c in got.candles()} == {minute(0)}

    async def test_asks_again_for_the_minutes_of_a_given_up_backfill_after_the_next_reconnect(
        self,
        exchange: BinanceServer,
        make_feed: Callable[..., BinanceFeed],
        observer: FakeFeedObserver,
        clock: FakeEpoch,
    ) -> None:
        backfill = BinanceBackfill(exchange.rest_url, observer=observer, max_attempts=2, backoff=fast_backoff)
        async with Consumed(make_feed(exchange, backfill=backfill), [BTC]) as got:
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "100", "1", minute(0) + 1_000)
            await got.wait_for(lambda: len(got.trades()) == 1)
            exchange.refuse_connections = True
            exchange.drop_connections()
            await got.wait_for(lambda: len(observer.reconnects) >= 2)
            await exchange.trade("BTCUSDT", "101", "1", minute(1) + 1_000)
            await exchange.trade("BTCUSDT", "102", "1", minute(2) + 1_000)
            clock.current = minute(2) + 2_000
            exchange.reject_kline_requests(2, status=503, retry_after=None)
            exchange.refuse_connections = False
            await got.wait_for(lambda: observer.gaps != [])
            await subscribed(exchange, BTC)
            await exchange.trade("BTCUSDT", "103", "1", minute(2) + 3_000)
            await got.wait_for(lambda: len(got.trades()) == 2)

            exchange.drop_connections()
            await got.wait_for(lambda: len(observer.backfills) == 2)
        assert observer.gaps == [2]
        assert exchange.kline_requests[-1]["startTime"] == str(minute(0))
        assert sorted(c.open_time for c in got.candles() if c.sealed) == [minute(0), minute(1)]
