"""Conventions every response follows: request ids, process time, CORS, OpenAPI, problem details."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import PASSWORD, full_settings_with, log_in, register

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
def client(full_settings: Settings) -> Iterator[TestClient[Any]]:
    settings = full_settings_with(full_settings, CAP_CORS_ORIGINS=f"{ALLOWED_ORIGIN},https://admin.example.com")
    with TestClient(app=build_app(settings)) as test_client:
        yield test_client


def _responses_of_every_kind(client: TestClient[Any]) -> dict[int, httpx.Response]:
    return {
        200: client.get("/health"),
        401: client.get("/api/v1/users/me"),
        404: client.get("/no/such/route"),
        405: client.delete("/health"),
        422: client.post("/api/v1/auth/register", json={"email": "x@example.com", "password": 1, "display_name": "X"}),
    }


def test_every_response_carries_a_generated_request_id_and_its_process_time(client: TestClient[Any]) -> None:
    responses = _responses_of_every_kind(client)

    assert {status: response.status_code for status, response in responses.items()} == {s: s for s in responses}
    ids = set()
    for response in responses.values():
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
        assert float(response.headers["X-Process-Time"]) >= 0
        ids.add(response.headers["X-Request-ID"])
    assert len(ids) == len(responses)


def test_a_safe_request_id_sent_by_the_client_is_echoed(client: TestClient[Any]) -> None:
    for path in ("/health", "/no/such/route"):
        response = client.get(path, headers={"X-Request-ID": "client-trace.42:a_b"})

        assert response.headers["X-Request-ID"] == "client-trace.42:a_b"


@pytest.mark.parametrize("unsafe", ["has spaces in it", "<script>alert(1)</script>", "a/b\\c", "x" * 129])
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(client: TestClient[Any], unsafe: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": unsafe})

    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_cors_preflight_is_allowed_for_a_configured_origin_only(client: TestClient[Any]) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

    allowed = client.options("/api/v1/auth/login", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    refused = client.options("/api/v1/auth/login", headers={"Origin": "https://evil.example.net", **preflight})

    assert allowed.is_success
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert not refused.is_success
    assert "Access-Control-Allow-Origin" not in refused.headers
    simple = client.get("/health", headers={"Origin": "https://evil.example.net"})
    assert simple.headers.get("Access-Control-Allow-Origin") in (None, "null")


def test_the_openapi_ui_and_document_describe_the_users_api(client: TestClient[Any]) -> None:
    ui = client.get("/schema")
    document = client.get("/schema/openapi.json")

    assert ui.status_code == 200
    assert ui.headers["content-type"].startswith("text/html")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/users/me",
        "/api/v1/users/me/preferences",
        "/api/v1/users/{user_id}",
    } <= set(paths)
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/users/me"])


def test_errors_are_problem_details(client: TestClient[Any]) -> None:
    responses = _responses_of_every_kind(client)
    del responses[200]
    account = register(client)
    responses[409] = client.post(
        "/api/v1/auth/register", json={"email": account.email, "password": PASSWORD, "display_name": "Again"}
    )

    for status, response in responses.items():
        assert response.headers["content-type"].startswith("application/problem+json"), status
        problem = response.json()
        assert problem["status"] == status
        assert problem["type"]
        assert problem["title"]
        assert problem["detail"]


def test_invalid_input_lists_each_field_in_error(client: TestClient[Any]) -> None:
    weak = client.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": "short", "display_name": "Weak"}
    )
    mistyped = client.post(
        "/api/v1/auth/register", json={"email": "typed@example.com", "password": 12, "display_name": "Typed"}
    )
    account = log_in(client, register(client))
    preferences = client.put(
        "/api/v1/users/me/preferences",
        json={"base_currency": "EUR", "default_interval": "2m", "timezone": "Mars/Olympus", "theme": "dark"},
        headers=account.headers,
    )

    assert weak.status_code == 422
    assert {error["field"] for error in weak.json()["errors"]} == {"email", "password"}
    assert all(error["message"] for error in weak.json()["errors"])
    assert mistyped.status_code == 422
    assert [error["field"] for error in mistyped.json()["errors"]] == ["password"]
    assert preferences.status_code == 422
    assert {error["field"] for error in preferences.json()["errors"]} == {"default_interval", "timezone"}
