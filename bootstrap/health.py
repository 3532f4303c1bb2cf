"""The readiness checks for the current mode: each dependency the platform cannot serve without."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from adapters.kafka.publisher import KafkaPublisher
from bootstrap.container import Container

Check = Callable[[], Awaitable[object]]


def readiness_checks(container: Container) -> dict[str, Check]:
    engine = container.views_engine()
    store = container.event_store()

    async def views() -> None:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    checks: dict[str, Check] = {"event_store": store.last_notification_id, "views": views}
    if container.mode() == "full":
        checks["redis"] = container.redis().ping
        # Only a process that runs the relay uses Kafka; an API replica must not leave service
        # because of a Kafka blip it would not feel.
        if container.settings().workers_in_process:
            publisher = container.publisher()
            assert isinstance(publisher, KafkaPublisher)
            checks["kafka"] = publisher.ping
    return checks
