"""The Coinbase feed against a local server speaking the Advanced Trade protocol (WebSocket + REST candles).

Times are fake epoch milliseconds (a clock shared by the feed and the server), so minutes pass at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
import websockets
from support.coinbase_server import CoinbaseServer, candle_row, ticker_row, trade_row
from support.feed_doubles import FakeFeedObserver
from websockets.asyncio.client import connect

from adapters.coinbase.feed import CoinbaseFeed
from adapters.feeds.backoff import Backoff
from domain.market.instruments import Instrument
from domain.market.values import Candle, MarketEvent, Ticker, Trade

BTC, ETH = Instrument("BTC", "USD"), Instrument("ETH", "USD")
MINUTE = 60_000
T0 = 1_786_309_200_000  # 2026-08-09T21:00:00Z
CHANNELS = {"heartbeats", "market_trades", "ticker", "candles"}


class FakeClock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def __call__(self) -> int:
        return self.now


class FakeSleep:
    """Records the delays asked for; waits only a moment, so backoff and Retry-After cost no test time."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


class SteppingBackoff(Backoff):
    """Delays of 1, 2, 3... ms, so that tests can tell growth from a fresh start."""

    def next_delay(self) -> float:
        self.attempt += 1
        return self.attempt / 1000


class Consumer:
    """Drains the feed in a task; tests poll what it collected."""

    def __init__(self, stream: AsyncIterator[MarketEvent]) -> None:
        self.events: list[MarketEvent] = []
        self._task = asyncio.create_task(self._drain(stream))

    async def _drain(self, stream: AsyncIterator[MarketEvent]) -> None:
        async for event in stream:
            self.events.append(event)

    async def until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not predicate():
            if self._task.done():
                self._task.result()
                raise AssertionError("the feed ended")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not reached; events: {self.events[-5:]}")
            await asyncio.sleep(0.005)

    def trade_ids(self) -> list[str]:
        return [e.trade_id for e in self.events if isinstance(e, Trade)]

    def has_trade(self, trade_id: str) -> Callable[[], bool]:
        return lambda: trade_id in self.trade_ids()

    def candles(self, symbol: str, interval: str = "1m") -> list[Candle]:
        return [e for e in self.events if isinstance(e, Candle) and e.symbol == symbol and e.interval == interval]

    def index_of_trade(self, trade_id: str) -> int:
        return next(i for i, e in enumerate(self.events) if isinstance(e, Trade) and e.trade_id == trade_id)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def minute_rows(product_id: str, first_ms: int, count: int) -> list[dict]:
    return [
        candle_row(product_id, first_ms + i * MINUTE, f"{100 + i}", f"{102 + i}", f"{99 + i}", f"{101 + i}", "3.5")
        for i in range(count)
    ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 30_000)


@pytest.fixture
def observer() -> FakeFeedObserver:
    return FakeFeedObserver()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[CoinbaseServer]:
    async with CoinbaseServer(now_ms=clock, subscribe_timeout=1.0, heartbeat_interval=0.05) as running:
        yield running


StartFeed = Callable[..., Awaitable[Consumer]]


@pytest.fixture
async def start(
    server: CoinbaseServer, clock: FakeClock, observer: FakeFeedObserver, sleep: FakeSleep
) -> AsyncIterator[StartFeed]:
    consumers: list[Consumer] = []

    async def start_feed(
        silence_seconds: float = 3.0, resume_from: dict[str, int] | None = None, **options: Any
    ) -> Consumer:
        options.setdefault("backoff", Backoff(base_seconds=0.01, cap_seconds=0.05))
        feed = CoinbaseFeed(
            ws_url=server.ws_url,
            rest_url=server.rest_url,
            observer=observer,
            now_ms=clock,
            silence_seconds=silence_seconds,
            sleep=sleep,
            **options,
        )
        consumer = Consumer(feed.stream([BTC, ETH], resume_from))
        consumers.append(consumer)
        await server.wait_subscribed()
        return consumer

    yield start_feed
    for consumer in consumers:
        await consumer.stop()


async def outage(server: CoinbaseServer, clock: FakeClock, until_ms: int) -> None:
    """The exchange is unreachable while the clock moves on to `until_ms`."""
    connections = server.connections_opened
    server.refuse_connections()
    await server.drop()
    clock.now = until_ms
    server.accept_connections()
    await server.until(lambda: server.connections_opened > connections)
    await server.wait_subscribed()


class TestResuming:
    async def test_a_restarted_process_backfills_from_its_last_stored_minute_on_the_first_connection(
        self, server: CoinbaseServer, clock: FakeClock, observer: FakeFeedObserver, start: StartFeed
    ) -> None:
        server.add_minute_candles("BTC-USD", minute_rows("BTC-USD", T0 - 10 * MINUTE, 10))
        clock.now = T0 + 30_000
        consumer = await start(resume_from={"BTC-USD": T0 - 6 * MINUTE})

        await consumer.until(lambda: len(consumer.candles("BTC-USD")) == 6)
        assert [c.open_time for c in consumer.candles("BTC-USD")] == [T0 - n * MINUTE for n in range(6, 0, -1)]
        assert all(c.sealed and c.final for c in consumer.candles("BTC-USD"))
        assert consumer.candles("ETH-USD") == []

    async def test_a_first_connection_without_stored_minutes_does_not_backfill(
        self, server: CoinbaseServer, observer: FakeFeedObserver, start: StartFeed
    ) -> None:
        server.add_minute_candles("BTC-USD", minute_rows("BTC-USD", T0 - 10 * MINUTE, 10))
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", T0 + 31_000))
        await consumer.until(consumer.has_trade("1"))

        assert consumer.candles("BTC-USD") == []
        assert server.rest_requests == []


class TestSubscribing:
    async def test_subscribes_to_every_channel_in_its_own_message_heartbeats_included_within_the_deadline(
        self, server: CoinbaseServer, start: StartFeed
    ) -> None:
        await start()

        subscribes = server.subscribes_of(1)
        assert {s.channel for s in subscribes} == CHANNELS
        assert len(subscribes) == len(CHANNELS)
        assert all(s.message["type"] == "subscribe" for s in subscribes)
        assert all(s.product_ids == ["BTC-USD", "ETH-USD"] for s in subscribes)
        assert server.deadline_closures == 0
        assert server.open_connections == 1

    async def test_the_server_cuts_a_client_that_does_not_subscribe_in_time(self, clock: FakeClock) -> None:
        async with (
            CoinbaseServer(now_ms=clock, subscribe_timeout=0.1) as server,
            connect(server.ws_url) as client,
        ):
            with pytest.raises(websockets.ConnectionClosed):
                await client.recv()

            assert server.deadline_closures == 1

    async def test_yields_trades_oldest_first_with_the_takers_side_and_tickers(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock
    ) -> None:
        consumer = await start()

        await server.push_trades(
            "BTC-USD",
            trade_row("BTC-USD", "11", "65083.67", "0.01", clock.now, side="SELL"),
            trade_row("BTC-USD", "12", "65083.66", "0.02", clock.now + 5, side="BUY"),
        )
        await server.push_ticker(ticker_row("ETH-USD", "1919.41", best_bid="1919.40", best_ask="1919.42"))
        await consumer.until(lambda: any(isinstance(e, Ticker) for e in consumer.events))

        trades = [e for e in consumer.events if isinstance(e, Trade)]
        assert [(t.trade_id, t.side, t.price, t.time) for t in trades] == [
            ("11", "buy", Decimal("65083.67"), clock.now),
            ("12", "sell", Decimal("65083.66"), clock.now + 5),
        ]
        [ticker] = [e for e in consumer.events if isinstance(e, Ticker)]
        assert (ticker.symbol, ticker.price, ticker.best_bid, ticker.time) == (
            "ETH-USD",
            Decimal("1919.41"),
            Decimal("1919.40"),
            clock.now,
        )


class TestSequence:
    @pytest.fixture
    async def server(self, clock: FakeClock) -> AsyncIterator[CoinbaseServer]:
        # No heartbeats: the clock jumps, and only the frames the test sends tell the feed the time.
        async with CoinbaseServer(now_ms=clock, subscribe_timeout=1.0, heartbeat_interval=3600) as running:
            yield running

    async def test_a_sequence_gap_is_reported_and_repaired_by_resubscribing_and_backfilling_the_minutes(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        for product in ("BTC-USD", "ETH-USD"):
            server.add_minute_candles(product, minute_rows(product, T0, 5))
        consumer = await start(silence_seconds=30)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100.5", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        clock.now = T0 + 2 * MINUTE + 10_000
        server.skip_sequence(3)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "102.5", "1", clock.now))
        await server.until(lambda: server.connections_opened == 2)
        await server.wait_subscribed()
        await consumer.until(lambda: len(consumer.candles("ETH-USD")) == 2)

        clock.now = T0 + 3 * MINUTE + 6_000  # the minute the link came back in has closed
        await server.push_ticker(ticker_row("BTC-USD", "103"))
        await consumer.until(lambda: len(consumer.candles("ETH-USD")) == 3)

        assert observer.gaps == [3]
        assert consumer.trade_ids() == ["1", "2"]
        for symbol in ("BTC-USD", "ETH-USD"):
            candles = consumer.candles(symbol)
            assert [c.open_time for c in candles] == [T0, T0 + MINUTE, T0 + 2 * MINUTE]
            assert all(c.final and c.sealed for c in candles)
        assert consumer.candles("BTC-USD")[1].close == Decimal("102")

    async def test_an_older_or_repeated_sequence_number_is_ignored(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        consumer = await start(silence_seconds=30)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))

        repeated = server.last_sequence()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "100", "1", clock.now), sequence_num=repeated)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "3", "100", "1", clock.now), sequence_num=0)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "4", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("4"))

        assert consumer.trade_ids() == ["1", "4"]
        assert observer.gaps == []
        assert server.connections_opened == 1


class TestReconnecting:
    async def test_snapshot_trades_repeated_after_a_reconnect_are_not_yielded_twice(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock
    ) -> None:
        recent = [trade_row("BTC-USD", str(i), "100", "1", clock.now - 10_000 + i) for i in (1, 2)]
        server.recent_trades["BTC-USD"] = recent
        consumer = await start()
        await consumer.until(consumer.has_trade("2"))
        live = trade_row("BTC-USD", "3", "100", "1", clock.now)
        await server.push_trades("BTC-USD", live)
        await consumer.until(consumer.has_trade("3"))

        server.recent_trades["BTC-USD"] = [*recent, live]
        await server.drop()
        await server.wait_subscribed()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "4", "100", "1", clock.now + 1))
        await consumer.until(consumer.has_trade("4"))

        assert consumer.trade_ids() == ["1", "2", "3", "4"]

    async def test_reconnects_with_backoff_after_the_exchange_drops_the_connection(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver, sleep: FakeSleep
    ) -> None:
        consumer = await start()

        await server.drop()
        await server.until(lambda: server.connections_opened == 2)
        await server.wait_subscribed()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        [(reason, delay)] = observer.reconnects
        assert "closed" in reason
        assert 0 <= delay <= 0.05
        assert sleep.delays == [delay]

    async def test_reconnect_delays_grow_while_the_exchange_is_down_and_start_over_after_a_good_connection(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        consumer = await start(backoff=SteppingBackoff(), healthy_seconds=0)

        server.refuse_connections()
        await server.drop()
        await server.until(lambda: len(observer.reconnects) >= 3)
        server.accept_connections()
        await server.wait_subscribed()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))  # the new connection has delivered
        during_outage = [delay for _, delay in observer.reconnects]
        await server.drop()
        await server.until(lambda: len(observer.reconnects) > len(during_outage))

        assert during_outage[:3] == [0.001, 0.002, 0.003]
        assert during_outage == sorted(during_outage)
        assert observer.reconnects[len(during_outage)][1] == 0.001

    async def test_a_silent_connection_is_replaced(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        consumer = await start(silence_seconds=0.3)

        server.silence()
        await server.until(lambda: server.connections_opened == 2)
        await server.wait_subscribed()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        assert ["no message" in reason for reason, _ in observer.reconnects] == [True]

    async def test_malformed_frames_are_counted_and_the_stream_goes_on_without_reconnecting(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        consumer = await start()

        await server.send_raw("not json")
        # Unreadable, yet it used up a sequence number: what follows is no gap.
        await server.send_raw('{"channel": "market_trades", "sequ', consume_sequence=True)
        await server.push("market_trades", [{"type": "update", "trades": [{"product_id": "BTC-USD", "trade_id": "9"}]}])
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "-5", "1", clock.now))
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("2"))

        assert len(observer.malformed_frames) == 4
        assert consumer.trade_ids() == ["2"]
        assert observer.gaps == []
        assert server.connections_opened == 1


class TestBackfill:
    async def test_after_an_outage_every_missed_minute_comes_back_sealed_before_new_live_data(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        for product in ("BTC-USD", "ETH-USD"):
            server.add_minute_candles(product, minute_rows(product, T0, 15))
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100.5", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        await outage(server, clock, until_ms=T0 + 10 * MINUTE + 30_000)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "110.5", "1", clock.now + 1_000))
        await consumer.until(consumer.has_trade("2"))
        backfilled_first = consumer.candles("BTC-USD") + consumer.candles("ETH-USD")
        clock.now = T0 + 11 * MINUTE + 6_000  # the minute the link came back in has closed and settled
        await consumer.until(lambda: len(consumer.candles("ETH-USD")) == 11)

        every_minute = [T0 + i * MINUTE for i in range(11)]
        for symbol in ("BTC-USD", "ETH-USD"):
            candles = consumer.candles(symbol)
            assert [c.open_time for c in candles] == every_minute
            assert all(c.final and c.sealed for c in candles)
        assert len(backfilled_first) == 20
        assert all(consumer.events.index(c) < consumer.index_of_trade("2") for c in backfilled_first)
        assert consumer.candles("BTC-USD")[3] == Candle(
            exchange="coinbase",
            symbol="BTC-USD",
            interval="1m",
            open_time=T0 + 3 * MINUTE,
            open=Decimal("103"),
            high=Decimal("105"),
            low=Decimal("102"),
            close=Decimal("104"),
            volume=Decimal("3.5"),
            final=True,
            sealed=True,
        )
        assert sum(observer.backfills) == 22

    async def test_a_minute_is_fetched_only_once_it_has_closed_and_settled(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock
    ) -> None:
        server.add_minute_candles("BTC-USD", minute_rows("BTC-USD", T0, 5))
        server.add_minute_candles("ETH-USD", [])
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        await outage(server, clock, until_ms=T0 + 3 * MINUTE + 2_000)
        await consumer.until(lambda: len(consumer.candles("BTC-USD")) == 2)
        clock.now = T0 + 3 * MINUTE + 4_000  # 2m closed 4 s ago (not settled yet); 3m is open
        await server.push_ticker(ticker_row("BTC-USD", "103"))
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("2"))
        fetched_early = [c.open_time for c in consumer.candles("BTC-USD")]
        clock.now = T0 + 4 * MINUTE + 5_000
        await server.push_ticker(ticker_row("BTC-USD", "104"))
        await consumer.until(lambda: len(consumer.candles("BTC-USD")) == 4)

        assert fetched_early == [T0, T0 + MINUTE]
        assert [c.open_time for c in consumer.candles("BTC-USD")] == [T0 + i * MINUTE for i in range(4)]

    async def test_a_long_outage_is_backfilled_in_pages_of_at_most_300_minutes(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock
    ) -> None:
        server.add_minute_candles("BTC-USD", minute_rows("BTC-USD", T0, 12 * 60))
        server.add_minute_candles("ETH-USD", [])
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        await outage(server, clock, until_ms=T0 + 12 * 60 * MINUTE + 10_000)
        await consumer.until(lambda: len(consumer.candles("BTC-USD")) == 12 * 60)

        assert [c.open_time for c in consumer.candles("BTC-USD")] == [T0 + i * MINUTE for i in range(12 * 60)]
        btc = [r for r in server.rest_requests if r.product_id == "BTC-USD"]
        assert len(btc) == 3
        assert all(r.status == 200 and r.params["granularity"] == "ONE_MINUTE" for r in btc)
        assert all(int(r.params["end"]) - int(r.params["start"]) < 300 * 60 for r in btc)

    async def test_a_rate_limited_backfill_waits_as_long_as_retry_after_says(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, sleep: FakeSleep
    ) -> None:
        for product in ("BTC-USD", "ETH-USD"):
            server.add_minute_candles(product, minute_rows(product, T0, 5))
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        server.rate_limit(2, retry_after="7")
        await outage(server, clock, until_ms=T0 + 3 * MINUTE + 10_000)
        await consumer.until(lambda: len(consumer.candles("ETH-USD")) == 3)

        assert sleep.delays.count(7.0) == 2
        assert [r.status for r in server.rest_requests][:3] == [429, 429, 200]
        assert [c.open_time for c in consumer.candles("BTC-USD")] == [T0, T0 + MINUTE, T0 + 2 * MINUTE]

    async def test_a_failing_backfill_is_given_up_after_bounded_retries_and_the_stream_goes_on(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock, observer: FakeFeedObserver
    ) -> None:
        for product in ("BTC-USD", "ETH-USD"):
            server.add_minute_candles(product, minute_rows(product, T0, 5))
        consumer = await start()
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("1"))

        server.fail_rest(1_000, status=503)
        await outage(server, clock, until_ms=T0 + 3 * MINUTE + 10_000)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "2", "100", "1", clock.now))
        await consumer.until(consumer.has_trade("2"))

        assert len(server.rest_requests) == 8  # 4 attempts for each product, then given up
        assert observer.backfills == [0, 0]
        assert consumer.candles("BTC-USD") == []


class TestFiveMinuteCandles:
    async def test_a_five_minute_candle_is_emitted_final_once_the_next_bucket_starts(
        self, server: CoinbaseServer, start: StartFeed
    ) -> None:
        five = 5 * MINUTE
        server.candle_history["BTC-USD"] = [
            candle_row("BTC-USD", T0 - 2 * five, "90", "91", "89", "90", "5"),
            candle_row("BTC-USD", T0 - five, "90", "95", "90", "94", "6"),
            candle_row("BTC-USD", T0, "94", "96", "93", "95", "1"),
        ]
        consumer = await start()

        await server.push_candle(candle_row("BTC-USD", T0, "94", "97", "92", "96", "2"))
        await server.push_candle(candle_row("BTC-USD", T0, "94", "98", "92", "97", "3"))
        await server.push_candle(candle_row("BTC-USD", T0 + five, "97", "97", "97", "97", "0.1"))
        await consumer.until(lambda: len(consumer.candles("BTC-USD", "5m")) == 1)
        await server.push_candle(candle_row("BTC-USD", T0 + five, "97", "99", "97", "99", "0.2"))
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "99", "1", T0 + five + 1))
        await consumer.until(consumer.has_trade("1"))

        assert consumer.candles("BTC-USD", "5m") == [
            Candle(
                exchange="coinbase",
                symbol="BTC-USD",
                interval="5m",
                open_time=T0,
                open=Decimal("94"),
                high=Decimal("98"),
                low=Decimal("92"),
                close=Decimal("97"),
                volume=Decimal("3"),
                final=True,
                sealed=True,
            )
        ]

    async def test_a_bucket_that_closed_during_an_outage_comes_from_the_next_snapshot(
        self, server: CoinbaseServer, start: StartFeed, clock: FakeClock
    ) -> None:
        five = 5 * MINUTE
        server.candle_history["BTC-USD"] = [candle_row("BTC-USD", T0, "94", "96", "93", "95", "1")]
        server.add_minute_candles("BTC-USD", [])
        server.add_minute_candles("ETH-USD", [])
        consumer = await start()

        server.candle_history["BTC-USD"] = [
            candle_row("BTC-USD", T0, "94", "99", "90", "98", "7"),
            candle_row("BTC-USD", T0 + five, "98", "98", "97", "97", "2"),
            candle_row("BTC-USD", T0 + 2 * five, "97", "97", "97", "97", "1"),
        ]
        await outage(server, clock, until_ms=T0 + 2 * five + 30_000)
        await consumer.until(lambda: len(consumer.candles("BTC-USD", "5m")) == 2)

        closed = consumer.candles("BTC-USD", "5m")
        assert [(c.open_time, c.close, c.volume) for c in closed] == [
            (T0, Decimal("98"), Decimal("7")),
            (T0 + five, Decimal("97"), Decimal("2")),
        ]
        assert all(c.final and c.sealed for c in closed)
