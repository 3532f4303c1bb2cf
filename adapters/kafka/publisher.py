"""Publishes integration messages to Kafka, returning only when the broker acknowledged all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace

from application.ports.publisher import OutboundMessage, PublishFailed


class KafkaPublisher:
    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str = "cap",
        tracer: trace.Tracer | None = None,
        topic_prefix: str = "",
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        # Namespaces every topic (one cluster shared by several environments or test runs).
        self._prefix = topic_prefix
        self._client_id = client_id
        self._tracer = tracer or trace.NoOpTracer()
        # Created on first use: aiokafka binds to the running event loop when constructed.
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                # Idempotence keeps retries from duplicating or reordering within a partition; acks=all
                # is what makes an acknowledged batch safe to mark as published.
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                )
                try:
                    await producer.start()
                except BaseException:
                    # A producer that failed to start still holds a client and its tasks.
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        producer = await self.start()
        with self._tracer.start_as_current_span("kafka.publish", kind=trace.SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.batch.message_count", len(messages))
            if messages:
                span.set_attribute("messaging.destination.name", self._prefix + messages[0].topic)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            trace_headers = [(key, value.encode()) for key, value in carrier.items()]
            # Pipelined: every send is queued before we wait, and the acks resolve in order. On a
            # failure, wait for every send already queued and say which were accepted, so a retry of
            # the rest does not publish those twice.
            deliveries: list[asyncio.Future[object]] = []
            try:
                for m in messages:
                    headers = [*m.headers, *trace_headers]
                    deliveries.append(await producer.send(self._prefix + m.topic, m.value, key=m.key, headers=headers))
            except Exception as error:
                results = await asyncio.gather(*deliveries, return_exceptions=True)
                accepted = [i for i, result in enumerate(results) if not isinstance(result, BaseException)]
                raise PublishFailed(accepted, f"kafka send failed: {error!r}") from error
            results = await asyncio.gather(*deliveries, return_exceptions=True)
            failures = [result for result in results if isinstance(result, BaseException)]
            if failures:
                accepted = [i for i, result in enumerate(results) if not isinstance(result, BaseException)]
                raise PublishFailed(accepted, f"kafka did not acknowledge {len(failures)} messages: {failures[0]!r}")

    async def ping(self) -> None:
        """Raise unless the cluster answers a metadata request."""
        producer = await self.start()
        await asyncio.wait_for(producer.client.force_metadata_update(), 5)
        if not producer.client.cluster.brokers():
            raise ConnectionError("no Kafka broker in the cluster metadata")
