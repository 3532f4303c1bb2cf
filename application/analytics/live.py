"""Live indicator summaries: each final candle moves every tracked indicator of its series on by one bar.

The trackers update in constant time per candle (domain.analytics.incremental). A series seen for the
first time, or a candle that corrects one already applied, is rebuilt by replaying the stored buckets
before it (the same window the summary endpoint computes over); a bucket skipped since the last candle
is fed as a flat bar, as the batch side fills gaps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from application.analytics.indicators import HISTORY_BARS
from application.analytics.invalidation import CacheInvalidator
from application.analytics.summary import TRACKED, Summary, Value
from application.market.messages import CANDLES_TOPIC, decode
from application.market.times import to_rfc3339
from application.ports.cache import Series
from application.ports.market import CandleStore, LiveFanout, LiveUpdate
from application.ports.records import InboundRecord
from domain.analytics.incremental import Bands, Bar, MACDValue, Tracker, tracker
from domain.analytics.series import bars_from_rows
from domain.market.intervals import INTERVAL_MS
from domain.market.values import Candle

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _value(value: Any) -> Value:
    if value is None:
        return None
    if isinstance(value, MACDValue):
        return {"macd": value.macd, "macdsignal": value.signal, "macdhist": value.hist}
    if isinstance(value, Bands):
        return {"upperband": value.upper, "middleband": value.middle, "lowerband": value.lower}
    return float(value)


@dataclass
class _Tracked:
    trackers: dict[str, Tracker[Any]]
    last_time: int
    last_close: float


class LiveIndicators:
    """The analytics worker's consumer of final candles: retires cached results, then pushes summaries."""

    topics = (CANDLES_TOPIC,)

    def __init__(
        self, invalidator: CacheInvalidator, store: CandleStore, fanout: LiveFanout, now_ms: Callable[[], int]
    ) -> None:
        self._invalidator = invalidator
        self._store = store
        self._fanout = fanout
        self._now_ms = now_ms
        self._series: dict[Series, _Tracked] = {}

    async def load_positions(self) -> dict[str, int]:
        # Nothing to resume: only candles from now on can make a cached value stale or move a summary.
        return {}

    def forget(self) -> None:
        self._series.clear()

    async def handle(self, records: Sequence[InboundRecord]) -> None:
        await self._invalidator.handle(records)
        finals: dict[tuple[str, str, str, int], Candle] = {}
        for record in records:
            try:
                candle = decode(record.topic, record.value)
            except (msgspec.ValidationError, msgspec.DecodeError) as error:
                log.warning("skipping malformed candle record %s@%d: %s", record.topic, record.offset, error)
                continue
            if isinstance(candle, Candle) and candle.final:
                finals[candle.key] = candle
        if not finals:
            return
        updates = []
        now = self._now_ms()
        for candle in sorted(finals.values(), key=lambda c: c.open_time):
            summary = await self._advance(candle)
            # Imports and backfills publish history as final candles too: subscribers hear only of candles
            # that closed just now, not of every minute of a file.
            recent = candle.open_time + 2 * INTERVAL_MS[candle.interval] >= now
            if summary is not None and recent:
                updates.append(LiveUpdate(kind="indicators", symbol=candle.symbol, payload=self._payload(summary)))
        if updates:
            await self._fanout.publish(updates)

    async def _advance(self, candle: Candle) -> Summary | None:
        """The summary after this candle; None for a candle older than the trackers' window (history)."""
        key = (candle.exchange, candle.symbol, candle.interval)
        step = INTERVAL_MS[candle.interval]
        tracked = self._series.get(key)
        if tracked is not None and candle.open_time <= tracked.last_time - HISTORY_BARS * step:
            return None  # an import of old history: it does not move the latest values
        # A new series, a correction of a candle already applied, or a silence longer than the window:
        # start again from the stored buckets before this candle.
        if (
            tracked is None
            or candle.open_time <= tracked.last_time
            or candle.open_time - tracked.last_time > HISTORY_BARS * step
        ):
            tracked = self._series[key] = await self._rebuild(key, candle.open_time)
        while tracked.last_time and tracked.last_time + step < candle.open_time:
            flat = tracked.last_close
            self._feed(tracked, Bar(flat, flat, flat, 0.0), tracked.last_time + step)
        bar = Bar(float(candle.high), float(candle.low), float(candle.close), float(candle.volume))
        self._feed(tracked, bar, candle.open_time)
        return Summary(
            symbol=candle.symbol,
            interval=candle.interval,
            exchange=candle.exchange,
            time=to_rfc3339(candle.open_time),
            close=float(candle.close),
            values={name: _value(t.value) for name, t in tracked.trackers.items()},
        )

    async def _rebuild(self, key: Series, before: int) -> _Tracked:
        exchange, symbol, interval = key
        step = INTERVAL_MS[interval]
        rows = await self._store.ohlcv(exchange, symbol, interval, before - HISTORY_BARS * step, before)
        tracked = _Tracked(
            {
                name: tracker(function, **{k: _number(v) for k, v in given.items()})
                for name, (function, given) in TRACKED.items()
            },
            0,
            0.0,
        )
        history = bars_from_rows(rows, interval)
        for index in range(len(history)):
            bar = Bar(
                float(history.high[index]),
                float(history.low[index]),
                float(history.close[index]),
                float(history.volume[index]),
            )
            self._feed(tracked, bar, int(history.times[index]))
        return tracked

    @staticmethod
    def _feed(tracked: _Tracked, bar: Bar, time: int) -> None:
        for one in tracked.trackers.values():
            one.update(bar)
        tracked.last_time, tracked.last_close = time, bar.close

    @staticmethod
    def _payload(summary: Summary) -> bytes:
        return _encoder.encode({"type": "indicators", **msgspec.structs.asdict(summary)})
