"""Candles as float arrays for indicator maths, with gaps made explicit.

A bucket with no candle had no trades (exchanges emit none then): it becomes a flat bar at the previous
close with zero volume, and is counted. TA-Lib would otherwise carry a NaN from the gap to the end of
every recursive indicator, and skipping the bucket would bend every period-based one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.market.intervals import INTERVAL_MS
from domain.market.values import Candle

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bars:
    """Open times (epoch ms) and OHLCV columns of consecutive buckets, oldest first."""

    times: npt.NDArray[np.int64]
    open: Floats
    high: Floats
    low: Floats
    close: Floats
    volume: Floats
    filled: int  # buckets without a candle, filled flat

    def __len__(self) -> int:
        return len(self.times)

    def column(self, name: str) -> Floats:
        if name not in ("open", "high", "low", "close", "volume"):
            raise KeyError(name)
        value: Floats = getattr(self, name)
        return value


def bars(candles: Sequence[Candle], interval: str) -> Bars:
    """Candles of one interval (oldest first, any gaps) as gap-free bars."""
    step = INTERVAL_MS[interval]
    if not candles:
        empty = np.empty(0, dtype=np.float64)
        return Bars(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty, 0)
    first, last = candles[0].open_time, candles[-1].open_time
    count = (last - first) // step + 1
    times = first + step * np.arange(count, dtype=np.int64)
    index = np.fromiter(((c.open_time - first) // step for c in candles), dtype=np.int64, count=len(candles))
    present = np.zeros(count, dtype=bool)
    present[index] = True
    columns = {name: np.full(count, np.nan) for name in ("open", "high", "low", "close", "volume")}
    for name, values in columns.items():
        values[index] = np.fromiter((float(getattr(c, name)) for c in candles), dtype=np.float64, count=len(candles))
    filled = int(count - present.sum())
    if filled:
        # The previous close carried forward: index of the last present bucket at or before each one.
        last_seen = np.maximum.accumulate(np.where(present, np.arange(count), 0))
        carried = columns["close"][last_seen]
        for name in ("open", "high", "low", "close"):
            columns[name] = np.where(present, columns[name], carried)
        columns["volume"] = np.where(present, columns["volume"], 0.0)
    return Bars(times, columns["open"], columns["high"], columns["low"], columns["close"], columns["volume"], filled)
