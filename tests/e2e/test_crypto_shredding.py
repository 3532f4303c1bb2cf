"""Deleting an account leaves no readable copy of its email or display name anywhere in full mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import redis
from litestar.testing import TestClient

from bootstrap.settings import Settings

from .helpers import (
    PASSWORD,
    Account,
    database_texts,
    has_event,
    signed_up,
    stream_messages,
    unique_email,
    unique_name,
)

pytestmark = pytest.mark.e2e


def _mentions(texts: list[str], *needles: str) -> list[str]:
    lowered = [needle.lower() for needle in needles]
    return [text for text in texts if any(needle in text.lower() for needle in lowered)]


def _redis_entries(settings: Settings) -> list[str]:
    """Every key under this test's prefix, with its value when it is a plain string."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        entries = []
        for key in client.scan_iter(match=f"{settings.redis_prefix}*"):
            value = client.get(key) if client.type(key) == b"string" else b""
            entries.append(f"{key.decode(errors='replace')} = {(value or b'').decode(errors='replace')}")
        return entries
    finally:
        client.close()


@dataclass
class DeletedAccount:
    account: Account
    personal_data: list[str]


@pytest.fixture
def deleted(client: TestClient[Any], full_settings: Settings) -> DeletedAccount:
    """An account that logged in, renamed itself, then was deleted, once the relay published the deletion."""
    account = signed_up(client, unique_email("shred"), unique_name("Shredded"))
    renamed = unique_name("Renamed")
    assert client.patch("/api/v1/users/me", json={"display_name": renamed}, headers=account.headers).is_success
    personal_data = [account.email, account.display_name, renamed]
    # The scan does see personal data while the account lives: the later "nowhere" is not a blind spot.
    assert len(_mentions(database_texts(full_settings.postgres_dsn), *personal_data)) >= 1

    assert client.delete("/api/v1/users/me", headers=account.headers).status_code == 204
    stream_messages(full_settings, account.id, until=has_event("UserDeleted"))
    return DeletedAccount(account, personal_data)


def test_no_table_of_the_database_holds_the_deleted_users_email_or_names(
    deleted: DeletedAccount, full_settings: Settings
) -> None:
    texts = database_texts(full_settings.postgres_dsn)

    assert _mentions(texts, *deleted.personal_data) == []


def test_no_redis_key_or_value_holds_the_deleted_users_email_or_names(
    deleted: DeletedAccount, full_settings: Settings
) -> None:
    entries = _redis_entries(full_settings)

    assert entries, "the login left rate-limit counters under the test's prefix"
    assert _mentions(entries, *deleted.personal_data) == []


def test_no_kafka_message_holds_the_deleted_users_email_or_names(
    deleted: DeletedAccount, full_settings: Settings
) -> None:
    mine, everything = stream_messages(full_settings, deleted.account.id, until=has_event("UserDeleted"))

    assert len(mine) >= 5
    for record in everything:
        blob = b"|".join([record.key or b"", record.value or b"", *(value for _, value in record.headers)])
        assert _mentions([blob.decode(errors="replace")], *deleted.personal_data) == [], record


def test_the_email_of_a_deleted_account_registers_again(client: TestClient[Any], deleted: DeletedAccount) -> None:
    email = deleted.account.email
    again = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Anew"})

    assert again.status_code == 201
    assert again.json()["id"] != deleted.account.id
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["display_name"] == "Anew"
    taken = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Twice"})
    assert taken.status_code == 409
