"""Outermost ASGI layer: request id, process time, access log, trace span and metrics for every response.

It wraps the whole Litestar app rather than sitting in its middleware stack, because Litestar runs
middleware only for matched routes, and a 404 or 405 must carry an X-Request-ID too.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, cast

import structlog
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bootstrap.observability import Metrics

log = structlog.get_logger("cap.http")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContext:
    def __init__(self, app: ASGIApp, tracer: trace.Tracer, metrics: Metrics) -> None:
        self.app = app
        self._tracer = tracer
        self._metrics = metrics

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
        structlog.contextvars.bind_contextvars(request_id=request_id)
        with self._tracer.start_as_current_span(f"{method} {scope['path']}", kind=SpanKind.SERVER) as span:
            span_context = span.get_span_context()
            if span_context.is_valid:
                structlog.contextvars.bind_contextvars(trace_id=format(span_context.trace_id, "032x"))

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    elapsed = time.perf_counter() - started
                    headers = list(message.get("headers", ()))
                    headers.append((b"x-request-id", request_id.encode()))
                    headers.append((b"x-process-time", f"{elapsed:.6f}".encode()))
                    message["headers"] = headers
                await send(message)

            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("path_template") or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                span.set_attribute("cap.request_id", request_id)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                self._metrics.http_requests.labels(method, route, str(status)).inc()
                self._metrics.http_duration.labels(method, route).observe(elapsed)
                log.info("request", method=method, path=scope["path"], status=status, duration_s=round(elapsed, 6))
                structlog.contextvars.unbind_contextvars("request_id", "trace_id")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            # Echo a client's id only when it is safe to log and to put back in a header.
            if _CLIENT_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex
