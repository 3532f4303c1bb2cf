"""The newest buckets of a candle series, as the float rows indicator maths reads."""

from __future__ import annotations

from application.ports.market import CandleStore
from domain.market.intervals import INTERVAL_MS
from domain.shared.errors import NotFound

Row = tuple[int, float, float, float, float, float]


class NoCandles(NotFound):
    title = "No candles"


async def newest_rows(store: CandleStore, exchange: str, symbol: str, interval: str, buckets: int) -> list[Row]:
    """The rows of the last `buckets` buckets up to the newest final candle (404 when there is none).

    Final candles only: a value then changes only when a candle closes, which is when cached values are retired
    and the live summary is pushed (the candle still open would make a cached answer a snapshot of one moment).
    Buckets, not candles: a long silence before them (a feed off for a month) is not read at all.
    """
    last = await store.last_final_open_time(exchange, symbol, interval)
    if last is None:
        raise NoCandles(f"No closed {interval} candles of {symbol} from {exchange} yet.")
    step = INTERVAL_MS[interval]
    return await store.ohlcv(exchange, symbol, interval, last - (buckets - 1) * step, last + step)
