"""1,000 WebSocket subscribers of `/ws/prices`: delivery latency from the Redis fan-out to each client.

Ours is `cap serve` in full mode without workers (an API replica); the baseline (`bench._bare_ws_fanout`)
is the least a Litestar WebSocket endpoint can do for the same job. Both listen to the same kind of Redis
channel; this process publishes price updates into it (ten symbols, PUBLISH_HZ batches a second) and holds
the 1,000 client connections, each subscribed to one symbol. Every update carries its publication time
(wall clock, one machine), and each client records receive time minus that. Target (issue): p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from redis.asyncio import Redis

from adapters.redis.live_fanout import RedisLiveFanout
from application.ports.market import LiveUpdate
from bench._common import note, peak_rss_mib, percentile, reset_peak_rss, say, within_limit
from bench.http_users_me import Server, free_port, serve, wait_until_serving

CLIENTS = 1_000
SYMBOLS = [f"{base}-USDT" for base in ("BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK")]
PUBLISH_HZ = 10
SECONDS = 8.0
LIMIT_MS = 100.0


@dataclass
class Delivery:
    latencies_ms: list[float] = field(default_factory=list)
    received: int = 0


class _Subscriber(asyncio.Protocol):
    """A minimal WebSocket client: 1,000 of the `websockets` library's clients saturate a core at these
    rates and then measure themselves. Server frames are unmasked: a 2-10 byte header, then the payload."""

    def __init__(self, host: str, symbol: str, delivery: Delivery) -> None:
        self._host = host
        self._symbol = symbol
        self._delivery = delivery
        self._buffer = bytearray()
        self._upgraded = False
        self.subscribed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            f"GET /ws/prices HTTP/1.1\r\nHost: {self._host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def _send_text(self, text: bytes) -> None:
        # Client frames must be masked; a zero mask is valid and keeps the payload as is.
        assert self.transport is not None
        assert len(text) < 126
        self.transport.write(bytes([0x81, 0x80 | len(text)]) + b"\0\0\0\0" + text)

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._buffer.startswith(b"HTTP/1.1 101"):
                self.subscribed.set_exception(RuntimeError(bytes(self._buffer[:200]).decode(errors="replace")))
                return
            del self._buffer[: end + 4]
            self._upgraded = True
            self._send_text(b'{"op":"subscribe","symbols":["' + self._symbol.encode() + b'"]}')
        buffer = self._buffer
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = int.from_bytes(buffer[2:4]), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < offset + length:
                return
            opcode, payload = buffer[0] & 0x0F, bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            if opcode != 1:
                continue
            marker = payload.rfind(b'"sent":')
            if marker >= 0:
                self._delivery.received += 1
                sent = int(payload[marker + 7 : payload.index(b"}", marker)])
                self._delivery.latencies_ms.append((now - sent) / 1e6)
            elif b'"subscribed"' in payload and not self.subscribed.done():
                self.subscribed.set_result(None)


async def _publish(fanout: RedisLiveFanout, stop: asyncio.Event) -> int:
    published = 0
    period = 1 / PUBLISH_HZ
    next_at = time.monotonic()
    while not stop.is_set():
        updates = [
            LiveUpdate(
                kind="price",
                symbol=symbol,
                payload=msgspec.json.encode(
                    {"type": "price", "symbol": symbol, "price": "1.00", "source": "bench", "sent": time.time_ns()}
                ),
            )
            for symbol in SYMBOLS
        ]
        await fanout.publish(updates)
        published += 1
        next_at += period
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return published


async def measure(server: Server, redis_url: str, channel: str) -> tuple[Delivery, int]:
    host_port = server.base_url.removeprefix("http://")
    host, port = host_port.split(":")
    delivery = Delivery()
    loop = asyncio.get_running_loop()
    clients: list[_Subscriber] = []
    for index in range(CLIENTS):
        symbol = SYMBOLS[index % len(SYMBOLS)]
        _transport, client = await loop.create_connection(
            lambda symbol=symbol: _Subscriber(host_port, symbol, delivery), host, int(port)
        )
        clients.append(client)
        if index % 50 == 49:
            async with asyncio.timeout(30):
                await asyncio.gather(*(c.subscribed for c in clients[-50:]))
    redis = Redis.from_url(redis_url)
    fanout = RedisLiveFanout(redis, channel)
    stop_publishing = asyncio.Event()
    publisher = asyncio.create_task(_publish(fanout, stop_publishing))
    await asyncio.sleep(SECONDS)
    stop_publishing.set()
    batches = await publisher
    await asyncio.sleep(1.0)  # let the last updates arrive before the clients stop listening
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    await redis.aclose()
    return delivery, batches


def _event_loop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


def main() -> None:
    say(f"== live fan-out: {CLIENTS:,} WebSocket subscribers of /ws/prices, updates through Redis pub/sub ==")
    note(f"{len(SYMBOLS)} symbols, {PUBLISH_HZ} batches/s for {SECONDS:.0f} s; each client subscribed to one symbol")
    dsn, redis_url, kafka = (
        os.environ.get(f"CAP_TEST_{name}", "") for name in ("POSTGRES_DSN", "REDIS_URL", "KAFKA_BOOTSTRAP")
    )
    if not (dsn and redis_url and kafka):
        say(
            "ws.fanout: SKIPPED (needs CAP_TEST_POSTGRES_DSN, CAP_TEST_REDIS_URL and CAP_TEST_KAFKA_BOOTSTRAP: "
            "run `make bench`)"
        )
        return
    reset_peak_rss()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    bin_dir = Path(sys.executable).parent
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("CAP_")}
    ours_env = {
        **base_env,
        "CAP_POSTGRES_DSN": dsn,
        "CAP_REDIS_URL": redis_url,
        "CAP_KAFKA_BOOTSTRAP": kafka,
        "CAP_KAFKA_TOPIC_PREFIX": prefix.replace(":", "."),
        "CAP_REDIS_PREFIX": prefix,
        "CAP_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
        "CAP_WORKERS_IN_PROCESS": "false",
        "CAP_LOG_LEVEL": "WARNING",
    }
    results: dict[str, tuple[Delivery, int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cap-bench-ws-") as tmp, asyncio.Runner(loop_factory=_event_loop) as runner:
        folder = Path(tmp)
        ours_env["CAP_DATA_DIR"] = str(folder / "data")
        ours_port, bare_port = free_port(), free_port()
        ours_command = [str(bin_dir / "cap"), "serve", "--port", str(ours_port)]
        with serve("ours", ours_command, ours_env, ours_port, folder) as ours:
            wait_until_serving(ours, "/health")
            delivery, batches = runner.run(measure(ours, redis_url, f"{prefix}live"))
            results["ours"] = (delivery, batches, ours.peak_rss_mib())
        bare_channel = f"{prefix}bare-live"
        bare_command = [sys.executable, "-m", "bench._bare_ws_fanout", str(bare_port), redis_url, bare_channel]
        with serve("bare", bare_command, base_env, bare_port, folder) as bare:
            wait_until_serving(bare, "/schema")
            delivery, batches = runner.run(measure(bare, redis_url, bare_channel))
            results["bare"] = (delivery, batches, bare.peak_rss_mib())
    for name, (delivery, batches, rss) in results.items():
        expected = batches * CLIENTS
        detail = (
            f"p50={percentile(delivery.latencies_ms, 0.5):.1f} ms max={max(delivery.latencies_ms, default=0):.1f} ms  "
            f"delivered {delivery.received:,}/{expected:,}  "
            f"peak_rss=server {rss:.0f} MiB, clients {peak_rss_mib():.0f} MiB"
        )
        p99 = percentile(delivery.latencies_ms, 0.99)
        if name == "ours":
            within_limit("ws.fanout_1000.p99", p99, LIMIT_MS, "ms", detail)
        else:
            say(f"{'ws.fanout_1000.bare.p99':<36} {p99:,.1f} ms (baseline)  {detail}")


if __name__ == "__main__":
    main()
