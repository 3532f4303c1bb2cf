"""Readiness, liveness and Prometheus metrics of the full-mode app."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import eventually, full_settings_with, register

pytestmark = pytest.mark.e2e

RELAY = "relay:users.events.v1"


def test_ready_reports_every_dependency_of_the_full_mode_as_ok(client: TestClient[Any]) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["mode"] == "full"
    assert {dependency["name"]: dependency["ok"] for dependency in body["dependencies"]} == {
        "event_store": True,
        "views": True,
        "redis": True,
        "kafka": True,
    }


def test_ready_is_503_naming_redis_when_redis_is_down_while_the_app_still_lives(full_settings: Settings) -> None:
    settings = full_settings_with(full_settings, CAP_REDIS_URL="redis://127.0.0.1:1/0")

    with TestClient(app=build_app(settings)) as client:
        ready = client.get("/ready")
        health = client.get("/health")

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] != "ok"
    failing = {dependency["name"] for dependency in body["dependencies"] if not dependency["ok"]}
    assert failing == {"redis"}
    redis_status = next(dependency for dependency in body["dependencies"] if dependency["name"] == "redis")
    assert redis_status["detail"]
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


def _samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _caught_up(client: TestClient[Any]) -> list[Sample] | None:
    """The metrics once the projection and the relay report every appended event processed (gauges trail)."""
    samples = _samples(client.get("/metrics").text)
    appended = sum(sample.value for sample in samples if sample.name == "cap_events_appended_total")
    lags = {sample.labels["consumer"]: sample.value for sample in samples if sample.name == "cap_consumer_lag"}
    positions = {
        sample.labels["consumer"]: sample.value for sample in samples if sample.name == "cap_consumer_position"
    }
    consumers = ("users", RELAY)
    if all(lags.get(name) == 0 and positions.get(name) == appended for name in consumers):
        return samples
    return None


def test_metrics_count_requests_and_appended_events_and_report_each_consumers_lag(client: TestClient[Any]) -> None:
    register(client)
    register(client)

    samples = eventually(lambda: _caught_up(client), what="the projection and the relay caught up in the metrics")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    registrations = [
        sample
        for sample in samples
        if sample.name == "cap_http_requests_total"
        and sample.labels == {"method": "POST", "route": "/api/v1/auth/register", "status": "201"}
    ]
    assert [sample.value for sample in registrations] == [2.0]
    appended = [sample.value for sample in samples if sample.name == "cap_events_appended_total"]
    assert appended
    assert appended[0] >= 4  # an email claim and a user per registration
