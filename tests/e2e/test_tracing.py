"""OpenTelemetry spans cover the HTTP request, the event store and the Kafka producer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import eventually, full_settings_with, signed_up

pytestmark = pytest.mark.e2e


@pytest.fixture
def traced(full_settings: Settings) -> Iterator[tuple[TestClient[Any], InMemorySpanExporter]]:
    app = build_app(full_settings_with(full_settings, CAP_OTEL_EXPORTER="memory"))
    with TestClient(app=app) as client:
        exporter = app.app.state.container.tracing().memory_exporter
        assert exporter is not None
        yield client, exporter


def _named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def test_requests_event_store_calls_and_kafka_publishing_are_traced(
    traced: tuple[TestClient[Any], InMemorySpanExporter],
) -> None:
    client, exporter = traced

    account = signed_up(client)
    assert client.get("/api/v1/users/me", headers=account.headers).is_success

    [register] = _named(exporter, "POST /api/v1/auth/register")
    assert register.kind is SpanKind.SERVER
    assert register.attributes is not None
    assert register.attributes["http.route"] == "/api/v1/auth/register"
    assert register.attributes["http.response.status_code"] == 201
    assert register.attributes["http.request.method"] == "POST"
    [me] = _named(exporter, "GET /api/v1/users/me")
    assert me.attributes is not None
    assert me.attributes["http.response.status_code"] == 200

    appends = _named(exporter, "eventstore.append")
    assert any(span.context.trace_id == register.context.trace_id for span in appends)
    assert _named(exporter, "eventstore.load")

    [publish, *_] = eventually(
        lambda: [
            span
            for span in _named(exporter, "kafka.publish")
            if str((span.attributes or {}).get("messaging.destination.name", "")).endswith("users.events.v1")
        ],
        what="a kafka.publish span of the users topic",
    )
    assert publish.kind is SpanKind.PRODUCER
    assert publish.attributes is not None
    assert publish.attributes["messaging.destination.name"].endswith("users.events.v1")
