"""Latency from a trade arriving at the exchange adapter to its price reaching a WebSocket client, at 5,000
trades a second.

A local server speaking Binance's protocol (tests/support/binance_server.py) runs in this process and
sends trades on the combined stream; `cap serve` in full mode (a subprocess: API, ingest and candle
workers in one process, CAP_MARKET_FEEDS=binance) ingests them through Kafka, builds candles in
PostgreSQL, fans prices out through Redis, and serves `/ws/prices`, where this process is subscribed to
all ten symbols. Every trade has a price of its own, so a price message names the trade it came from;
latency = receipt at the client - the moment the trade frame left the exchange server (one machine, one
clock). Prices are sent on change and a burst of trades within one batch is one message (the last
price), so fewer messages than trades arrive. The baseline is the floor: the same trade frames received
straight from the exchange server by a WebSocket client of its own.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import msgspec
from websockets.asyncio.client import connect

from bench._common import note, peak_rss_mib, percentile, reset_peak_rss, rss_mib, say
from bench.http_users_me import free_port, serve, wait_until_serving

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.binance_server import BinanceServer

RATE = 5_000
SECONDS = 20.0
WARMUP_SECONDS = 3.0
RSS_SAMPLES = 5
BASES = ("BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK")
SYMBOLS = [f"{base}-USDT" for base in BASES]


async def _emit(exchange: BinanceServer, sent: dict[tuple[str, Decimal], int], seconds: float) -> int:
    """RATE trades a second in 10 ms slices, round-robin over the symbols, each at a price of its own."""
    count = 0
    slice_seconds = 0.01
    per_slice = int(RATE * slice_seconds)
    next_at = time.monotonic()
    deadline = next_at + seconds
    while time.monotonic() < deadline:
        for _ in range(per_slice):
            symbol = SYMBOLS[count % len(SYMBOLS)]
            price = Decimal(1000 + count // len(SYMBOLS)) + Decimal("0.01")
            now = time.time_ns()
            sent[(symbol, price)] = now  # Decimal keys: 1000.01 == 1000.01000000
            await exchange.trade(symbol.replace("-", ""), price, "0.5", now // 1_000_000)
            count += 1
        next_at += slice_seconds
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return count


async def _listen_ours(
    url: str, sent: dict[tuple[str, Decimal], int], latencies: list[float], stop: asyncio.Event
) -> None:
    async with connect(url, max_queue=None, ping_interval=None) as socket:
        await socket.send(msgspec.json.encode({"op": "subscribe", "symbols": SYMBOLS}).decode())
        while not stop.is_set():
            try:
                async with asyncio.timeout(0.2):
                    text = await socket.recv()
            except TimeoutError:
                continue
            now = time.time_ns()
            message = msgspec.json.decode(text)
            if message.get("type") == "price":
                started = sent.get((message["symbol"], Decimal(message["price"])))
                if started is not None:
                    latencies.append((now - started) / 1e6)


async def _listen_bare(url: str, latencies: list[float], stop: asyncio.Event) -> None:
    streams = "/".join(f"{base.lower()}usdt@trade" for base in BASES)
    async with connect(f"{url}/stream?streams={streams}", max_queue=None, ping_interval=None) as socket:
        while not stop.is_set():
            try:
                async with asyncio.timeout(0.2):
                    text = await socket.recv()
            except TimeoutError:
                continue
            now = time.time_ns()
            data = msgspec.json.decode(text).get("data", {})
            if data.get("e") == "trade":
                latencies.append((now - data["T"] * 1_000_000) / 1e6)


async def _measure(
    exchange: BinanceServer, api_url: str, server_pid: int, rss: list[float]
) -> tuple[list[float], list[float], int]:
    await exchange.wait_until(lambda: all(exchange.subscribed(f"{b.lower()}usdt@trade") for b in BASES), within=60)
    sent: dict[tuple[str, Decimal], int] = {}
    ours: list[float] = []
    bare: list[float] = []
    stop = asyncio.Event()
    listeners = [
        asyncio.create_task(_listen_ours(api_url.replace("http://", "ws://") + "/ws/prices", sent, ours, stop)),
        asyncio.create_task(_listen_bare(exchange.url, bare, stop)),
    ]
    await _emit(exchange, sent, WARMUP_SECONDS)  # connections, caches and pools warm
    ours.clear()
    bare.clear()
    rss.append(rss_mib(server_pid))
    count = 0
    # In slices, sampling the server's memory between them: a long-running worker must hold it flat.
    for _ in range(RSS_SAMPLES):
        count += await _emit(exchange, sent, SECONDS / RSS_SAMPLES)
        rss.append(rss_mib(server_pid))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*listeners)
    return ours, bare, count


def main() -> None:
    say(f"== live latency: trade at the Binance adapter -> price on /ws/prices, {RATE:,} trades/s ==")
    dsn, redis_url, kafka = (
        os.environ.get(f"CAP_TEST_{n}", "") for n in ("POSTGRES_DSN", "REDIS_URL", "KAFKA_BOOTSTRAP")
    )
    if not (dsn and redis_url and kafka):
        say("market.latency: SKIPPED (needs CAP_TEST_POSTGRES_DSN, CAP_TEST_REDIS_URL and CAP_TEST_KAFKA_BOOTSTRAP)")
        return
    note(f"{len(SYMBOLS)} symbols round-robin, {SECONDS:.0f} s measured after {WARMUP_SECONDS:.0f} s warm-up")
    reset_peak_rss()
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("CAP_")}

    async def run(folder: Path) -> None:
        async with BinanceServer(ping_interval=None, max_messages_per_second=50) as exchange:
            port = free_port()
            env = {
                **base_env,
                "CAP_DATA_DIR": str(folder / "data"),
                "CAP_POSTGRES_DSN": dsn,
                "CAP_REDIS_URL": redis_url,
                "CAP_KAFKA_BOOTSTRAP": kafka,
                "CAP_KAFKA_TOPIC_PREFIX": f"{prefix}.",
                "CAP_REDIS_PREFIX": f"{prefix}:",
                "CAP_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
                "CAP_MARKET_FEEDS": "binance",
                "CAP_BINANCE_WS_URL": exchange.url,
                "CAP_BINANCE_REST_URL": exchange.rest_url,
                "CAP_LOG_LEVEL": "WARNING",
            }
            command = [str(Path(sys.executable).with_name("cap")), "serve", "--port", str(port)]
            with serve("ours", command, env, port, folder) as server:
                await asyncio.to_thread(wait_until_serving, server, "/health")
                rss: list[float] = []
                ours, bare, count = await _measure(exchange, server.base_url, server.process.pid, rss)
                server_rss = server.peak_rss_mib()
        say(
            f"{'market.latency.ours':<36} p50={percentile(ours, 0.5):.1f} ms  p99={percentile(ours, 0.99):.1f} ms  "
            f"max={max(ours, default=float('nan')):.1f} ms  [{len(ours):,} price messages for {count:,} trades]  "
            f"peak_rss=server {server_rss:.0f} MiB, bench {peak_rss_mib():.0f} MiB"
        )
        say(
            f"{'market.latency.bare':<36} p50={percentile(bare, 0.5):.1f} ms  p99={percentile(bare, 0.99):.1f} ms  "
            f"(floor: trade frames straight from the exchange server, {len(bare):,} received)"
        )
        say(
            f"{'market.latency.server_rss':<36} after warm-up {rss[0]:.0f} MiB, then "
            + ", ".join(f"{value:.0f}" for value in rss[1:])
            + f" MiB every {SECONDS / RSS_SAMPLES:.0f} s at {RATE:,} trades/s (API + ingest + candles in one process)"
        )

    with tempfile.TemporaryDirectory(prefix="cap-bench-latency-") as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
