"""The analytics result cache: values stored per series version, so a new final candle retires them all.

A result depends on one or more candle series (a correlation on several). Its key holds the current
version of each; invalidating a series bumps its version, and every result computed from the old one
stops being found (it expires by its TTL). No scan for keys to delete, and no stale multi-series result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

Series = tuple[str, str, str]  # exchange, symbol, interval


class Lookup(NamedTuple):
    value: bytes | None
    versions: tuple[int, ...]  # of the series, as read by the lookup


class ResultCache(Protocol):
    async def get(self, series: Sequence[Series], key: str) -> Lookup:
        """The value stored for `key` against the current versions of `series` (None if absent), and those versions."""
        ...

    async def put(
        self, series: Sequence[Series], versions: Sequence[int], key: str, value: bytes, ttl_seconds: int
    ) -> None:
        """Store against the versions a lookup returned: a value computed while a new candle arrived is stored
        under the old versions, where nobody will look for it again."""
        ...

    async def invalidate(self, series: Sequence[Series]) -> None:
        """Retire every value computed from any of these series."""
        ...
