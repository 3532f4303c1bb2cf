"""Historical import: parsed candles stored in one transaction, with higher intervals rolled up from 1m.

Everything is validated before anything is written, and the write is one transaction, so a bad file
stores nothing. Re-importing a file upserts the same keys to the same values: idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from application.market.messages import final_candle_messages
from application.ports.market import CandleStore
from application.ports.publisher import IntegrationPublisher
from domain.market.candles import roll_up
from domain.market.intervals import HIGHER_INTERVALS, INTERVAL_MS, bucket_start
from domain.market.values import Candle

IMPORT_CONSUMER = "import"
_PUBLISH_CHUNK = 5_000


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    exchange: str
    interval: str
    imported: int
    rolled_up: int
    first_open_time: int | None
    last_open_time: int | None


async def import_candles(
    candles: Sequence[Candle],
    *,
    store: CandleStore,
    publisher: IntegrationPublisher,
    exchange: str,
    symbol: str,
    interval: str,
    now_ms: Callable[[], int],
) -> ImportResult:
    rolled: list[Candle] = []
    if candles and interval == "1m":
        rolled = await _roll_up_higher(candles, store, now_ms())
    if candles:
        await store.save([*candles, *rolled], IMPORT_CONSUMER, {})
        # Analytics treat a final candle as an upsert by key: tell them what changed.
        finals = [c for c in (*candles, *rolled) if c.final]
        for start in range(0, len(finals), _PUBLISH_CHUNK):
            await publisher.publish(final_candle_messages(finals[start : start + _PUBLISH_CHUNK]))
    return ImportResult(
        symbol=symbol,
        exchange=exchange,
        interval=interval,
        imported=len(candles),
        rolled_up=len(rolled),
        first_open_time=candles[0].open_time if candles else None,
        last_open_time=candles[-1].open_time if candles else None,
    )


async def _roll_up_higher(minutes: Sequence[Candle], store: CandleStore, now: int) -> list[Candle]:
    """Higher-interval candles over the imported span, counting the minutes already stored there too."""
    first, last = minutes[0], minutes[-1]
    span_start = bucket_start(first.open_time, "1d")
    span_end = bucket_start(last.open_time, "1d") + INTERVAL_MS["1d"]
    merged = {c.open_time: c for c in await store.between(first.exchange, first.symbol, "1m", span_start, span_end)}
    merged.update((c.open_time, c) for c in minutes)
    touched = {c.open_time for c in minutes}
    rolled = []
    for interval in HIGHER_INTERVALS:
        buckets = {bucket_start(t, interval) for t in touched}
        size = INTERVAL_MS[interval]
        for candle in roll_up(list(merged.values()), interval, final=True):
            if candle.open_time in buckets:
                final = candle.open_time + size <= now
                rolled.append(msgspec.structs.replace(candle, final=final, sealed=final))
    return rolled
