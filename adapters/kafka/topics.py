"""Creates the platform's topics up front, with a partition count chosen by us rather than the broker.

Relying on auto-creation gives one partition (no parallel consumers) and leaves a consumer that
subscribed before the topic existed blind until its next metadata refresh (minutes).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def ensure_topics(bootstrap_servers: str, names: Sequence[str], partitions: int, prefix: str = "") -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="cap-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [prefix + name for name in names if prefix + name not in existing]
        if missing:
            # Replicas starting together race here; a topic created meanwhile is reported per topic
            # in the response (not raised), so the race is harmless.
            await admin.create_topics([NewTopic(name, partitions, 1) for name in missing])
    finally:
        await admin.close()
