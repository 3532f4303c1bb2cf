"""Steps of the live feed feature: clients of `/ws/prices`, each named, over the scenario's TestClient.

Every wait for a message has a deadline, so a message that never comes fails the step instead of hanging.
Heartbeats may come between any two messages; steps that look for something else pass over them.
"""

from __future__ import annotations

import itertools
import json
import queue
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from litestar.testing import TestClient, WebSocketTestSession
from pytest_bdd import given, then, when

from .market_steps import SettingsChanges, check_live_price, listed, positive_decimal, step

LIVE_PATH = "/ws/prices"
RECEIVE_DEADLINE_SECONDS = 10.0


class LiveClient:
    """One WebSocket client: what it sent and the price messages it has taken so far."""

    def __init__(self, session: WebSocketTestSession) -> None:
        self.session = session
        self.prices: list[dict[str, Any]] = []
        self.unanswered: list[str] = []

    def send(self, message: dict[str, Any] | str) -> None:
        self.session.send_text(message if isinstance(message, str) else json.dumps(message))

    def next(self, *, within: float = RECEIVE_DEADLINE_SECONDS, heartbeats: bool = False) -> dict[str, Any]:
        """The next message; heartbeats are passed over unless asked for."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no message within {within} seconds"
            try:
                text = self.session.receive_text(timeout=remaining)
            except queue.Empty:
                raise AssertionError(f"no message within {within} seconds") from None
            message: dict[str, Any] = json.loads(text)
            if message.get("type") != "heartbeat" or heartbeats:
                return message

    def next_price(self) -> dict[str, Any]:
        message = self.next()
        assert message["type"] == "price", f"expected a price, got {message}"
        assert sorted(message) == ["price", "source", "symbol", "time", "type"], message
        self.prices.append(message)
        return message

    def acknowledgement(self, kind: str) -> dict[str, Any]:
        """The answer to a subscription change; prices already on their way may come before it."""
        deadline = time.monotonic() + RECEIVE_DEADLINE_SECONDS
        while True:
            message = self.next(within=max(deadline - time.monotonic(), 0.001))
            if message["type"] != "price":
                assert message["type"] == kind, f"expected {kind}, got {message}"
                return message


@pytest.fixture
def live_clients(client: TestClient[Any]) -> Iterator[LiveClients]:
    # Closed before the app stops: the fixture depends on the app's client.
    with ExitStack() as stack:
        yield LiveClients(client, stack)


class LiveClients(dict[str, LiveClient]):
    def __init__(self, client: TestClient[Any], stack: ExitStack) -> None:
        super().__init__()
        self._client = client
        self._stack = stack

    def connect(self, name: str) -> LiveClient:
        assert name not in self, f"{name} is already connected"
        session = self._stack.enter_context(self._client.websocket_connect(LIVE_PATH))
        self[name] = LiveClient(session)
        return self[name]


# --- given --------------------------------------------------------------------------------------


@given(step("the live prices send a heartbeat after {seconds:d} second of silence"))
def heartbeat_after(settings_changes: SettingsChanges, seconds: int) -> None:
    settings_changes.change(live_heartbeat_seconds=float(seconds))


@given(step("each live client may have at most {count:d} messages waiting"))
def live_queue_of(settings_changes: SettingsChanges, count: int) -> None:
    settings_changes.change(live_queue_size=count)


@given(step("{name:Name} is connected to the live prices"))
def connected(live_clients: LiveClients, name: str) -> None:
    live_clients.connect(name)


@given(step('{name:Name} has subscribed to "{symbols:Text}"'))
def has_subscribed(live_clients: LiveClients, name: str, symbols: str) -> None:
    live_clients[name].send({"op": "subscribe", "symbols": listed(symbols)})
    live_clients[name].acknowledgement("subscribed")


# --- when ---------------------------------------------------------------------------------------


@when(step('{name:Name} subscribes to "{symbols:Text}"'))
def subscribes(live_clients: LiveClients, name: str, symbols: str) -> None:
    live_clients[name].send({"op": "subscribe", "symbols": listed(symbols)})


@when(step('{name:Name} unsubscribes from "{symbols:Text}"'))
def unsubscribes(live_clients: LiveClients, name: str, symbols: str) -> None:
    live_clients[name].send({"op": "unsubscribe", "symbols": listed(symbols)})


@when(step("{name:Name} sends each of these messages"))
def sends_each(live_clients: LiveClients, name: str, datatable: list[list[str]]) -> None:
    _, *rows = datatable
    for message, _fault in rows:
        live_clients[name].send(message)
        live_clients[name].unanswered.append(message)


# --- then ---------------------------------------------------------------------------------------


@then(step('{name:Name} is told she is subscribed to "{symbols:Text}"'))
def told_subscribed(live_clients: LiveClients, name: str, symbols: str) -> None:
    answer = live_clients[name].acknowledgement("subscribed")
    assert answer == {"type": "subscribed", "symbols": listed(symbols)}


@then(step('{name:Name} is told she is unsubscribed from "{symbols:Text}"'))
def told_unsubscribed(live_clients: LiveClients, name: str, symbols: str) -> None:
    answer = live_clients[name].acknowledgement("unsubscribed")
    assert answer == {"type": "unsubscribed", "symbols": listed(symbols)}


@then(step('{name:Name} receives {count:d} prices, all of "{symbol:Symbol}"'))
def receives_prices_of(live_clients: LiveClients, name: str, count: int, symbol: str) -> None:
    for _ in range(count):
        price = live_clients[name].next_price()
        assert price["symbol"] == symbol, price


@then(step("{name:Name} receives {count:d} prices"))
def receives_prices(live_clients: LiveClients, name: str, count: int) -> None:
    for _ in range(count):
        positive_decimal(live_clients[name].next_price()["price"])


@then(step('{name:Name} receives prices of each of "{symbols:Text}"'))
def receives_each(live_clients: LiveClients, name: str, symbols: str) -> None:
    wanted = set(listed(symbols))
    seen: set[str] = set()
    while seen != wanted:
        price = live_clients[name].next_price()
        assert price["symbol"] in wanted, price
        seen.add(price["symbol"])


@then(step('{name:Name} then receives {count:d} prices of "{kept:Symbol}" and none of "{dropped:Symbol}"'))
def receives_only(live_clients: LiveClients, name: str, count: int, kept: str, dropped: str) -> None:
    for _ in range(count):
        price = live_clients[name].next_price()
        assert price["symbol"] != dropped, f"a price of {dropped} came after the unsubscription: {price}"
        assert price["symbol"] == kept, price


@then(
    step(
        'every price {name:Name} received is a positive decimal string from "{source:Text}", traded within the '
        "last minute"
    )
)
def every_received_price_live(live_clients: LiveClients, name: str, source: str) -> None:
    prices = live_clients[name].prices
    assert prices
    for price in prices:
        check_live_price(price, source)


@then(step("after the first, every price {name:Name} received differs from the one before it"))
def prices_change(live_clients: LiveClients, name: str) -> None:
    later = live_clients[name].prices[1:]
    assert len(later) >= 2
    for before, after in itertools.pairwise(later):
        assert after["price"] != before["price"], f"two messages for one price: {before} then {after}"


@then(step("{name:Name} receives an error for each of them"))
def receives_errors(live_clients: LiveClients, name: str) -> None:
    live = live_clients[name]
    for sent in live.unanswered:
        message = live.next()
        assert message["type"] == "error", f"{sent} was answered with {message}"
        assert isinstance(message["message"], str), message
        assert message["message"].strip(), message
    live.unanswered.clear()


@then(step("{name:Name} receives a heartbeat within {seconds:d} seconds"))
def receives_heartbeat(live_clients: LiveClients, name: str, seconds: int) -> None:
    message = live_clients[name].next(within=seconds, heartbeats=True)
    assert message["type"] == "heartbeat", message


@then(step("{name:Name} is told that at least {count:d} messages were dropped"))
def told_dropped(live_clients: LiveClients, name: str, count: int) -> None:
    # Told before the messages that follow the loss, not after them.
    message = live_clients[name].next()
    assert message["type"] == "dropped", message
    assert isinstance(message["count"], int), message
    assert message["count"] >= count, message
