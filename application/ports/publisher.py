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


class IntegrationPublisher(Protocol):
    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        """Return only once every message is durably accepted, in order per key."""
        ...
