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
    rows = [(c.open_time, float(c.open), float(c.high), float(c.low), float(c.close), float(c.volume)) for c in candles]
    return bars_from_rows(rows, interval)


def bars_from_rows(rows: Sequence[tuple[int, float, float, float, float, float]], interval: str) -> Bars:
    """(open time, open, high, low, close, volume) rows of one interval, oldest first, as gap-free bars."""
    step = INTERVAL_MS[interval]
    if not rows:
        empty = np.empty(0, dtype=np.float64)
        return Bars(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty, 0)
    table = np.array(rows, dtype=np.float64)
    opened = np.array([row[0] for row in rows], dtype=np.int64)  # exact: float64 would do, but ints are ints
    first, last = int(opened[0]), int(opened[-1])
    count = (last - first) // step + 1
    times = first + step * np.arange(count, dtype=np.int64)
    index = (opened - first) // step
    present = np.zeros(count, dtype=bool)
    present[index] = True
    columns = {name: np.full(count, np.nan) for name in ("open", "high", "low", "close", "volume")}
    for position, values in enumerate(columns.values(), start=1):
        values[index] = table[:, position]
    filled = int(count - present.sum())
    if filled:
        # The previous close carried forward: index of the last present bucket at or before each one.
        last_seen = np.maximum.accumulate(np.where(present, np.arange(count), 0))
        carried = columns["close"][last_seen]
        for name in ("open", "high", "low", "close"):
            columns[name] = np.where(present, columns[name], carried)
        columns["volume"] = np.where(present, columns["volume"], 0.0)
    return Bars(times, columns["open"], columns["high"], columns["low"], columns["close"], columns["volume"], filled)


def rfc3339_times(times: npt.NDArray[np.int64]) -> list[str]:
    """Epoch milliseconds as RFC 3339 UTC text, whole seconds (bucket times are), all at once."""
    return [f"{text}Z" for text in np.datetime_as_string(times.astype("datetime64[ms]"), unit="s")]
