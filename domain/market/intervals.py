"""Candle intervals and the bucket arithmetic on epoch milliseconds (UTC)."""

from __future__ import annotations

from domain.shared.errors import FieldError, InvalidInput

MINUTE_MS = 60_000

INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "1d": 1440 * MINUTE_MS,
}
INTERVALS: tuple[str, ...] = tuple(INTERVAL_MS)
HIGHER_INTERVALS: tuple[str, ...] = INTERVALS[1:]


def check_interval(interval: str, field: str = "interval") -> str:
    if interval not in INTERVAL_MS:
        raise InvalidInput([FieldError(field, f"must be one of {', '.join(INTERVALS)}")], "Unknown interval.")
    return interval


def bucket_start(time_ms: int, interval: str) -> int:
    """Open time of the bucket holding `time_ms`; days start at 00:00 UTC (epoch-aligned)."""
    size = INTERVAL_MS[interval]
    return time_ms - time_ms % size


def bucket_end(open_time_ms: int, interval: str) -> int:
    """First millisecond after the bucket."""
    return open_time_ms + INTERVAL_MS[interval]
