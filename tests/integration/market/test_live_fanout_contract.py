"""The live fan-out contract, run within one process (embedded) and through Redis pub/sub (full mode)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import msgspec
import pytest
from redis.asyncio import Redis

from adapters.memory.live_fanout import MemoryLiveFanout
from adapters.redis.live_fanout import RedisLiveFanout
from application.ports.market import LiveFanout, LiveUpdate

pytestmark = pytest.mark.integration

FanoutFactory = Callable[[], LiveFanout]
PROBE = "PROBE"


@pytest.fixture
async def redis_processes(redis_url: str) -> AsyncIterator[FanoutFactory]:
    """Fan-outs as the candle worker and the API replicas would build them: own connections, one channel."""
    channel = f"test:{uuid.uuid4().hex[:8]}:live"
    clients: list[Redis] = []

    def process() -> LiveFanout:
        client = Redis.from_url(redis_url)
        clients.append(client)
        return RedisLiveFanout(client, channel=channel)

    yield process
    for client in clients:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def new_fanout(request: pytest.FixtureRequest) -> FanoutFactory:
    if request.param == "memory":
        # One process: the worker and the API share the fan-out.
        shared = MemoryLiveFanout()
        return lambda: shared
    return request.getfixturevalue("redis_processes")


class Listener:
    """Collects what one `listen()` iteration yields, in a task of its own."""

    def __init__(self, fanout: LiveFanout) -> None:
        self.received: list[LiveUpdate] = []
        self._arrived = asyncio.Event()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._listen(fanout))

    async def _listen(self, fanout: LiveFanout) -> None:
        async for update in fanout.listen(self._stop):
            self.received.append(update)
            self._arrived.set()

    @property
    def updates(self) -> list[LiveUpdate]:
        """What it received apart from the probes that showed it was listening."""
        return [update for update in self.received if update.symbol != PROBE]

    async def wait_for(self, condition: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._task.done():
                return condition()
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return True

    async def take(self, count: int, within: float = 5.0) -> list[LiveUpdate]:
        await self.wait_for(lambda: len(self.updates) >= count, within)
        assert len(self.updates) >= count, f"got {len(self.updates)} of {count} updates: {self.updates!r}"
        return self.updates

    async def close(self) -> None:
        self._stop.set()
        async with asyncio.timeout(5):
            await self._task

    @property
    def finished_by_itself(self) -> bool:
        return self._task.done() and not self._task.cancelled() and self._task.exception() is None


_probes = itertools.count()


async def listening(fanout: LiveFanout, count: int = 1, within: float = 10.0) -> list[Listener]:
    """Listeners that are certainly listening: each has received a probe published after it began."""
    listeners = [Listener(fanout) for _ in range(count)]
    deadline = time.monotonic() + within
    while not all(listener.received for listener in listeners):
        assert time.monotonic() < deadline, "the listeners never received a probe"
        probe = LiveUpdate(kind="price", symbol=PROBE, payload=str(next(_probes)).encode())
        await fanout.publish([probe])
        for listener in listeners:
            await listener.wait_for(lambda listener=listener: bool(listener.received), within=0.1)
    return listeners


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    """Listeners closed at the end of the test (closing ends the subscription)."""
    opened: list[Listener] = []
    yield opened
    for listener in opened:
        await listener.close()


def price_update(symbol: str, price: str, at: str = "2021-10-12T00:35:23.963Z") -> LiveUpdate:
    payload = msgspec.json.encode({"type": "price", "symbol": symbol, "price": price, "time": at, "source": "binance"})
    return LiveUpdate(kind="price", symbol=symbol, payload=payload)


def candle_update(symbol: str, close: str) -> LiveUpdate:
    payload = msgspec.json.encode(
        {"type": "candle", "symbol": symbol, "interval": "1m", "open_time": "2021-10-12T00:34:00Z", "close": close}
    )
    return LiveUpdate(kind="candle", symbol=symbol, payload=payload)


def _batches(updates: Sequence[LiveUpdate], size: int) -> list[Sequence[LiveUpdate]]:
    return [updates[start : start + size] for start in range(0, len(updates), size)]


class TestEveryFanout:
    async def test_a_listener_receives_every_update_published_after_it_started_listening_in_order(
        self, new_fanout: FanoutFactory, listeners: list[Listener]
    ) -> None:
        worker, api = new_fanout(), new_fanout()
        listeners += await listening(api)
        updates = [price_update("BTC-USDT", f"57312.{n:02d}") for n in range(25)] + [
            candle_update("BTC-USDT", "57312.24")
        ]

        for batch in _batches(updates, 4):
            await worker.publish(batch)

        assert await listeners[0].take(len(updates)) == updates

    async def test_listening_ends_soon_after_the_stop_flag_is_set_without_being_cancelled(
        self, new_fanout: FanoutFactory
    ) -> None:
        (listener,) = await listening(new_fanout())
        await listener.close()  # sets the flag and waits at most 5 s for the iteration to end

        assert listener.finished_by_itself

    async def test_two_listeners_each_receive_every_update(
        self, new_fanout: FanoutFactory, listeners: list[Listener]
    ) -> None:
        worker = new_fanout()
        listeners += await listening(new_fanout())
        listeners += await listening(new_fanout())
        updates = [price_update(symbol, "1.5") for symbol in ("BTC-USDT", "ETH-USDT", "SOL-USDT")]

        await worker.publish(updates[:2])
        await worker.publish(updates[2:])

        assert await listeners[0].take(3) == updates
        assert await listeners[1].take(3) == updates

    async def test_two_listeners_of_one_process_each_receive_every_update(
        self, new_fanout: FanoutFactory, listeners: list[Listener]
    ) -> None:
        worker = new_fanout()
        listeners += await listening(new_fanout(), count=2)
        updates = [price_update("BTC-USDT", "57312.45"), candle_update("ETH-USDT", "3521.10")]

        await worker.publish(updates)

        assert [await listener.take(2) for listener in listeners] == [updates, updates]

    async def test_updates_carry_their_symbol_kind_and_payload_intact(
        self, new_fanout: FanoutFactory, listeners: list[Listener]
    ) -> None:
        worker = new_fanout()
        listeners += await listening(new_fanout())
        updates = [
            price_update("DOGE-USDT", "0.000000012345678901"),
            candle_update("BTC-EUR", "48123.00000000"),
            LiveUpdate(kind="price", symbol="XRP-USDT", payload='{"note":"ünïcødé €"}'.encode()),
            LiveUpdate(kind="candle", symbol="ADA-USDT", payload=bytes(range(256))),
            LiveUpdate(kind="price", symbol="DOT-USDT", payload=b""),
        ]

        await worker.publish(updates)

        received = await listeners[0].take(len(updates))
        assert [(u.kind, u.symbol, u.payload) for u in received] == [(u.kind, u.symbol, u.payload) for u in updates]

    async def test_a_listener_gets_nothing_published_before_it_started_listening(
        self, new_fanout: FanoutFactory, listeners: list[Listener]
    ) -> None:
        worker = new_fanout()
        await worker.publish([price_update("BTC-USDT", "1.00")])
        listeners += await listening(new_fanout())

        await worker.publish([price_update("BTC-USDT", "2.00")])

        assert await listeners[0].take(1) == [price_update("BTC-USDT", "2.00")]
        await worker.publish([price_update("BTC-USDT", "3.00")])
        assert await listeners[0].take(2) == [price_update("BTC-USDT", "2.00"), price_update("BTC-USDT", "3.00")]
