"""The integration-event publisher port: Kafka in full mode, the in-process bus when embedded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec


class OutboundMessage(msgspec.Struct, frozen=True):
    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class PublishFailed(Exception):
    """Some messages of a batch were not accepted; `acknowledged` holds the indexes of those that were.

    A caller that retries only the others publishes nothing twice.
    """

    def __init__(self, acknowledged: Sequence[int], reason: str) -> None:
        super().__init__(reason)
        self.acknowledged = frozenset(acknowledged)


class IntegrationPublisher(Protocol):
    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        """Return only once every message is durably accepted, in order per key.

        Raises:
            PublishFailed: naming the messages that were accepted all the same.
        """
        ...
