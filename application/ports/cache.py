"""The analytics result cache: values stored per series version, so a new final candle retires them all.

A result depends on one or more candle series (a correlation on several). Its key holds the current
version of each; invalidating a series bumps its version, and every result computed from the old one
stops being found (it expires by its TTL). No scan for keys to delete, and no stale multi-series result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Series = tuple[str, str, str]  # exchange, symbol, interval


class ResultCache(Protocol):
    async def get(self, series: Sequence[Series], key: str) -> bytes | None:
        """The value stored for `key` against the current versions of `series`, if any."""
        ...

    async def put(self, series: Sequence[Series], key: str, value: bytes, ttl_seconds: int) -> None:
        """Store against the versions of `series` read now; a bump in between makes it unreachable."""
        ...

    async def invalidate(self, series: Sequence[Series]) -> None:
        """Retire every value computed from any of these series."""
        ...
