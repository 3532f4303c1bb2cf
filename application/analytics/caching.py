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
        lookup = await self._cache.get(series, f"{kind}:{key}")
        self._counted(kind, lookup.value is not None)
        if lookup.value is not None:
            return lookup.value
        value = _encoder.encode(await compute())
        # Under the versions read before computing: if a candle arrived meanwhile, this value is already old.
        await self._cache.put(series, lookup.versions, f"{kind}:{key}", value, TTL_SECONDS[kind])
        return value
