from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.shared.events import DomainEvent, EventRegistry, UnknownTopic


class PriceAlertSet(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "test.PriceAlertSet.v3"
    symbol: str
    threshold: str
    direction: str


class ImpostorAlertSet(DomainEvent, frozen=True, kw_only=True):
    TOPIC = "test.PriceAlertSet.v3"
    symbol: str


def _v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    # v1 stored the threshold as a number; v2 keeps decimals as strings.
    return {**state, "threshold": str(state["threshold"])}


def _v2_to_v3(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "direction": "above"}


def _registry() -> EventRegistry:
    return EventRegistry(
        [PriceAlertSet],
        upcasters={
            "test.PriceAlertSet.v1": ("test.PriceAlertSet.v2", _v1_to_v2),
            "test.PriceAlertSet.v2": ("test.PriceAlertSet.v3", _v2_to_v3),
        },
    )


class TestRegistering:
    def test_maps_a_registered_topic_to_its_event_type(self) -> None:
        assert _registry().type_for("test.PriceAlertSet.v3") is PriceAlertSet

    def test_registering_the_same_type_twice_is_harmless(self) -> None:
        registry = _registry()
        registry.register(PriceAlertSet)
        assert registry.topics() == ["test.PriceAlertSet.v3"]

    def test_rejects_a_second_type_for_a_taken_topic(self) -> None:
        registry = _registry()
        with pytest.raises(ValueError, match=r"test\.PriceAlertSet\.v3"):
            registry.register(ImpostorAlertSet)
        assert registry.type_for("test.PriceAlertSet.v3") is PriceAlertSet

    def test_rejects_a_taken_topic_when_merging_registries(self) -> None:
        with pytest.raises(ValueError, match="already registered"):
            _registry().merged(EventRegistry([ImpostorAlertSet]))


class TestUpcasting:
    def test_follows_the_upcaster_chain_from_v1_to_the_current_type(self) -> None:
        event_type, state = _registry().upcast("test.PriceAlertSet.v1", {"symbol": "BTC-USD", "threshold": 70000})
        assert event_type is PriceAlertSet
        assert state == {"symbol": "BTC-USD", "threshold": "70000", "direction": "above"}

    def test_runs_only_the_upcasters_after_the_stored_version(self) -> None:
        _, state = _registry().upcast("test.PriceAlertSet.v2", {"symbol": "ETH-USD", "threshold": "x"})
        assert state == {"symbol": "ETH-USD", "threshold": "x", "direction": "above"}

    def test_a_current_topic_passes_through_unchanged(self) -> None:
        state = {"symbol": "BTC-USD", "threshold": "1", "direction": "below"}
        assert _registry().upcast("test.PriceAlertSet.v3", state) == (PriceAlertSet, state)

    def test_the_upcast_state_builds_the_current_event(self) -> None:
        _, state = _registry().upcast("test.PriceAlertSet.v1", {"symbol": "BTC-USD", "threshold": 5})
        event = PriceAlertSet(stream_id=uuid4(), version=1, occurred_at=datetime.now(UTC), **state)
        assert event.direction == "above"

    def test_upcasters_added_later_are_followed(self) -> None:
        registry = EventRegistry([PriceAlertSet])
        registry.add_upcaster("test.PriceAlertSet.v2", "test.PriceAlertSet.v3", _v2_to_v3)
        assert registry.upcast("test.PriceAlertSet.v2", {})[1] == {"direction": "above"}


class TestUnknownTopics:
    def test_an_unknown_topic_has_no_type(self) -> None:
        with pytest.raises(UnknownTopic):
            _registry().type_for("test.Nothing.v1")

    def test_an_unknown_topic_cannot_be_upcast(self) -> None:
        with pytest.raises(UnknownTopic):
            _registry().upcast("test.Nothing.v1", {})

    def test_an_old_topic_without_an_upcaster_is_unknown_as_a_type(self) -> None:
        with pytest.raises(UnknownTopic):
            _registry().type_for("test.PriceAlertSet.v1")

    def test_a_chain_that_never_reaches_a_registered_type_is_unknown(self) -> None:
        registry = EventRegistry(upcasters={"a.v1": ("a.v2", dict), "a.v2": ("a.v1", dict)})
        with pytest.raises(UnknownTopic):
            registry.upcast("a.v1", {})
