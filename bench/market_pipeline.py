"""Trades per second through parse -> Kafka -> candles, against bare aiokafka moving the same records.

Input: real Coinbase Advanced Trade `market_trades` frames from ../shared/data/exchange-captures (cycled,
with trade ids and times rewritten so every trade is new and the clock runs at 5,000 trades a second);
without the capture, frames of the same shape are synthesised. Ours: the Coinbase frame parser, the
ingestor (bounded buffer, pipelined KafkaPublisher with acks=all and idempotence), and the candle worker
(KafkaRecordSource -> candles at six intervals upserted in PostgreSQL with the positions, latest prices in
Redis, live updates through Redis pub/sub, final candles back to Kafka), all on one event loop. Bare: one
AIOKafkaProducer (same acks, idempotence and linger) sending the same records and one AIOKafkaConsumer
reading them back, on one event loop. Rate = trades / seconds until the last one is consumed.
Target (issue): ours at least half the bare rate.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from adapters.coinbase.frames import CoinbaseFrames
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.record_source import KafkaRecordSource
from adapters.kafka.topics import ensure_topics
from adapters.redis.live_fanout import RedisLiveFanout
from adapters.redis.prices import RedisPriceStore
from adapters.sqlalchemy.candles import SqlCandleStore
from adapters.sqlalchemy.engine import create_tables, create_views_engine
from adapters.sqlalchemy.market_tables import market_metadata
from adapters.system.clock import epoch_ms
from application.market.candle_worker import CandleWorker
from application.market.ingest import Ingestor
from application.market.messages import CANDLES_TOPIC, INPUT_TOPICS, TRADES_TOPIC, to_message
from bench._common import figure, note, peak_rss_mib, reset_peak_rss, say
from domain.market.instruments import Instrument, SymbolMap
from domain.market.values import MarketEvent, Trade
from entrypoints.workers.consumer import run_consumer

TARGET = 0.5
TRADES = 100_000
ROUNDS = 2
CAPTURE = (
    Path(__file__).resolve().parents[2] / "shared/data/exchange-captures/coinbase-advanced-trade-2026-08-09.jsonl.zst"
)
INSTRUMENTS = [Instrument("BTC", "USD"), Instrument("ETH", "USD")]


def _capture_trades() -> list[dict[str, str]]:
    """The trades of the capture's market_trades frames, or synthetic ones of the same shape."""
    if CAPTURE.exists() and shutil.which("zstd"):
        output = subprocess.run(["zstd", "-dc", str(CAPTURE)], capture_output=True, check=True).stdout
        trades = []
        for line in output.splitlines():
            record = msgspec.json.decode(line)
            if record.get("t") in ("recv", "ws"):
                frame = msgspec.json.decode(record["data"])
                if frame.get("channel") == "market_trades":
                    for event in frame["events"]:
                        trades += event.get("trades", [])
        if trades:
            return trades
    return [
        {"product_id": "BTC-USD" if i % 3 else "ETH-USD", "trade_id": str(i), "price": f"{65000 + i % 97}.12",
         "size": "0.01034361", "time": "", "side": "SELL" if i % 2 else "BUY"}
        for i in range(300)
    ]  # fmt: skip


def build_frames(count: int) -> list[bytes]:
    """`count` trades in market_trades frames of 10 trades each, as the exchange batches them."""
    source = _capture_trades()
    start = time.time()
    frames = []
    for first in range(0, count, 10):
        trades = []
        for i in range(first, min(first + 10, count)):
            trade = dict(source[i % len(source)])
            moment = start + i / 5_000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1e6):06d}Z"
            trade.update(trade_id=str(10_000_000 + i), time=stamp)
            trades.append(trade)
        frames.append(
            msgspec.json.encode(
                {
                    "channel": "market_trades",
                    "timestamp": trades[-1]["time"],
                    "sequence_num": len(frames),
                    "events": [{"type": "update", "trades": trades}],
                }
            )
        )
    return frames


class FramesFeed:
    """Parses recorded frames as fast as they can be read: the feed side of the pipeline."""

    exchange = "coinbase"

    def __init__(self, frames: Sequence[bytes]) -> None:
        self._frames = frames

    async def stream(self, instruments: Sequence[Instrument]) -> AsyncIterator[MarketEvent]:
        parser = CoinbaseFrames(SymbolMap(instruments, separator="-"))
        for index, raw in enumerate(self._frames):
            for event in parser.parse(raw).events:
                yield event
            if index % 50 == 0:
                await asyncio.sleep(0)
        await asyncio.Event().wait()


async def run_ours(frames: Sequence[bytes], trades: int, env: dict[str, str]) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    bootstrap = env["kafka"]
    await ensure_topics(bootstrap, [*INPUT_TOPICS, CANDLES_TOPIC], 3, prefix=prefix)
    engine = create_views_engine(env["postgres"].replace("postgresql://", "postgresql+asyncpg://", 1))
    await create_tables(engine, market_metadata)
    redis = Redis.from_url(env["redis"])
    publisher = KafkaPublisher(bootstrap, topic_prefix=prefix)
    candle_publisher = KafkaPublisher(bootstrap, topic_prefix=prefix)
    worker = CandleWorker(
        SqlCandleStore(engine),
        RedisPriceStore(redis, f"{prefix}price:"),
        candle_publisher,
        RedisLiveFanout(redis, f"{prefix}live"),
        epoch_ms,
        consumer=f"{prefix}candles",
    )
    source = KafkaRecordSource(bootstrap, f"{prefix}candles", topic_prefix=prefix)
    stop, done = asyncio.Event(), asyncio.Event()

    async def check_done() -> None:
        if worker.stats.trades >= trades:
            done.set()

    ingestor = Ingestor(FramesFeed(frames), publisher, buffer_size=trades * 2)
    consumer = asyncio.create_task(run_consumer(worker, source, stop=stop, tick_seconds=0.05, after_batch=check_done))
    await _joined(source)
    started = time.perf_counter()
    producer = asyncio.create_task(ingestor.run(INSTRUMENTS, stop))
    await done.wait()
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(producer, consumer)
    if ingestor.stats.dropped:
        raise RuntimeError(f"the ingestor dropped {ingestor.stats.dropped} trades")
    await publisher.stop()
    await candle_publisher.stop()
    await redis.aclose()
    await engine.dispose()
    return trades / elapsed


async def _joined(source: KafkaRecordSource) -> None:
    """Until the consumer owns its partitions (the group join is not part of the throughput)."""
    deadline = time.monotonic() + 30
    while not source.assigned():
        if time.monotonic() > deadline:
            raise RuntimeError("the candle worker's consumer never got its partitions")
        await asyncio.sleep(0.05)


async def run_bare(frames: Sequence[bytes], trades: int, env: dict[str, str]) -> float:
    topic = f"bench-{uuid.uuid4().hex[:8]}.{TRADES_TOPIC}"
    bootstrap = env["kafka"]
    await ensure_topics(bootstrap, [topic], 3)
    # The same records ours publishes, encoded up front: the bare side does no parsing at all.
    parser = CoinbaseFrames(SymbolMap(INSTRUMENTS, separator="-"))
    messages = [to_message(e) for raw in frames for e in parser.parse(raw).events if isinstance(e, Trade)]
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"bare-{uuid.uuid4().hex}", auto_offset_reset="earliest",
        enable_auto_commit=False, max_poll_records=5_000, fetch_max_wait_ms=50,
    )  # fmt: skip
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    received = 0

    async def consume() -> None:
        nonlocal received
        while received < trades:
            batches = await consumer.getmany(timeout_ms=50, max_records=5_000)
            received += sum(len(batch) for batch in batches.values())

    started = time.perf_counter()
    reader = asyncio.create_task(consume())
    for first in range(0, len(messages), 2_000):
        chunk = messages[first : first + 2_000]
        deliveries = [await producer.send(topic, m.value, key=m.key) for m in chunk]
        await asyncio.gather(*deliveries)
    await reader
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return trades / elapsed


def main() -> None:
    say("== market pipeline: trades/s through parse -> Kafka -> candles (ours) vs bare aiokafka produce+consume ==")
    env = {
        "postgres": os.environ.get("CAP_TEST_POSTGRES_DSN", ""),
        "redis": os.environ.get("CAP_TEST_REDIS_URL", ""),
        "kafka": os.environ.get("CAP_TEST_KAFKA_BOOTSTRAP", ""),
    }
    if not all(env.values()):
        say("market.pipeline: SKIPPED (needs CAP_TEST_POSTGRES_DSN, CAP_TEST_REDIS_URL, CAP_TEST_KAFKA_BOOTSTRAP)")
        return
    frames = build_frames(TRADES)
    note(f"{TRADES:,} trades ({'real capture, cycled' if CAPTURE.exists() else 'synthetic'}), "
         f"{len(frames):,} frames; best of {ROUNDS} interleaved rounds")  # fmt: skip
    reset_peak_rss()
    ours = bare = 0.0
    with asyncio.Runner() as runner:
        for index in range(ROUNDS):
            sides = [("ours", run_ours), ("bare", run_bare)]
            for name, run in sides if index % 2 == 0 else reversed(sides):
                rate = runner.run(run(frames, TRADES, env))
                if name == "ours":
                    ours = max(ours, rate)
                else:
                    bare = max(bare, rate)
    figure("market.pipeline", ours, bare, "trades/s", TARGET, f"peak_rss={peak_rss_mib():.0f} MiB (one process)")


if __name__ == "__main__":
    main()
