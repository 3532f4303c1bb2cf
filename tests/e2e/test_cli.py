"""The `cap` command line in both modes: create an admin, inspect the log, the aggregate and the projections,
rebuild the users view, and the admin still logs in over HTTP afterwards.

One session per mode runs the commands (each `cap` process takes about a second, mostly imports) and the
tests read what they printed.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import load_settings

from .helpers import PASSWORD, cap, settings_environ, unique_email

pytestmark = pytest.mark.e2e

FAST_HASHING = {"CAP_ARGON2_TIME_COST": "1", "CAP_ARGON2_MEMORY_KIB": "1024"}
RELAY = "relay:users.events.v1"
MASK = "***"


@dataclass
class CliSession:
    mode: str
    admin_email: str
    admin_id: str
    created: subprocess.CompletedProcess[str]
    status: subprocess.CompletedProcess[str]
    tail: subprocess.CompletedProcess[str]
    tail_revealed: subprocess.CompletedProcess[str]
    show_latest: subprocess.CompletedProcess[str]
    show_first: subprocess.CompletedProcess[str]
    rebuild: subprocess.CompletedProcess[str]
    profile_after_rebuild: dict[str, Any]


def _log_in(environ: Mapping[str, str], email: str) -> dict[str, Any]:
    """Log in over HTTP with an app built from the same CAP_* variables; return the /users/me body."""
    with TestClient(app=build_app(load_settings(environ))) as client:
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert me.status_code == 200, me.text
        return me.json()


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: rc={result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _run_session(mode: str, environ: dict[str, str]) -> CliSession:
    email = unique_email("admin")
    created = _ok(cap(environ, "users", "create-admin", email, "--password-stdin", stdin=PASSWORD + "\n"))
    match = re.search(r"created with id ([0-9a-f-]{36})", created.stdout)
    assert match, created.stdout
    admin_id = match.group(1)
    _log_in(environ, email)  # two more events on the admin's stream: a login and a session

    # One after the other: processes starting together race on the schema (see test_replicas_start_together).
    status, tail, tail_revealed, show_latest, show_first = (
        _ok(cap(environ, *command))
        for command in (
            ("projections", "status"),
            ("events", "tail"),
            ("events", "tail", "--reveal"),
            ("aggregate", "show", admin_id),
            ("aggregate", "show", admin_id, "--version", "1"),
        )
    )
    rebuild = _ok(cap(environ, "projections", "rebuild", "users"))
    return CliSession(
        mode=mode,
        admin_email=email,
        admin_id=admin_id,
        created=created,
        status=status,
        tail=tail,
        tail_revealed=tail_revealed,
        show_latest=show_latest,
        show_first=show_first,
        rebuild=rebuild,
        profile_after_rebuild=_log_in(environ, email),
    )


@pytest.fixture(scope="module")
def full_mode_environ(
    postgres_dsn: str, redis_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Like `full_settings`, for the whole module: the CLI session runs once per mode."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    settings = load_settings(
        {
            "CAP_DATA_DIR": str(tmp_path_factory.mktemp("cli-full") / "data"),
            "CAP_POSTGRES_DSN": urlunsplit(urlsplit(postgres_dsn)._replace(path=f"/{name}")),
            "CAP_REDIS_URL": redis_url,
            "CAP_REDIS_PREFIX": f"test:{uuid.uuid4().hex[:8]}:",
            "CAP_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CAP_SECRET_KEY": "cli-test-secret-key-that-is-long-enough-for-full-mode",
            "CAP_LOG_LEVEL": "WARNING",
            **FAST_HASHING,
        }
    )
    yield settings_environ(settings)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["full", "embedded"])
def session(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CliSession:
    if request.param == "full":
        environ = request.getfixturevalue("full_mode_environ")
    else:
        data_dir: Path = tmp_path_factory.mktemp("cli-embedded") / "data"
        environ = {"CAP_DATA_DIR": str(data_dir), "CAP_LOG_LEVEL": "WARNING", **FAST_HASHING}
    return _run_session(request.param, environ)


def _json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _status_rows(result: subprocess.CompletedProcess[str]) -> tuple[int, dict[str, tuple[int, int]]]:
    lines = result.stdout.splitlines()
    head = re.search(r"head (\d+)", lines[0])
    assert head, result.stdout
    rows = {}
    for line in lines[1:]:
        name, position, lag = line.split()
        rows[name] = (int(position), int(lag))
    return int(head.group(1)), rows


def test_create_admin_makes_an_administrator(session: CliSession) -> None:
    assert session.admin_email in session.created.stdout
    assert session.profile_after_rebuild["id"] == session.admin_id
    assert session.profile_after_rebuild["role"] == "admin"


def test_projections_status_lists_the_users_view_and_the_relay_with_positions_and_lag(session: CliSession) -> None:
    head, rows = _status_rows(session.status)

    assert {"users", RELAY} <= set(rows)
    assert rows["users"] == (head, 0)
    for position, lag in rows.values():
        assert 0 <= position <= head
        assert lag == head - position
    assert head >= 4  # email claim, registration, login, session


def test_events_tail_prints_the_log_as_json_lines_with_personal_fields_masked(session: CliSession) -> None:
    records = _json_lines(session.tail)

    assert [record["id"] for record in records] == sorted(record["id"] for record in records)
    admin_events = [record for record in records if record["stream_id"] == session.admin_id]
    assert [record["version"] for record in admin_events] == list(range(1, len(admin_events) + 1))
    registered = next(record for record in admin_events if record["topic"].startswith("users.UserRegistered"))
    assert registered["data"]["email"] == MASK
    assert registered["data"]["display_name"] == MASK
    assert registered["data"]["role"] == "admin"
    login = next(record for record in admin_events if record["topic"].startswith("users.LoginSucceeded"))
    assert login["data"]["client_address"] == MASK
    assert session.admin_email not in session.tail.stdout


def test_events_tail_reveals_personal_fields_on_request(session: CliSession) -> None:
    records = _json_lines(session.tail_revealed)

    registered = next(
        record
        for record in records
        if record["stream_id"] == session.admin_id and record["topic"].startswith("users.UserRegistered")
    )
    assert registered["data"]["email"] == session.admin_email
    assert registered["data"]["display_name"] == "Administrator"


def test_aggregate_show_prints_the_users_state_at_the_latest_or_a_given_version(session: CliSession) -> None:
    [latest] = _json_lines(session.show_latest)
    [first] = _json_lines(session.show_first)
    versions = [record["version"] for record in _json_lines(session.tail) if record["stream_id"] == session.admin_id]

    assert latest["type"] == first["type"] == "User"
    assert latest["id"] == first["id"] == session.admin_id
    assert latest["version"] == max(versions) > 1
    assert latest["last_login_at"] is not None
    assert latest["active_sessions"] == 1
    assert first["version"] == 1
    assert first["last_login_at"] is None
    assert first["active_sessions"] == 0
    assert latest["email"] == first["email"] == MASK
    assert latest["role"] == "admin"
    assert session.admin_email not in session.show_latest.stdout


def test_rebuilding_the_users_view_completes_and_the_admin_still_logs_in(session: CliSession) -> None:
    head, _ = _status_rows(session.status)

    assert f"users: rebuilt up to notification {head}" in session.rebuild.stdout
    assert session.profile_after_rebuild["email"] == session.admin_email
    assert session.profile_after_rebuild["display_name"] == "Administrator"
