"""Outermost ASGI layer: request id, process time, access log, trace span and metrics for every response.

It wraps the whole Litestar app rather than sitting in its middleware stack, because Litestar runs
middleware only for matched routes, and a 404 or 405 must carry an X-Request-ID too.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, cast

import structlog
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bootstrap.observability import LOG_CONTEXT, Metrics

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContext:
    def __init__(self, app: ASGIApp, tracer: trace.Tracer, metrics: Metrics) -> None:
        self.app = app
        self._tracer = tracer
        # No exporter, no spans: skipping the span machinery saves ~10 us a request.
        self._tracing = not isinstance(tracer, trace.NoOpTracer)
        # Bound now (logging is configured before the app is built), not through structlog's lazy
        # proxy, which re-resolves the logger on every call: ~4 us a request even when filtered out.
        self._log = structlog.get_logger("cap.http").bind()
        self._metrics = metrics
        # Label children looked up once per (method, route, status): labels() costs microseconds.
        self._request_counters: dict[tuple[str, str, int], Any] = {}
        self._durations: dict[tuple[str, str], Any] = {}

    def __getattr__(self, name: str) -> Any:
        # Tests and tools reach the Litestar app's attributes (state, openapi...) through us.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        method = cast("HTTPScope", scope)["method"]
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-process-time", f"{time.perf_counter() - started:.6f}".encode()))
                message["headers"] = headers
            await send(message)

        context = {"request_id": request_id}
        context_token = LOG_CONTEXT.set(context)
        try:
            if self._tracing:
                with self._tracer.start_as_current_span(f"{method} {scope['path']}", kind=SpanKind.SERVER) as span:
                    context["trace_id"] = format(span.get_span_context().trace_id, "032x")
                    try:
                        await self.app(scope, receive, send_with_headers)
                    finally:
                        route = scope.get("path_template") or "unmatched"
                        span.update_name(f"{method} {route}")
                        span.set_attribute("http.request.method", method)
                        span.set_attribute("http.route", route)
                        span.set_attribute("http.response.status_code", status)
                        span.set_attribute("cap.request_id", request_id)
                        if status >= 500:
                            span.set_status(Status(StatusCode.ERROR))
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            self._count(method, scope.get("path_template") or "unmatched", status, elapsed)
            self._log.info("request", method=method, path=scope["path"], status=status, duration_s=round(elapsed, 6))
            LOG_CONTEXT.reset(context_token)

    def _count(self, method: str, route: str, status: int, elapsed: float) -> None:
        method = method if method in _METHODS else "OTHER"  # clients choose methods: bound the labels
        counter = self._request_counters.get((method, route, status))
        if counter is None:
            counter = self._metrics.http_requests.labels(method, route, str(status))
            self._request_counters[(method, route, status)] = counter
        counter.inc()
        duration = self._durations.get((method, route))
        if duration is None:
            duration = self._durations[(method, route)] = self._metrics.http_duration.labels(method, route)
        duration.observe(elapsed)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            # Echo a client's id only when it is safe to log and to put back in a header.
            if _CLIENT_REQUEST_ID.match(candidate):
                return candidate
            break
    return os.urandom(16).hex()  # as unique as a uuid4, at a quarter of the cost
