from __future__ import annotations

from adapters.memory.rate_limiter import MemoryRateLimiter


class FakeMonotonic:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


async def _hits(limiter: MemoryRateLimiter, key: str, count: int) -> list[int]:
    return [await limiter.hit(key, limit=5, window_seconds=60) for _ in range(count)]


async def test_allows_up_to_the_limit_within_a_window() -> None:
    assert await _hits(MemoryRateLimiter(FakeMonotonic()), "login:address:203.0.113.7", 5) == [0] * 5


async def test_the_hit_over_the_limit_gets_the_seconds_until_the_window_resets() -> None:
    clock = FakeMonotonic()
    limiter = MemoryRateLimiter(clock)
    await _hits(limiter, "k", 5)
    clock.seconds += 20.5
    assert await limiter.hit("k", limit=5, window_seconds=60) == 40


async def test_retry_after_is_at_least_one_second() -> None:
    clock = FakeMonotonic()
    limiter = MemoryRateLimiter(clock)
    await _hits(limiter, "k", 5)
    clock.seconds += 59.9
    assert await limiter.hit("k", limit=5, window_seconds=60) == 1


async def test_the_count_starts_again_when_the_window_is_over() -> None:
    clock = FakeMonotonic()
    limiter = MemoryRateLimiter(clock)
    await _hits(limiter, "k", 6)
    clock.seconds += 60
    assert await _hits(limiter, "k", 6) == [0, 0, 0, 0, 0, 60]


async def test_keys_are_counted_separately() -> None:
    limiter = MemoryRateLimiter(FakeMonotonic())
    await _hits(limiter, "login:email:ann@example.com", 6)
    assert await limiter.hit("login:email:bob@example.com", limit=5, window_seconds=60) == 0
