"""End-to-end helpers: users over HTTP, polling with a deadline, and readers of what the platform left
in PostgreSQL, Kafka and the command line's output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import psycopg
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from litestar.testing import TestClient
from psycopg import sql

from bootstrap.settings import Settings, load_settings

PASSWORD = "correct horse battery staple 42"
USERS_TOPIC = "users.events.v1"
# The console script installed beside the interpreter running the suite (.venv/bin/cap).
CAP = Path(sys.executable).with_name("cap")

T = TypeVar("T")


def settings_environ(settings: Settings) -> dict[str, str]:
    """The CAP_* variables that `load_settings` turns back into these settings."""
    environ: dict[str, str] = {}
    for name, value in msgspec.structs.asdict(settings).items():
        if isinstance(value, tuple):
            text = ",".join(value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        environ[f"CAP_{name.upper()}"] = text
    return environ


def full_settings_with(settings: Settings, **environ: str) -> Settings:
    return load_settings({**settings_environ(settings), **environ})


def eventually(probe: Callable[[], T | None], *, within: float = 15.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {within}s (last: {last!r})")


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def unique_name(tag: str = "Person") -> str:
    return f"{tag} {uuid.uuid4().hex[:10]}"


@dataclass
class Account:
    id: str
    email: str
    display_name: str
    access_token: str = ""
    refresh_token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(client: TestClient[Any], email: str | None = None, display_name: str | None = None) -> Account:
    email = email or unique_email()
    display_name = display_name or unique_name()
    response = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": display_name}
    )
    assert response.status_code == 201, response.text
    return Account(id=response.json()["id"], email=email, display_name=display_name)


def log_in(client: TestClient[Any], account: Account, password: str = PASSWORD) -> Account:
    response = client.post("/api/v1/auth/login", json={"email": account.email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    account.access_token, account.refresh_token = body["access_token"], body["refresh_token"]
    return account


def signed_up(client: TestClient[Any], email: str | None = None, display_name: str | None = None) -> Account:
    return log_in(client, register(client, email, display_name))


# --- Kafka ------------------------------------------------------------------------------------------


def stream_messages(
    settings: Settings,
    stream_id: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    within: float = 20.0,
) -> tuple[list[ConsumerRecord[bytes, bytes]], list[ConsumerRecord[bytes, bytes]]]:
    """Read the settings' users.events.v1 from the beginning (fresh group) until `until(stream's messages)`.

    Returns (messages keyed by the stream id, every message read).
    """
    topic = settings.kafka_topic_prefix + USERS_TOPIC
    return asyncio.run(_consume(settings.kafka_bootstrap, topic, stream_id.encode(), until, within))


async def _consume(
    bootstrap: str,
    topic: str,
    key: bytes,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    within: float,
) -> tuple[list[ConsumerRecord[bytes, bytes]], list[ConsumerRecord[bytes, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"e2e-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    everything: list[ConsumerRecord[bytes, bytes]] = []
    mine: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + within
        while not until(mine):
            if time.monotonic() > deadline:
                raise AssertionError(f"Kafka messages for {key.decode()} never satisfied the wait: {mine!r}")
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                everything.extend(records)
                mine.extend(record for record in records if record.key == key)
    finally:
        await consumer.stop()
    return mine, everything


def integration_event(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    return msgspec.json.decode(record.value)


def has_event(kind: str) -> Callable[[list[ConsumerRecord[bytes, bytes]]], bool]:
    return lambda records: any(integration_event(record)["type"] == kind for record in records)


# --- PostgreSQL -------------------------------------------------------------------------------------


def database_texts(dsn: str) -> list[str]:
    """Every row of every user table as text, plus every bytea value decoded as UTF-8."""
    texts: list[str] = []
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert tables, "the database has no tables to scan"
        for schema, table in tables:
            name = sql.Identifier(schema, table)
            texts.extend(row[0] for row in conn.execute(sql.SQL("SELECT t::text FROM {} t").format(name)))
            binary_columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s AND data_type = 'bytea'",
                (schema, table),
            ).fetchall()
            for (column,) in binary_columns:
                query = sql.SQL("SELECT {} FROM {}").format(sql.Identifier(column), name)
                texts.extend(bytes(row[0]).decode("utf-8", "replace") for row in conn.execute(query) if row[0])
    return texts


# --- CLI --------------------------------------------------------------------------------------------


def cli_environ(cap_environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment without any CAP_* variable of ours, plus the given ones."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("CAP_")}
    return {**inherited, **cap_environ}


def cap(environ: Mapping[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CAP), *args], env=cli_environ(environ), input=stdin, capture_output=True, text=True, timeout=60
    )
