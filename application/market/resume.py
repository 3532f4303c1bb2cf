"""Where an exchange feed resumes after the process was down: the last 1m candle stored per symbol."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from application.ports.market import CandleStore
from domain.market.instruments import Instrument
from domain.market.intervals import INTERVAL_MS

# Further back than this is history to import (`cap market import`), not a gap to backfill at start-up:
# a feed stopped for a month would otherwise spend its first minutes in thousands of REST requests.
MAX_RESUME_MS = INTERVAL_MS["1d"]


async def resume_points(
    store: CandleStore, exchange: str, instruments: Sequence[Instrument], now_ms: Callable[[], int]
) -> dict[str, int]:
    oldest = now_ms() - MAX_RESUME_MS
    points = {}
    for instrument in instruments:
        last = await store.last_open_time(exchange, instrument.symbol, "1m")
        if last is not None:
            points[instrument.symbol] = max(last, oldest - oldest % INTERVAL_MS["1m"])
    return points
