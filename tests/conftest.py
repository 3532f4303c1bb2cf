"""Shared fixtures: settings for each runtime mode and the real servers the suite runs against.

The servers come from `make test` (scripts/services.sh) through CAP_TEST_* variables. Locally a
missing server skips the tests that need it; under CI=true it fails them, so CI can never go green
by skipping.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bootstrap.settings import Settings, load_settings

# Cheap argon2 parameters: the suite hashes hundreds of passwords. Production defaults are tested
# separately in the password hasher's own tests.
# Fast argon2, and no made-up candle history at start (3 days x 10 coins is seconds per app; the tests
# that need history import their own).
FAST_HASHING = {"CAP_ARGON2_TIME_COST": "1", "CAP_ARGON2_MEMORY_KIB": "1024", "CAP_SIMULATED_HISTORY_DAYS": "0"}
TEST_SECRET = "test-secret-key-that-is-long-enough-for-full-mode"


def _unavailable(what: str) -> None:
    message = f"{what} is not available (run the suite with `make test`, which starts it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    dsn = os.environ.get("CAP_TEST_POSTGRES_DSN", "")
    url = urlsplit(dsn)
    if not dsn or not _reachable(url.hostname or "127.0.0.1", url.port or 5432):
        _unavailable("PostgreSQL")
    return dsn


@pytest.fixture
def fresh_database(postgres_dsn: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(postgres_dsn)
    yield urlunsplit(url._replace(path=f"/{name}"))
    _drop_database(postgres_dsn, name)


def _drop_database(postgres_dsn: str, name: str) -> None:
    # FORCE cannot end an autovacuum worker that happens to be on the database (it belongs to the
    # superuser): that refusal is transient, so try again for a few seconds.
    deadline = time.monotonic() + 10
    while True:
        try:
            with psycopg.connect(postgres_dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("CAP_TEST_REDIS_URL", "")
    parts = urlsplit(url)
    if not url or not _reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
        _unavailable("Redis")
    return url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    servers = os.environ.get("CAP_TEST_KAFKA_BOOTSTRAP", "")
    host, _, port = servers.split(",")[0].partition(":")
    if not servers or not _reachable(host, int(port or 9092)):
        _unavailable("Kafka")
    return servers


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return load_settings({"CAP_DATA_DIR": str(tmp_path / "data"), "CAP_LOG_LEVEL": "WARNING", **FAST_HASHING})


@pytest.fixture
def full_settings(fresh_database: str, redis_url: str, kafka_bootstrap: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "CAP_DATA_DIR": str(tmp_path / "data"),
            "CAP_POSTGRES_DSN": fresh_database,
            "CAP_REDIS_URL": redis_url,
            # Each test its own keys: rate-limit counters must not leak between tests.
            "CAP_REDIS_PREFIX": f"test:{uuid.uuid4().hex[:8]}:",
            "CAP_KAFKA_BOOTSTRAP": kafka_bootstrap,
            # Each test its own topics: market data from one test must not flow into the next one's candles.
            "CAP_KAFKA_TOPIC_PREFIX": f"test-{uuid.uuid4().hex[:8]}.",
            "CAP_SECRET_KEY": TEST_SECRET,
            "CAP_LOG_LEVEL": "WARNING",
            **FAST_HASHING,
        }
    )


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for sync code (pytest-bdd steps) that drives async adapters."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner
