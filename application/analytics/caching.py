"""Analytics results cached as the JSON they are served as, with a time to live per kind of result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import msgspec

from application.ports.cache import ResultCache, Series

# Results also retire when a final candle of their series arrives; the TTL bounds what a missed
# invalidation (a consumer down) can serve, and frees what nobody asks for again.
TTL_SECONDS = {"indicator": 300, "risk": 600, "correlation": 600, "summary": 120}

_encoder = msgspec.json.Encoder()


class CachedResults:
    def __init__(self, cache: ResultCache, counted: Callable[[str, bool], None] = lambda kind, hit: None) -> None:
        self._cache = cache
        self._counted = counted

    async def get_or_compute(
        self, kind: str, series: Sequence[Series], key: str, compute: Callable[[], Awaitable[msgspec.Struct]]
    ) -> bytes:
        cached = await self._cache.get(series, f"{kind}:{key}")
        self._counted(kind, cached is not None)
        if cached is not None:
            return cached
        value = _encoder.encode(await compute())
        await self._cache.put(series, f"{kind}:{key}", value, TTL_SECONDS[kind])
        return value
