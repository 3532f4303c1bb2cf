"""Starts and stops what the container built: tables, connections, and the in-process workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable

import structlog

from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.topics import ensure_topics
from adapters.simulated.feed import SimulatedExchange
from adapters.sqlalchemy.engine import create_tables
from adapters.sqlalchemy.market_tables import market_metadata
from adapters.sqlite.users_view_reader import SqliteUserReadModel
from application.market.history import seed_history
from application.market.ingest import Ingestor
from application.market.messages import CANDLES_TOPIC, INPUT_TOPICS
from application.market.resume import resume_points
from application.users.integration import USERS_TOPIC
from bootstrap.container import Container
from domain.market.instruments import Instrument
from entrypoints.workers.consumer import run_consumer
from entrypoints.workers.follower import follow
from entrypoints.workers.ingest import run_ingest

log = structlog.get_logger(__name__)

WORKERS = ("projections", "relay", "ingest", "candles", "analytics")
STOP_GRACE_SECONDS = 10.0
TOPICS = (*INPUT_TOPICS, CANDLES_TOPIC, USERS_TOPIC)


class Runtime:
    def __init__(self, container: Container) -> None:
        self.container = container
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def start(self, workers: tuple[str, ...] = ()) -> None:
        await create_tables(self.container.views_engine())
        await create_tables(self.container.market_engine(), market_metadata)
        if workers and self.container.mode() == "full":
            await self._connect_kafka()
        for name in workers:
            self._tasks.append(asyncio.create_task(self._worker(name), name=f"worker:{name}"))
        # Everything built so far lives as long as the process: keep the collector from re-scanning it
        # on every full collection (a long-lived server's GC pauses scale with its heap).
        gc.freeze()
        if workers:
            log.info("workers started", mode=self.container.settings().mode, workers=list(workers))

    async def run_worker(self, name: str) -> None:
        """Run one worker in the foreground (its own process in full mode) until SIGTERM or SIGINT."""
        await self.start()
        if self.container.mode() == "full":
            await self._connect_kafka()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, self._stop.set)
        await self._worker(name)

    async def _connect_kafka(self) -> None:
        # Connect outside any request, so the producer's background tasks carry no request context.
        publisher = self.container.publisher()
        assert isinstance(publisher, KafkaPublisher)
        settings = self.container.settings()
        try:
            await ensure_topics(
                settings.kafka_bootstrap, TOPICS, settings.kafka_partitions, prefix=settings.kafka_topic_prefix
            )
            await publisher.start()
        except Exception as error:  # the relay retries; the API must still come up to report /ready
            log.warning("kafka not reachable at start-up; the relay will retry", error=str(error))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            # Workers finish the step in hand and return; cancelling is the last resort for one that
            # hangs, because a step cancelled inside a database call can leave a connection behind.
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in self._tasks:
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError):
                task.result()
        self._tasks.clear()
        publisher = self.container.publisher()
        if isinstance(publisher, KafkaPublisher):
            await publisher.stop()
        if self.container.mode() == "full":
            await self.container.redis().aclose()
        self.container.key_vault().close()
        read_model = self.container.user_read_model()
        if isinstance(read_model, SqliteUserReadModel):
            read_model.close()
        await self.container.views_engine().dispose()
        await self.container.market_engine().dispose()
        self.container.tracing().shutdown()

    async def _worker(self, name: str) -> None:
        container = self.container
        wake = container.wake_followers().listener() if container.mode() == "embedded" else None
        # Embedded: every commit happens in this process and wakes the followers at once, so the poll
        # is only a safety net. Full: other processes commit, and polling is how we hear of it.
        poll_seconds = 2.0 if wake else 0.2
        metrics = container.metrics()
        store = container.event_store()
        if name == "projections":
            projections = container.projections()

            async def report_projections() -> None:
                for status in await projections.status():
                    metrics.consumer_position.labels(status.name).set(status.position)
                    metrics.consumer_lag.labels(status.name).set(status.lag)

            await follow(
                name,
                projections.step,
                stop=self._stop,
                wake=wake,
                poll_seconds=poll_seconds,
                after_step=report_projections,
            )
        elif name == "relay":
            relay = container.relay()

            async def report_relay() -> None:
                position = await relay.position()
                metrics.consumer_position.labels(relay.name).set(position)
                metrics.consumer_lag.labels(relay.name).set(max(await store.last_notification_id() - position, 0))

            await follow(
                name, relay.step, stop=self._stop, wake=wake, poll_seconds=poll_seconds, after_step=report_relay
            )
        elif name == "ingest":
            await self._ingest()
        elif name == "candles":
            await self._candles()
        elif name == "analytics":
            await run_consumer(self.container.live_indicators(), self.container.invalidation_source(), stop=self._stop)
        else:
            raise ValueError(f"unknown worker {name!r}; known: {', '.join(WORKERS)}")

    async def _ingest(self) -> None:
        container = self.container
        ingestors = container.ingestors()
        metrics = container.metrics()

        def report() -> None:
            for ingestor in ingestors:
                exchange, stats = ingestor.feed.exchange, ingestor.stats
                metrics.ingest_received.labels(exchange).set(stats.received)
                metrics.ingest_published.labels(exchange).set(stats.published)
                metrics.ingest_dropped.labels(exchange).set(stats.dropped)
                metrics.ingest_buffered.labels(exchange).set(stats.buffered)
                metrics.ingest_publish_lag.labels(exchange).set(stats.last_batch_lag)

        await self._seed_simulated_history(ingestors)
        reporter = asyncio.create_task(_every(1.0, report, self._stop))
        try:
            store, now_ms = container.candle_store(), container.now_ms()

            async def resume_from(exchange: str, instruments: list[Instrument]) -> dict[str, int]:
                return await resume_points(store, exchange, instruments, now_ms)

            await run_ingest(ingestors, container.catalog().followed, stop=self._stop, resume_from=resume_from)
        finally:
            await reporter

    async def _seed_simulated_history(self, ingestors: list[Ingestor]) -> None:
        container, settings = self.container, self.container.settings()
        for ingestor in ingestors:
            feed = ingestor.feed
            if not isinstance(feed, SimulatedExchange) or settings.simulated_history_days <= 0:
                continue
            try:
                imported = await seed_history(
                    feed.history,
                    feed.exchange,
                    await container.catalog().followed(),
                    days=settings.simulated_history_days,
                    store=container.candle_store(),
                    publisher=container.publisher(),
                    now_ms=container.now_ms(),
                )
            except Exception:
                log.exception("could not seed the simulated exchange's history; starting without it")
                continue
            if imported:
                log.info("simulated history seeded", candles=imported, days=settings.simulated_history_days)

    async def _candles(self) -> None:
        container = self.container
        worker = container.candle_worker()
        source = container.candle_source()
        metrics = container.metrics()

        async def report() -> None:
            metrics.candle_trades.set(worker.stats.trades)
            metrics.candle_late_trades.set(worker.late_trades)
            metrics.candle_malformed.set(worker.stats.malformed)
            metrics.candle_consumer_lag.set(await source.lag())

        # Embedded: trades trickle in from the simulated exchange, and one SQLite transaction a fifth of a
        # second serves them as well as one per trade at a fraction of the cost to the API beside it.
        linger = 0.2 if container.mode() == "embedded" else 0.0
        await run_consumer(worker, source, stop=self._stop, linger_seconds=linger, after_batch=report)


async def _every(seconds: float, report: Callable[[], None], stop: asyncio.Event) -> None:
    while not stop.is_set():
        report()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await stop.wait()
    report()
