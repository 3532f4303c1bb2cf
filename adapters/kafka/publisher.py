"""Publishes integration messages to Kafka, returning only when the broker acknowledged all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from application.ports.publisher import OutboundMessage


class KafkaPublisher:
    def __init__(self, bootstrap_servers: str, client_id: str = "cap", tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer or trace.NoOpTracer()
        # Idempotence keeps retries from duplicating or reordering within a partition; acks=all is
        # what makes an acknowledged batch safe to mark as published.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
        )
        self._started = False

    async def start(self) -> None:
        if not self._started:
            await self._producer.start()
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()
            self._started = False

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        await self.start()
        with self._tracer.start_as_current_span("kafka.publish", kind=trace.SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.batch.message_count", len(messages))
            if messages:
                span.set_attribute("messaging.destination.name", messages[0].topic)
            # Pipelined: every send is queued before we wait, and the waits resolve in order.
            deliveries = [
                await self._producer.send(m.topic, m.value, key=m.key, headers=list(m.headers)) for m in messages
            ]
            await asyncio.gather(*deliveries)

    async def ping(self) -> None:
        """Raise unless the cluster answers a metadata request."""
        await self.start()
        await asyncio.wait_for(self._producer.client.force_metadata_update(), 5)
        if not self._producer.client.cluster.brokers():
            raise ConnectionError("no Kafka broker in the cluster metadata")
