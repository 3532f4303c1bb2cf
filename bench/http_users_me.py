"""Requests per second for `GET /api/v1/users/me` (our embedded app) against a bare Litestar endpoint.

Both apps are served by uvicorn in their own subprocess on a free 127.0.0.1 port, configured as `cap serve`
configures it (access log off). Ours is the real `cap serve` in embedded mode with CAP_LOG_LEVEL=WARNING, a
registered user and a valid bearer token; the bare app (`bench._bare_server`) returns the very same JSON body.
The same keep-alive client code loads both: CONCURRENCY workers, each on its own HTTP/1.1 connection, send a
fixed number of requests and check every answer (200, the expected body). The client is a minimal asyncio
protocol on uvloop, not httpx: httpx.AsyncClient tops out near 800 req/s on 2 cores, which left the bare server
at 14% CPU and made the ratio meaningless. Rounds alternate and the best of each side is kept. Each server's
CPU use during its run is printed too: a bare server well below 100% means the client set the bare figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._common import calibrate, figure, note, peak_rss_mib, reset_peak_rss, say

TARGET = 0.60
CONCURRENCY = 16
ROUNDS = 3
SECONDS_PER_RUN = 2.0
PATH = "/api/v1/users/me"
PASSWORD = "correct horse battery staple 42"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime

    def peak_rss_mib(self) -> float:
        return peak_rss_mib(self.process.pid)


@dataclass
class Run:
    rate: float
    latencies: list[float]
    server_cpu: float  # share of one core the server used during the run

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(name: str, command: list[str], env: dict[str, str], port: int, folder: Path) -> Iterator[Server]:
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=Path.cwd())
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(server: Server, path: str, deadline_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} server exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(server.base_url + path, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling a starting server with a deadline, not synchronising on time
    raise RuntimeError(f"{server.name} server did not start in {deadline_seconds}s: {server.log.read_text()[-2000:]}")


def sign_in(server: Server) -> tuple[str, bytes]:
    """Register a user, log in, and return the bearer token and the body of GET /users/me once it is served."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        email = "bench.user@example.com"
        response = client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Bench User"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"register failed: {response.status_code} {response.text}")
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        if response.status_code != 200:
            raise RuntimeError(f"login failed: {response.status_code} {response.text}")
        token = response.json()["access_token"]
        deadline = time.monotonic() + 10
        while True:
            response = client.get(PATH, headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 200:
                return token, response.content
            if time.monotonic() > deadline:
                raise RuntimeError(f"GET {PATH} never answered 200: {response.status_code} {response.text}")
            time.sleep(0.05)  # the users view catches up asynchronously; poll with a deadline


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: write a request, await the status and body of its response."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None:
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        marker = head.find(b"\r\ncontent-length:")
        if marker < 0:
            self._waiter.set_exception(RuntimeError(f"response without content-length: {head[:200]!r}"))
            self._waiter = None
            return
        line_end = head.find(b"\r\n", marker + 2)
        length = int(head[marker + len(b"\r\ncontent-length:") : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        status = int(head[9:12])
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        self._waiter.set_result((status, body))
        self._waiter = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class Client:
    """CONCURRENCY keep-alive connections to one server, each driven by its own worker."""

    def __init__(self, server: Server, token: str, expected_body: bytes) -> None:
        self.server = server
        self._expected = expected_body
        host = server.base_url.removeprefix("http://")
        self._raw = (
            f"GET {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "User-Agent: cap-bench\r\nAccept: application/json\r\n\r\n"
        ).encode()
        self._connections: list[_Connection] = []

    async def __aenter__(self) -> Client:
        loop = asyncio.get_running_loop()
        host, port = self.server.base_url.removeprefix("http://").split(":")
        for _ in range(CONCURRENCY):
            _transport, connection = await loop.create_connection(_Connection, host, int(port))
            self._connections.append(connection)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for connection in self._connections:
            connection.close()

    async def load(self, total: int) -> Run:
        """`total` requests spread over the connections; every answer must be 200 with the expected body."""
        remaining = total
        latencies: list[float] = []
        failures: list[str] = []
        raw, expected = self._raw, self._expected

        async def worker(connection: _Connection) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                status, body = await connection.request(raw)
                latencies.append(time.perf_counter() - started)
                if status != 200 or body != expected:
                    failures.append(f"{status} {body[:120]!r}")

        cpu_before = self.server.cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker(connection) for connection in self._connections))
        elapsed = time.perf_counter() - started
        cpu = (self.server.cpu_seconds() - cpu_before) / elapsed
        if failures:
            raise RuntimeError(f"{self.server.name}: {len(failures)} unexpected answers, e.g. {failures[0]}")
        return Run(total / elapsed, latencies, cpu)


async def compare(ours: Server, bare: Server, token: str, body: bytes) -> tuple[Run, Run]:
    async with Client(ours, token, body) as ours_client, Client(bare, token, body) as bare_client:
        # Warm-up on every connection; it also sizes the runs from each side's own rate.
        ours_total = calibrate((await ours_client.load(500)).rate, SECONDS_PER_RUN, 500, 100_000)
        bare_total = calibrate((await bare_client.load(500)).rate, SECONDS_PER_RUN, 500, 100_000)
        best: dict[str, Run] = {}
        for index in range(ROUNDS):
            order = [("ours", ours_client, ours_total), ("bare", bare_client, bare_total)]
            for name, client, total in order if index % 2 == 0 else reversed(order):
                run = await client.load(total)
                if name not in best or run.rate > best[name].rate:
                    best[name] = run
        return best["ours"], best["bare"]


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with litestar[standard]
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    say(f"== HTTP: GET {PATH}, ours (embedded `cap serve`) vs bare Litestar endpoint returning the same JSON ==")
    note("uvicorn subprocesses on 127.0.0.1, access log off, CAP_LOG_LEVEL=WARNING (our request log is not written)")
    note(
        f"client: minimal asyncio HTTP/1.1 keep-alive client on uvloop, {CONCURRENCY} connections/workers, "
        f"best of {ROUNDS} interleaved rounds (httpx.AsyncClient tops out below the bare server's rate)"
    )
    reset_peak_rss()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="cap-bench-http-") as tmp:
        folder = Path(tmp)
        base_env = {key: value for key, value in os.environ.items() if not key.startswith("CAP_")}
        ours_port, bare_port = free_port(), free_port()
        ours_env = {
            **base_env,
            "CAP_DATA_DIR": str(folder / "data"),
            "CAP_LOG_LEVEL": "WARNING",
            "CAP_ARGON2_TIME_COST": "1",
            "CAP_ARGON2_MEMORY_KIB": "1024",
            "CAP_SIMULATED_HISTORY_DAYS": "0",  # no start-up import running beside the measurement
        }
        with serve(
            "ours", [str(bin_dir / "cap"), "serve", "--port", str(ours_port)], ours_env, ours_port, folder
        ) as ours:
            wait_until_serving(ours, "/health")
            token, body = sign_in(ours)
            body_file = folder / "me.json"
            body_file.write_bytes(body)
            bare_command = [sys.executable, "-m", "bench._bare_server", str(bare_port), str(body_file)]
            with serve("bare", bare_command, base_env, bare_port, folder) as bare:
                wait_until_serving(bare, PATH)
                bare_body = httpx.get(bare.base_url + PATH).content
                if bare_body != body:
                    raise RuntimeError(f"the bare body differs from ours:\n{bare_body!r}\n{body!r}")
                with asyncio.Runner(loop_factory=_event_loop) as runner:
                    ours_run, bare_run = runner.run(compare(ours, bare, token, body))
                memory = (
                    f"peak_rss=ours {ours.peak_rss_mib():.0f} MiB / bare {bare.peak_rss_mib():.0f} MiB (servers), "
                    f"client {peak_rss_mib():.0f} MiB"
                )
                met = figure("http.users_me", ours_run.rate, bare_run.rate, "req/s", TARGET, memory)
                for name, run in (("ours", ours_run), ("bare", bare_run)):
                    say(
                        f"{'http.users_me.' + name + '.latency':<36} p50={run.percentile(0.50) * 1000:.2f} ms  "
                        f"p99={run.percentile(0.99) * 1000:.2f} ms  server_cpu={run.server_cpu:.0%} of a core  "
                        f"[{len(run.latencies)} requests, {CONCURRENCY} concurrent]"
                    )
                note(f"same {len(body)}-byte JSON body from both servers; ours adds X-Request-ID and X-Process-Time")
                if bare_run.server_cpu < 0.85:
                    note(
                        "the bare server was not saturated: the client limited the bare figure, "
                        "so the ratio flatters ours"
                    )
                if not met:
                    note("MISS: run `python -m bench.profile_users_me` for where our per-request time goes")


if __name__ == "__main__":
    main()
