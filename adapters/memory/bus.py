"""The in-process integration bus of the embedded mode: Kafka's role, inside one process.

Subscribers get bounded queues; a subscriber that falls behind loses its oldest messages rather
than growing memory without limit or stalling the publisher (and is told how many it lost).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from application.ports.publisher import OutboundMessage


class Subscription:
    def __init__(self, topic: str, maxsize: int) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[OutboundMessage] = asyncio.Queue(maxsize)
        self.dropped = 0
        # Set whenever a message arrives, so a reader can wait on several subscriptions at once.
        self.arrived = asyncio.Event()

    def offer(self, message: OutboundMessage) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)
        self.arrived.set()

    async def get(self) -> OutboundMessage:
        return await self.queue.get()


class InProcessBus:
    def __init__(self, subscriber_queue_size: int = 10_000) -> None:
        self._subscriptions: defaultdict[str, list[Subscription]] = defaultdict(list)
        self._queue_size = subscriber_queue_size

    def subscribe(self, topic: str) -> Subscription:
        subscription = Subscription(topic, self._queue_size)
        self._subscriptions[topic].append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions[subscription.topic].remove(subscription)

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        for message in messages:
            for subscription in self._subscriptions.get(message.topic, ()):
                subscription.offer(message)
