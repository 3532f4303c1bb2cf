"""Where our `GET /api/v1/users/me` spends its time, in one process, without the network.

`python -m bench.profile_users_me` builds the embedded app (CAP_LOG_LEVEL=WARNING), registers a user and
calls the ASGI app directly, one request at a time. It prints:
- an attribution table: microseconds per request (wall and CPU of all threads) for the bare Litestar app,
  our whole app, our outer RequestContext wrapped around the bare app, and the pieces the handler calls
  (JWT decoding, the GetUser query on the users view), plus the worker-thread round trips per request;
- a cProfile summary of our requests (main thread: the view query's own worker thread is not profiled).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
from dependency_injector import providers

from application.users.queries import GetUser
from bench._bare_server import create_app as create_bare_app
from bench._common import say
from bootstrap.app import build_app
from bootstrap.settings import load_settings
from entrypoints.http.app import create_app
from entrypoints.http.middleware import RequestContext
from entrypoints.http.schemas import ProfileResponse

PATH = "/api/v1/users/me"
REQUESTS = 2000
PASSWORD = "correct horse battery staple 42"


async def call(app: Any, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Any:
    """One HTTP request straight through the ASGI interface; returns (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a client that never disconnects
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def per_request(name: str, run: Callable[[], Awaitable[object]], count: int) -> tuple[float, float]:
    """Best of 3: wall and process CPU (all threads) microseconds per call."""
    for _ in range(min(200, count)):
        await run()
    best_wall = best_cpu = float("inf")
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            await run()
        best_wall = min(best_wall, (time.perf_counter() - wall) / count * 1e6)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / count * 1e6)
    say(f"  {name:<72} wall={best_wall:8.1f} us  cpu={best_cpu:8.1f} us")
    return best_wall, best_cpu


def count_thread_round_trips() -> Callable[[], int]:
    """Counts aiosqlite's hand-offs to its connection thread (each one is a thread round trip)."""
    import aiosqlite.core

    original = aiosqlite.core.Connection._execute
    counter = [0]

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counting  # type: ignore[method-assign]
    return lambda: counter[0]


async def main_async(folder: Path, requests: int = REQUESTS, profile: bool = True) -> None:
    settings = load_settings(
        {
            "CAP_DATA_DIR": str(folder / "data"),
            "CAP_LOG_LEVEL": "WARNING",
            "CAP_ARGON2_TIME_COST": "1",
            "CAP_ARGON2_MEMORY_KIB": "1024",
        }
    )
    ours = build_app(settings)
    container = ours.app.state["container"]
    async with ours.app.lifespan():
        json = {"content-type": "application/json"}
        email = "profile.user@example.com"
        register = msgspec.json.encode({"email": email, "password": PASSWORD, "display_name": "Profile User"})
        status, _ = await call(ours, "POST", "/api/v1/auth/register", json, register)
        assert status == 201, status
        status, body = await call(
            ours, "POST", "/api/v1/auth/login", json, msgspec.json.encode({"email": email, "password": PASSWORD})
        )
        assert status == 200, (status, body)
        token = msgspec.json.decode(body)["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 10
        while (answer := await call(ours, "GET", PATH, auth))[0] != 200:
            assert time.monotonic() < deadline, answer
            await asyncio.sleep(0.05)  # the users view catches up asynchronously; poll with a deadline
        expected = answer[1]
        bare = create_bare_app(msgspec.json.decode(expected, type=ProfileResponse))
        wrapped_bare = RequestContext(bare, container.tracer(), container.metrics())
        tokens = container.tokens()
        query_bus = container.query_bus()
        claims = tokens.decode_access(token)

        # The same app with the users view query answered instantly from memory: what the rest of ours costs.
        view = await query_bus.ask(GetUser(claims.user_id))

        class InstantQueries:
            async def ask(self, _query: object) -> Any:
                return view

        with container.query_bus.override(providers.Object(InstantQueries())):
            instant = create_app(container)  # no lifespan: the workers of `ours` already run

        async def instant_request() -> None:
            status, body = await call(instant, "GET", PATH, auth)
            assert (status, body) == (200, expected)

        async def ours_request() -> None:
            status, body = await call(ours, "GET", PATH, auth)
            assert (status, body) == (200, expected)

        async def bare_request() -> None:
            status, body = await call(bare, "GET", PATH, auth)
            assert (status, body) == (200, expected)

        async def wrapped_bare_request() -> None:
            await call(wrapped_bare, "GET", PATH, auth)

        async def decode_token() -> None:
            tokens.decode_access(token)

        async def ask_user() -> None:
            assert await query_bus.ask(GetUser(claims.user_id)) is not None

        async with bare.lifespan():
            say(f"== GET {PATH}: per-request cost, ASGI called directly, one request at a time ==")
            bare_wall, bare_cpu = await per_request("bare Litestar app", bare_request, requests)
            ours_wall, ours_cpu = await per_request(
                "ours: whole app (RequestContext + Litestar + handler)", ours_request, requests
            )
            instant_wall, _ = await per_request(
                "ours with the users view answered from memory", instant_request, requests
            )
            wrapped_wall, _ = await per_request(
                "bare Litestar app inside our RequestContext (span, metrics, log)", wrapped_bare_request, requests
            )
            jwt_wall, _ = await per_request("JwtTokenService.decode_access (pyjwt)", decode_token, requests)
            query_wall, _ = await per_request(
                "QueryBus.ask(GetUser) -> the configured users read model", ask_user, requests
            )
            round_trips = count_thread_round_trips()
            before = round_trips()
            for _ in range(100):
                await ask_user()
            extra = ours_wall - bare_wall
            parts = {
                f"users view lookup inside the request (alone: {query_wall:.0f} us)": (ours_wall - instant_wall),
                "RequestContext (OTel SDK span, Prometheus counter+histogram, structlog call)": wrapped_wall
                - bare_wall,
                "JWT decoding (pyjwt)": jwt_wall,
                "rest (Litestar DI of `api`, Request, current_user, handler, Struct building)": (
                    instant_wall - wrapped_wall - jwt_wall
                ),
            }
            say(
                f"  ours/bare per request: wall x{ours_wall / bare_wall:.1f}, cpu x{ours_cpu / bare_cpu:.1f}; "
                f"ours adds {extra:.0f} us of wall time per request, of which:"
            )
            for part, micros in sorted(parts.items(), key=lambda item: -item[1]):
                say(f"    {micros:7.0f} us  {micros / extra:4.0%}  {part}")
            say(f"  aiosqlite thread round trips per GetUser query: {(round_trips() - before) / 100:.1f}")

            if not profile:
                return
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                await ours_request()
            profiler.disable()
        for sort, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
            stats.print_stats(22)
            say(f"== cProfile of {requests} requests to ours, top by {title} (main thread only) ==")
            lines = out.getvalue().splitlines()
            start = next(index for index, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
            for line in lines[start:]:
                if line.strip():
                    say("  " + line.rstrip())


def attribution(requests: int = 600) -> None:
    """The attribution table only (no cProfile): what `python -m bench` prints when the HTTP target is missed."""
    with tempfile.TemporaryDirectory(prefix="cap-bench-profile-") as folder:
        asyncio.run(main_async(Path(folder), requests, profile=False))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cap-bench-profile-") as folder:
        asyncio.run(main_async(Path(folder)))


if __name__ == "__main__":
    main()
