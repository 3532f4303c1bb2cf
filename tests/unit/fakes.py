"""In-memory doubles for the ports the unit tests do not run for real."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from application.ports.event_store import RecordedEvent
from application.ports.publisher import OutboundMessage
from application.users.results import Registered, TokenPair

START = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
PASSWORD = "violet-orbit-lantern-42"
SIGNING_KEY = b"unit-test-signing-key-of-32-bytes!!"
ISSUER = "cap-unit"
AUDIENCE = "cap-unit-api"

Register = Callable[..., Awaitable[Registered]]
LogInAs = Callable[..., Awaitable[TokenPair]]


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakePasswordHasher:
    """Hashes as `fake$<params>$<sha256>`; a hash made under other params needs a rehash."""

    def __init__(self, params: str = "v1") -> None:
        self.params = params
        self.burned = 0

    async def hash(self, password: str) -> str:
        return f"fake${self.params}${hashlib.sha256(password.encode()).hexdigest()}"

    async def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.rsplit("$", 1)[-1] == hashlib.sha256(password.encode()).hexdigest()

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.params}$")

    async def burn(self, password: str) -> None:
        self.burned += 1


class FakeRateLimiter:
    """Counts hits per key for ever; over the limit it answers a fixed retry-after."""

    def __init__(self, retry_after: int = 37) -> None:
        self.retry_after = retry_after
        self.hits: Counter[str] = Counter()

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int:
        self.hits[key] += 1
        return 0 if self.hits[key] <= limit else self.retry_after


class FakeView:
    """A projected view that remembers the events it applied, skipping redelivered ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.applied: list[RecordedEvent] = []
        self._position = 0

    async def position(self) -> int:
        return self._position

    async def apply(self, events: Sequence[RecordedEvent]) -> int:
        self.applied.extend(event for event in events if event.notification_id > self._position)
        if events:
            self._position = max(self._position, events[-1].notification_id)
        return self._position

    async def rebuild(self, batches: AsyncIterator[Sequence[RecordedEvent]], on_progress: Callable[[int], None]) -> int:
        self.applied, self._position = [], 0
        async for batch in batches:
            on_progress(await self.apply(batch))
        return self._position


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[list[OutboundMessage]] = []
        self.failing = False

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        if self.failing:
            raise ConnectionError("broker unavailable")
        self.published.append(list(messages))


class FakePositionStore:
    def __init__(self) -> None:
        self.positions: dict[str, int] = {}

    async def get(self, name: str) -> int:
        return self.positions.get(name, 0)

    async def set(self, name: str, position: int) -> None:
        self.positions[name] = position
