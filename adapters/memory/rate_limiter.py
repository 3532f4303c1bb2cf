"""Fixed-window rate limiting in process memory, for the embedded mode's single process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class MemoryRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int:
        now = self._clock()
        resets_at, count = self._windows.get(key, (0.0, 0))
        if resets_at <= now:
            resets_at, count = now + window_seconds, 0
        count += 1
        self._windows[key] = (resets_at, count)
        if len(self._windows) > self._max_keys:
            self._forget_expired(now)
        return 0 if count <= limit else max(1, math.ceil(resets_at - now))

    def _forget_expired(self, now: float) -> None:
        # Bounded memory under a flood of distinct keys (say, spoofed addresses).
        for key in [key for key, (resets_at, _) in self._windows.items() if resets_at <= now]:
            del self._windows[key]
