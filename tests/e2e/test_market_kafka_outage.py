"""Kafka crashes while trades flow and comes back: no trade lost or counted twice, candles complete.

The real pieces, wired by hand on a private broker (killing it leaves the shared one alone): a
scripted feed through the Ingestor into the market topics, and the candle worker reading them into
PostgreSQL and Redis. The broker is SIGKILLed mid-stream, kept down for a while, then started again
on the same data dir; the expected candles are computed from the scripted trades alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from redis.asyncio import Redis
from support.kafka_broker import KafkaBroker, private_kafka

from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.record_source import KafkaRecordSource
from adapters.memory.live_fanout import MemoryLiveFanout
from adapters.redis.prices import RedisPriceStore
from adapters.sqlalchemy.candles import SqlCandleStore
from adapters.sqlalchemy.engine import create_tables, create_views_engine
from adapters.sqlalchemy.market_tables import market_metadata
from application.market.candle_worker import CONSUMER, CandleWorker
from application.market.ingest import Ingestor
from application.market.messages import CANDLES_TOPIC, INPUT_TOPICS, TRADES_TOPIC
from domain.market.candles import CandleBook, roll_up
from domain.market.instruments import Instrument
from domain.market.intervals import HIGHER_INTERVALS, INTERVALS
from domain.market.values import Candle, MarketEvent, Trade
from entrypoints.workers.consumer import run_consumer

pytestmark = pytest.mark.e2e

EXCHANGE = "test"
START_PRICES = {"BTC-USDT": Decimal("43000.00"), "ETH-USDT": Decimal("2300.00")}
TRADES_PER_SECOND = 700
SECONDS_OF_TRADES = 9
PARTITIONS = 3
FAR_FUTURE = 2**62


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    with private_kafka(tmp_path / "kafka") as running:
        yield running


class ScriptedFeed:
    """A live feed playing a known list of trades at a steady pace, stamped with the wall clock as they go."""

    exchange = EXCHANGE

    def __init__(self, plan: Sequence[tuple[str, Decimal, Decimal]], per_second: int) -> None:
        self._plan = plan
        self._per_second = per_second
        self.emitted: list[Trade] = []
        self.finished = asyncio.Event()

    async def stream(self, instruments: Sequence[Instrument]) -> AsyncIterator[MarketEvent]:
        started = time.monotonic()
        last_time = 0
        for number, (symbol, price, quantity) in enumerate(self._plan):
            due = started + number / self._per_second
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            last_time = max(last_time, int(time.time() * 1000))
            trade = Trade(
                exchange=EXCHANGE,
                symbol=symbol,
                trade_id=str(number),
                price=price,
                quantity=quantity,
                time=last_time,
                side="buy" if number % 2 else "sell",
            )
            self.emitted.append(trade)
            yield trade
        self.finished.set()
        await asyncio.Event().wait()  # a live feed never ends on its own


def trade_plan(count: int, seed: int = 7) -> list[tuple[str, Decimal, Decimal]]:
    rng = random.Random(seed)
    prices = dict(START_PRICES)
    plan = []
    for _ in range(count):
        symbol = rng.choice(sorted(prices))
        prices[symbol] = max(prices[symbol] + Decimal(rng.randint(-300, 300)) / 100, Decimal("1.00"))
        plan.append((symbol, prices[symbol], Decimal(rng.randint(1, 50_000)) / 10_000))
    return plan


def expected_minutes(trades: Sequence[Trade]) -> dict[str, list[Candle]]:
    book = CandleBook(INTERVALS)
    for trade in trades:
        book.apply(trade)
    minutes: dict[str, list[Candle]] = {symbol: [] for symbol in START_PRICES}
    for candle in book.drain():
        if candle.interval == "1m":
            minutes[candle.symbol].append(candle)
    return minutes


def unfinalised(candles: Sequence[Candle]) -> list[Candle]:
    # Whether the last minute is final yet depends on when the worker last ran, not on the trades.
    return [msgspec.structs.replace(c, final=False) for c in sorted(candles, key=lambda c: c.open_time)]


def ohlcv(candles: Sequence[Candle]) -> list[tuple[object, ...]]:
    return [(c.open_time, c.open, c.high, c.low, c.close, c.volume, c.trades) for c in candles]


async def wait_until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


async def create_market_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [*INPUT_TOPICS, CANDLES_TOPIC]
        await admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics])
    finally:
        await admin.close()


async def trade_end_offsets(bootstrap: str) -> dict[str, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(TRADES_TOPIC, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {f"{tp.topic}:{tp.partition}": offset for tp, offset in ends.items()}


@dataclass
class Pipeline:
    ingestor: Ingestor
    store: SqlCandleStore
    prices: RedisPriceStore


@contextlib.asynccontextmanager
async def running_pipeline(bootstrap: str, dsn: str, redis_url: str, feed: ScriptedFeed) -> AsyncIterator[Pipeline]:
    """Feed -> Ingestor -> Kafka -> candle worker -> PostgreSQL + Redis, running until the block ends."""
    engine = create_views_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    redis = Redis.from_url(redis_url)
    ingest_publisher = KafkaPublisher(bootstrap, client_id="test-ingest")
    candle_publisher = KafkaPublisher(bootstrap, client_id="test-candles")
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        await create_tables(engine, market_metadata)
        pipeline = Pipeline(
            Ingestor(feed, ingest_publisher),
            SqlCandleStore(engine),
            RedisPriceStore(redis, f"test:{uuid.uuid4().hex[:8]}:price:"),
        )
        worker = CandleWorker(
            pipeline.store,
            pipeline.prices,
            candle_publisher,
            MemoryLiveFanout(),
            now_ms=lambda: int(time.time() * 1000),
        )
        source = KafkaRecordSource(bootstrap, group_id=f"candles-{uuid.uuid4().hex[:8]}")
        instruments = [Instrument.parse(symbol) for symbol in START_PRICES]
        tasks += [
            asyncio.create_task(pipeline.ingestor.run(instruments, stop)),
            asyncio.create_task(run_consumer(worker, source, stop=stop)),
        ]
        yield pipeline
    finally:
        stop.set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=30)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for publisher in (ingest_publisher, candle_publisher):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(publisher.stop(), 10)
        await redis.aclose()
        await engine.dispose()


async def test_no_trade_is_lost_or_counted_twice_when_kafka_crashes_and_restarts_while_trades_flow(
    broker: KafkaBroker, fresh_database: str, redis_url: str
) -> None:
    await create_market_topics(broker.bootstrap)
    plan = trade_plan(TRADES_PER_SECOND * SECONDS_OF_TRADES)
    feed = ScriptedFeed(plan, TRADES_PER_SECOND)

    async with running_pipeline(broker.bootstrap, fresh_database, redis_url, feed) as pipeline:
        store, ingestor = pipeline.store, pipeline.ingestor

        async def emitted(fraction: float) -> bool:
            return len(feed.emitted) >= len(plan) * fraction

        async def stored_some() -> bool:
            return bool(await store.positions(CONSUMER))

        async def all_published_and_consumed() -> bool:
            if not feed.finished.is_set() or ingestor.stats.published + ingestor.stats.dropped < len(plan):
                return False
            stored = await store.positions(CONSUMER)
            ends = await trade_end_offsets(broker.bootstrap)
            return all(stored.get(partition, 0) == end for partition, end in ends.items())

        # Trades flow end to end, then the broker crashes under both the producer and the consumer,
        # stays down while the feed goes on, and comes back on the same data dir.
        await wait_until(lambda: emitted(0.25), 30, "a quarter of the trades emitted")
        await wait_until(stored_some, 30, "the candle worker to store its first batch")
        broker.kill()
        await wait_until(lambda: emitted(0.5), 30, "trades emitted while the broker is down")
        await asyncio.to_thread(broker.start)
        await wait_until(all_published_and_consumed, 90, "every trade published and consumed")

        assert ingestor.stats.dropped == 0
        assert ingestor.stats.received == ingestor.stats.published == len(feed.emitted) == len(plan)

        expected = expected_minutes(feed.emitted)
        for symbol in START_PRICES:
            scripted = [t for t in feed.emitted if t.symbol == symbol]
            minutes = await store.between(EXCHANGE, symbol, "1m", 0, FAR_FUTURE)
            assert sum(c.trades for c in minutes) == len(scripted), symbol
            scripted_volume = sum((t.quantity for t in scripted), Decimal(0))
            assert sum((c.volume for c in minutes), Decimal(0)) == scripted_volume, symbol
            assert unfinalised(minutes) == unfinalised(expected[symbol])
            for interval in HIGHER_INTERVALS:
                stored = await store.between(EXCHANGE, symbol, interval, 0, FAR_FUTURE)
                assert ohlcv(stored) == ohlcv(roll_up(minutes, interval, final=False)), (symbol, interval)

        latest = await pipeline.prices.get(list(START_PRICES))
        for symbol in START_PRICES:
            last = [t for t in feed.emitted if t.symbol == symbol][-1]
            assert (latest[symbol].price, latest[symbol].time) == (last.price, last.time), symbol
