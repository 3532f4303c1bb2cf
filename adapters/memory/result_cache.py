"""The analytics result cache in memory (embedded mode): bounded, oldest entries evicted first."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from application.ports.cache import Lookup, Series


class MemoryResultCache:
    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._versions: dict[Series, int] = {}
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    @staticmethod
    def _full_key(series: Sequence[Series], versions: Sequence[int], key: str) -> str:
        named = ",".join(f"{'/'.join(s)}@{v}" for s, v in zip(series, versions, strict=True))
        return f"{named}|{key}"

    async def get(self, series: Sequence[Series], key: str) -> Lookup:
        versions = tuple(self._versions.get(s, 0) for s in series)
        full = self._full_key(series, versions, key)
        entry = self._entries.get(full)
        if entry is None:
            return Lookup(None, versions)
        expires, value = entry
        if expires <= self._clock():
            del self._entries[full]
            return Lookup(None, versions)
        self._entries.move_to_end(full)
        return Lookup(value, versions)

    async def put(
        self, series: Sequence[Series], versions: Sequence[int], key: str, value: bytes, ttl_seconds: int
    ) -> None:
        full = self._full_key(series, versions, key)
        self._entries[full] = (self._clock() + ttl_seconds, value)
        self._entries.move_to_end(full)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def invalidate(self, series: Sequence[Series]) -> None:
        for one in series:
            self._versions[one] = self._versions.get(one, 0) + 1
