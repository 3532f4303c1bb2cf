"""Capped exponential backoff with full jitter, for reconnecting to exchanges.

Jitter matters more than the curve: a fleet that lost its connections together (the exchange's 24-hour
cut, a network blip) must not come back in lock-step and get rate-limited together.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base_seconds: float = 0.5, cap_seconds: float = 30.0, rng: random.Random | None = None) -> None:
        self._base = base_seconds
        self._cap = cap_seconds
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        """Delay before the next attempt: uniform in [0, min(cap, base * 2**attempt)]."""
        ceiling = min(self._cap, self._base * (2**self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return self._rng.uniform(0, ceiling)

    def reset(self) -> None:
        """Call once a connection has proved healthy (it delivered data)."""
        self.attempt = 0
