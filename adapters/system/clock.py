"""The system clock, in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def epoch_ms() -> int:
    """Now as epoch milliseconds, the market context's time."""
    return time.time_ns() // 1_000_000
