"""The baseline for the live fan-out figure: the least a Litestar WebSocket endpoint can do for the same job.

Run as `python -m bench._bare_ws_fanout PORT REDIS_URL CHANNEL` under uvicorn as `cap serve` runs ours. One
Redis pub/sub subscription; each client's first message names its symbols; every update is sent straight
to the sockets subscribed to its symbol (no per-client queue, no writer task, no drop accounting).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from redis.asyncio import Redis

from application.ports.market import LiveUpdate

_decode = msgspec.msgpack.Decoder(list[LiveUpdate]).decode


def create_app(redis_url: str, channel: str) -> Litestar:
    sockets: dict[str, set[WebSocket[Any, Any, Any]]] = {}

    async def fan_out() -> None:
        pubsub = Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        async for message in pubsub.listen():
            if message["type"] == "message":
                for update in _decode(message["data"]):
                    for socket in list(sockets.get(update.symbol, ())):
                        with contextlib.suppress(Exception):
                            await socket.send_text(update.payload.decode())

    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(fan_out()))

    @websocket("/ws/prices")
    async def prices(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        request = msgspec.json.decode(await socket.receive_text())
        symbols = request["symbols"]
        for symbol in symbols:
            sockets.setdefault(symbol, set()).add(socket)
        await socket.send_text(msgspec.json.encode({"type": "subscribed", "symbols": symbols}).decode())
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            for symbol in symbols:
                sockets[symbol].discard(socket)

    return Litestar([prices], on_startup=[start])


def main() -> None:
    port, redis_url, channel = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(create_app(redis_url, channel), host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
