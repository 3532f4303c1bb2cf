"""Fixtures of the end-to-end suite: the full-mode app (PostgreSQL, Redis, Kafka) behind a TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import settings_environ


@pytest.fixture
def full_environ(full_settings: Settings) -> dict[str, str]:
    return settings_environ(full_settings)


@pytest.fixture
def client(full_settings: Settings) -> Iterator[TestClient[Any]]:
    """The full-mode app, started: its projection and relay workers run in the client's event loop."""
    with TestClient(app=build_app(full_settings)) as test_client:
        yield test_client
