"""Live updates through Redis pub/sub, so any API replica can serve any WebSocket subscriber.

One PUBLISH carries a whole batch from the candle worker: at thousands of trades a second, a
message per update would cost more round trips than the updates are worth.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import msgspec
from redis.asyncio import Redis

from application.ports.market import LiveUpdate

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[LiveUpdate])
_POLL_SECONDS = 0.5


class RedisLiveFanout:
    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel

    async def publish(self, updates: Sequence[LiveUpdate]) -> None:
        if updates:
            await self._redis.publish(self._channel, _encoder.encode(list(updates)))

    async def listen(self, stop: asyncio.Event) -> AsyncIterator[LiveUpdate]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        try:
            while not stop.is_set():
                # A short read timeout, so that the loop sees `stop` without being cancelled.
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_POLL_SECONDS)
                if message is None or message["type"] != "message":
                    continue
                try:
                    updates = _decoder.decode(message["data"])
                except (msgspec.ValidationError, msgspec.DecodeError):
                    continue
                for update in updates:
                    yield update
        finally:
            # Closing the connection ends the subscription; no UNSUBSCRIBE round trip to wait for.
            with contextlib.suppress(Exception):
                await pubsub.aclose()
