"""Builds the library's application recorder for each runtime: in memory, a SQLite file, PostgreSQL."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import Environment

from adapters.eventsourcing.schema_lock import schema_lock


def memory_recorder() -> ApplicationRecorder:
    return _factory({"PERSISTENCE_MODULE": "eventsourcing.popo"}).application_recorder()


def sqlite_recorder(path: str) -> ApplicationRecorder:
    return _factory(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "10"}
    ).application_recorder()


def postgres_recorder(dsn: str, pool_size: int = 8, schema: str = "") -> ApplicationRecorder:
    """The recorder on a `postgresql://user:password@host:port/dbname` database.

    Writers take the events table's EXCLUSIVE lock so that notification ids commit in order, which
    is what lets the projections and the relay tail the log without skipping a late commit.
    """
    url = urlsplit(dsn)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or ""),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "no",  # created below, under the schema lock
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    recorder = _factory(env).application_recorder()
    assert isinstance(recorder, PostgresApplicationRecorder)
    with schema_lock(dsn):
        recorder.create_table()
    return recorder


def _factory(env: dict[str, str]) -> InfrastructureFactory:
    # Named "cap" so that PostgreSQL tables are cap_events; the Environment never reads os.environ.
    return InfrastructureFactory.construct(Environment(name="cap", env=env))
