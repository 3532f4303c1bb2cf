"""Liveness, readiness (each dependency checked) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from entrypoints.http.schemas import DependencyStatus, HealthResponse, ReadyResponse
from entrypoints.http.services import Api

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 2.0


async def _run(name: str, check: Check) -> DependencyStatus:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not ready"; the detail says which
        return DependencyStatus(name=name, ok=False, detail=f"{type(error).__name__}: {error}"[:200])
    return DependencyStatus(name=name, ok=True)


class SystemController(Controller):
    tags = ["system"]
    include_in_schema = True

    @get("/health", summary="Liveness: the process serves requests")
    async def health(self) -> HealthResponse:
        return HealthResponse(status="ok")

    @get("/ready", summary="Readiness: every dependency answers (503 otherwise)")
    async def ready(self, api: NamedDependency[Api]) -> Response[ReadyResponse]:
        results = await asyncio.gather(*(_run(name, check) for name, check in api.readiness_checks.items()))
        ok = all(result.ok for result in results)
        body = ReadyResponse(status="ok" if ok else "unavailable", mode=api.mode, dependencies=list(results))
        return Response(body, status_code=200 if ok else 503)

    @get("/metrics", summary="Prometheus metrics", media_type=CONTENT_TYPE_LATEST)
    async def metrics(self, api: NamedDependency[Api]) -> Response[bytes]:
        return Response(generate_latest(api.metrics.registry), media_type=CONTENT_TYPE_LATEST)
