"""Replicas and workers of a fresh deployment start at the same moment against an empty database
(k8s/: two API replicas, a projections worker and a relay worker), and every one of them must come up."""

from __future__ import annotations

import threading

import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import register

pytestmark = pytest.mark.e2e

REPLICAS = 4


def test_replicas_started_together_on_an_empty_database_all_serve(full_settings: Settings) -> None:
    start = threading.Barrier(REPLICAS)
    outcomes: list[str] = []

    def replica() -> None:
        start.wait()
        try:
            with TestClient(app=build_app(full_settings)) as client:
                outcomes.append(f"ready {client.get('/ready').status_code}")
        except Exception as error:  # the outcome is the assertion, below
            outcomes.append(f"failed: {type(error).__name__}: {str(error)[:200]}")

    threads = [threading.Thread(target=replica) for _ in range(REPLICAS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["ready 200"] * REPLICAS
    with TestClient(app=build_app(full_settings)) as client:
        register(client)
