"""Two replicas of the API share their login counters through Redis."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import PASSWORD, register

pytestmark = pytest.mark.e2e


def test_login_attempts_on_two_replicas_add_up_to_one_limit(full_settings: Settings) -> None:
    with TestClient(app=build_app(full_settings)) as first, TestClient(app=build_app(full_settings)) as second:
        account = register(first)
        wrong = {"email": account.email, "password": "not the right password at all"}
        statuses = [first.post("/api/v1/auth/login", json=wrong).status_code for _ in range(3)]
        statuses += [second.post("/api/v1/auth/login", json=wrong).status_code for _ in range(2)]

        sixth = second.post("/api/v1/auth/login", json=wrong)
        right_but_late = first.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})

    assert statuses == [401] * 5
    assert sixth.status_code == 429
    assert int(sixth.headers["Retry-After"]) >= 1
    assert sixth.headers["content-type"].startswith("application/problem+json")
    assert right_but_late.status_code == 429
