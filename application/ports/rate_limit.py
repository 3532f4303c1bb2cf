"""The rate limiter port: counts hits per key in fixed windows."""

from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int:
        """Count one hit against `key`.

        Returns:
            0 when the hit is within the limit, else the whole seconds until the window resets.
        """
        ...
