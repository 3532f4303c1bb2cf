"""Requests per second and latency of `GET /api/v1/analytics/rsi/BTC-USDT` over 10,000 stored candles,
cold (every request a new cache key, so computed) and cached, against `cap serve` in embedded mode.

The candles are imported with `cap market import` under their own exchange name, so the simulated
feed's live candles do not mix in. Cold requests ask for a different `limit` each (1,000 + i points);
cached ones repeat one URL. CONCURRENCY keep-alive connections, the same minimal client as
bench.http_users_me.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import note, peak_rss_mib, percentile, reset_peak_rss, say
from bench.http_users_me import _Connection, free_port, serve, wait_until_serving

CANDLES = 10_000
CONCURRENCY = 8
COLD_REQUESTS = 800
CACHED_REQUESTS = 8_000
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z, seconds


def _write_candles(path: Path) -> None:
    rng = random.Random(3)
    price = 90_000.0
    lines = ["time,open,high,low,close,volume"]
    for i in range(CANDLES):
        opened = price
        price *= 1 + rng.gauss(0, 0.001)
        high, low = max(opened, price) * 1.0005, min(opened, price) * 0.9995
        lines.append(f"{T0 + 60 * i},{opened:.2f},{high:.2f},{low:.2f},{price:.2f},{rng.uniform(0.1, 5):.5f}")
    path.write_text("\n".join(lines) + "\n")


async def _load(port: int, paths: list[str]) -> tuple[float, list[float]]:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(CONCURRENCY):
        _transport, connection = await loop.create_connection(_Connection, "127.0.0.1", port)
        connections.append(connection)
    pending = list(reversed(paths))
    latencies: list[float] = []

    async def worker(connection: _Connection) -> None:
        while pending:
            path = pending.pop()
            raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n".encode()
            started = time.perf_counter()
            status, body = await connection.request(raw)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{path}: {status} {body[:200]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return len(paths) / elapsed, latencies


def main() -> None:
    say(f"== GET /api/v1/analytics/rsi/BTC-USDT over {CANDLES:,} stored candles, cold and cached (embedded) ==")
    reset_peak_rss()
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("CAP_")}
    cap = str(Path(sys.executable).with_name("cap"))
    with tempfile.TemporaryDirectory(prefix="cap-bench-analytics-") as tmp:
        folder = Path(tmp)
        env = {
            **base_env,
            "CAP_DATA_DIR": str(folder / "data"),
            "CAP_LOG_LEVEL": "WARNING",
            "CAP_SIMULATED_TRADES_PER_SECOND": "1",
            "CAP_SIMULATED_HISTORY_DAYS": "0",
        }
        csv = folder / "btc.csv"
        _write_candles(csv)
        subprocess.run(
            [cap, "market", "import", str(csv), "--symbol", "BTC-USDT", "--exchange", "bench", "--quiet"],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        with serve("ours", [cap, "serve", "--port", str(port)], env, port, folder) as server:
            wait_until_serving(server, "/health")
            base = "/api/v1/analytics/rsi/BTC-USDT?exchange=bench&period=14"
            cold_paths = [f"{base}&limit={1_000 + i}" for i in range(COLD_REQUESTS)]
            cached_paths = [f"{base}&limit=500"] * CACHED_REQUESTS
            with asyncio.Runner() as runner:
                runner.run(_load(port, [f"{base}&limit=500"]))  # warm the one cached key
                cold_rate, cold = runner.run(_load(port, cold_paths))
                cached_rate, cached = runner.run(_load(port, cached_paths))
            rss = server.peak_rss_mib()
    for name, rate, latencies in (("cold", cold_rate, cold), ("cached", cached_rate, cached)):
        say(
            f"{'analytics.http.rsi.' + name:<36} {rate:,.0f} req/s  p50={percentile(latencies, 0.5) * 1000:.2f} ms  "
            f"p99={percentile(latencies, 0.99) * 1000:.2f} ms  "
            f"[{len(latencies):,} requests, {CONCURRENCY} concurrent]  "
            f"peak_rss=server {rss:.0f} MiB, client {peak_rss_mib():.0f} MiB"
        )
    note("cold: each request loads ~2,500 candles from SQLite, fills gaps and runs TA-Lib; cached: one cache lookup")


if __name__ == "__main__":
    main()
