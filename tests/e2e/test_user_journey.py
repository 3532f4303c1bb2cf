"""A user's whole life over HTTP in full mode: PostgreSQL events and views, Redis limits, Kafka relay."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from .helpers import PASSWORD, Account, log_in, register, unique_email, unique_name

pytestmark = pytest.mark.e2e


def test_a_user_registers_logs_in_edits_refreshes_logs_out_and_deletes_the_account(client: TestClient[Any]) -> None:
    email = unique_email("journey")
    registered = client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD, "display_name": "Ada"}
    )
    assert registered.status_code == 201
    body = registered.json()
    assert body["email"] == email
    assert body["display_name"] == "Ada"
    assert set(body) == {"id", "email", "display_name", "created_at"}
    user_id = body["id"]

    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    me = client.get("/api/v1/users/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["id"] == user_id
    assert me.json()["email"] == email
    assert me.json()["role"] == "user"

    new_email = unique_email("renamed")
    patched = client.patch(
        "/api/v1/users/me", json={"display_name": "Ada Lovelace", "email": new_email}, headers=bearer
    )
    assert patched.status_code == 200
    assert patched.json()["display_name"] == "Ada Lovelace"
    assert patched.json()["email"] == new_email

    preferences = {"base_currency": "EUR", "default_interval": "4h", "timezone": "Europe/Paris", "theme": "dark"}
    assert client.put("/api/v1/users/me/preferences", json=preferences, headers=bearer).json() == preferences
    assert client.get("/api/v1/users/me/preferences", headers=bearer).json() == preferences

    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    rotated = refreshed.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}).is_success

    assert client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401

    # The old email was released by the change; the new one logs in.
    assert client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
    relogin = client.post("/api/v1/auth/login", json={"email": new_email, "password": PASSWORD})
    assert relogin.status_code == 200
    bearer = {"Authorization": f"Bearer {relogin.json()['access_token']}"}

    assert client.delete("/api/v1/users/me", headers=bearer).status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 401
    refresh_after_deletion = {"refresh_token": relogin.json()["refresh_token"]}
    assert client.post("/api/v1/auth/refresh", json=refresh_after_deletion).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": new_email, "password": PASSWORD}).status_code == 401


def test_a_profile_change_is_visible_to_the_very_next_read(client: TestClient[Any]) -> None:
    account = log_in(client, register(client))
    for _ in range(3):
        name, email = unique_name("Renamed"), unique_email("moved")
        patched = client.patch("/api/v1/users/me", json={"display_name": name, "email": email}, headers=account.headers)
        assert patched.status_code == 200

        me = client.get("/api/v1/users/me", headers=account.headers).json()
        assert (me["display_name"], me["email"]) == (name, email)


def test_preferences_put_are_visible_to_the_very_next_read(client: TestClient[Any]) -> None:
    account = log_in(client, register(client))
    for theme, interval in (("dark", "5m"), ("light", "1d")):
        wanted = {"base_currency": "GBP", "default_interval": interval, "timezone": "Asia/Tokyo", "theme": theme}
        assert client.put("/api/v1/users/me/preferences", json=wanted, headers=account.headers).status_code == 200

        assert client.get("/api/v1/users/me/preferences", headers=account.headers).json() == wanted


def test_a_user_sees_their_own_profile_by_id_but_not_someone_elses(client: TestClient[Any]) -> None:
    alice: Account = log_in(client, register(client))
    bob: Account = log_in(client, register(client))

    own = client.get(f"/api/v1/users/{alice.id}", headers=alice.headers)
    assert own.status_code == 200
    assert own.json()["email"] == alice.email
    assert client.get(f"/api/v1/users/{bob.id}", headers=alice.headers).status_code == 404
