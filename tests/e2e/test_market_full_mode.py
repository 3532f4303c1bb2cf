"""Market data in full mode: simulated trades through Kafka into PostgreSQL candles, Redis prices, and the
live feed served by any API replica through Redis pub/sub."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import eventually, full_settings_with

pytestmark = pytest.mark.e2e


def _fast_feed(settings: Settings, **extra: str) -> Settings:
    return full_settings_with(settings, CAP_SIMULATED_TRADES_PER_SECOND="200", **extra)


def test_simulated_trades_become_prices_and_candles_through_kafka(full_settings: Settings) -> None:
    with TestClient(app=build_app(_fast_feed(full_settings))) as client:

        def priced() -> list[dict[str, Any]] | None:
            body = client.get("/api/v1/market/prices", params={"symbols": "BTC-USDT,ETH-USDT"}).json()
            return body["prices"] if all(p["price"] for p in body["prices"]) else None

        prices = eventually(priced, within=30, what="prices for BTC and ETH")
        assert {p["source"] for p in prices} == {"simulated"}
        assert all(Decimal(p["price"]) > 0 for p in prices)

        def candles() -> list[dict[str, Any]] | None:
            body = client.get("/api/v1/market/candles/BTC-USDT", params={"interval": "1m"}).json()
            return body["candles"] or None

        [*_, latest] = eventually(candles, within=30, what="a BTC candle")
        assert Decimal(latest["low"]) <= Decimal(latest["close"]) <= Decimal(latest["high"])
        assert latest["trades"] >= 1


def test_a_replica_without_workers_serves_live_prices_published_by_another(full_settings: Settings) -> None:
    api_only = full_settings_with(full_settings, CAP_WORKERS_IN_PROCESS="false")
    with (
        TestClient(app=build_app(_fast_feed(full_settings))) as _workers,
        TestClient(app=build_app(api_only)) as replica,
        replica.websocket_connect("/ws/prices") as socket,
    ):
        socket.send_json({"op": "subscribe", "symbols": ["BTC-USDT", "SOL-USDT"]})
        assert socket.receive_json() == {"type": "subscribed", "symbols": ["BTC-USDT", "SOL-USDT"]}
        seen: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 30
        while set(seen) != {"BTC-USDT", "SOL-USDT"} and time.monotonic() < deadline:
            message = msgspec.json.decode(socket.receive_text())
            if message["type"] == "price":
                seen[message["symbol"]] = message
        assert set(seen) == {"BTC-USDT", "SOL-USDT"}
        assert all(Decimal(m["price"]) > 0 and m["source"] == "simulated" for m in seen.values())
