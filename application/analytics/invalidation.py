"""Retires cached analytics when a final candle arrives on `market.candles.v1`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec

from application.market.messages import CANDLES_TOPIC, decode
from application.ports.cache import ResultCache, Series
from application.ports.records import InboundRecord
from domain.market.values import Candle

log = logging.getLogger(__name__)


class CacheInvalidator:
    topics = (CANDLES_TOPIC,)

    def __init__(self, cache: ResultCache) -> None:
        self._cache = cache
        self.invalidated = 0

    async def load_positions(self) -> dict[str, int]:
        # Nothing to resume: after a restart only candles from now on can make a cached value stale
        # (older ones were invalidated before, or the values expired by their TTL).
        return {}

    def forget(self) -> None:
        """Nothing is kept between batches."""

    async def handle(self, records: Sequence[InboundRecord]) -> None:
        series: dict[Series, None] = {}
        for record in records:
            try:
                candle = decode(record.topic, record.value)
            except (msgspec.ValidationError, msgspec.DecodeError) as error:
                log.warning("skipping malformed candle record %s@%d: %s", record.topic, record.offset, error)
                continue
            if isinstance(candle, Candle):
                series[(candle.exchange, candle.symbol, candle.interval)] = None
        if series:
            await self._cache.invalidate(list(series))
            self.invalidated += len(series)
