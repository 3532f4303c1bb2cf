"""The inbound side of a stream: records read from topics, resumed where their consumer says it stopped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import msgspec


class InboundRecord(msgspec.Struct, frozen=True):
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes

    @property
    def source(self) -> str:
        """Name of the position this record advances (`topic:partition`)."""
        return f"{self.topic}:{self.partition}"


class RecordSource(Protocol):
    """Kafka in full mode (a consumer group), the in-process bus when embedded.

    The consumer keeps its positions itself, in the same transaction as what it writes, so the source
    asks for them (`load_positions`) whenever partitions are assigned and starts reading from there.
    Positions map `topic:partition` to the offset of the next record to read.
    """

    async def start(
        self,
        topics: Sequence[str],
        load_positions: Callable[[], Awaitable[dict[str, int]]],
        on_revoked: Callable[[], None],
    ) -> None: ...

    async def poll(self, max_records: int, timeout_seconds: float) -> list[InboundRecord]: ...

    async def lag(self) -> int:
        """Records published but not yet returned by poll (best effort, for metrics)."""
        ...

    async def stop(self) -> None: ...
