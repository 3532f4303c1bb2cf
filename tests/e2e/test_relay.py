"""The relay publishes a user's integration events to Kafka: keyed by stream, in version order, no personal data."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from bootstrap.settings import Settings

from .helpers import has_event, integration_event, signed_up, stream_messages, unique_name

pytestmark = pytest.mark.e2e


def test_a_users_integration_events_arrive_keyed_by_stream_in_version_order_without_personal_data(
    client: TestClient[Any], full_settings: Settings
) -> None:
    account = signed_up(client)
    new_name = unique_name("Relayed")
    assert client.patch("/api/v1/users/me", json={"display_name": new_name}, headers=account.headers).is_success
    preferences = {"base_currency": "EUR", "default_interval": "1d", "timezone": "UTC", "theme": "dark"}
    assert client.put("/api/v1/users/me/preferences", json=preferences, headers=account.headers).is_success
    assert client.delete("/api/v1/users/me", headers=account.headers).status_code == 204

    records, _ = stream_messages(full_settings, account.id, until=has_event("UserDeleted"))

    events = [integration_event(record) for record in records]
    versions = [event["version"] for event in events]
    assert versions == list(range(1, len(events) + 1))
    assert [event["stream_id"] for event in events] == [account.id] * len(events)
    assert {record.topic for record in records} == {full_settings.kafka_topic_prefix + "users.events.v1"}
    assert [dict(record.headers)["version"] for record in records] == [str(v).encode() for v in versions]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "UserRegistered"
    assert kinds[-1] == "UserDeleted"
    assert {"LoginSucceeded", "SessionStarted", "ProfileChanged", "PreferencesChanged"} <= set(kinds)
    assert events[kinds.index("PreferencesChanged")]["data"] == preferences
    for record in records:
        for personal in (account.email, account.display_name, new_name, "testclient"):
            assert personal.encode() not in record.value, (personal, record.value)
