"""Live indicators in full mode, end to end: a minute closes on a local Binance protocol server, its kline flows
through the feed, Kafka, the candle worker and the analytics worker, and `/ws/prices` pushes the indicator summary,
equal to what `GET /api/v1/analytics/summary` computes from the stored candles."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest
from litestar.testing import TestClient
from support.binance_server import BinanceServer

from application.market.times import to_rfc3339
from bootstrap.app import build_app
from bootstrap.settings import Settings

from .helpers import cap, eventually, full_settings_with, settings_environ

pytestmark = pytest.mark.e2e

T = TypeVar("T")
MINUTE = 60_000
HISTORY = 300  # minutes stored before the live one: every tracked indicator is past its warm-up


class ExchangeThread:
    """The async protocol server on an event loop of its own, driven from this synchronous test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="binance-server", daemon=True)
        self.server = BinanceServer(ping_interval=None, max_messages_per_second=50)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=10)

    def __enter__(self) -> BinanceServer:
        self._thread.start()
        self.run(self.server.__aenter__())
        return self.server

    def __exit__(self, *exc_info: object) -> None:
        self.run(self.server.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def exchange() -> Iterator[ExchangeThread]:
    thread = ExchangeThread()
    with thread:
        yield thread


def _history_csv(path: Path, first_open: int) -> Path:
    """`HISTORY` 1m candles of a gentle zigzag walk, in the plain `time,open,high,low,close,volume` format."""
    lines = ["time,open,high,low,close,volume"]
    close = 100.0
    for minute in range(HISTORY):
        previous, close = close, close * (1.004 if minute % 3 else 0.993)
        high, low = max(previous, close) * 1.001, min(previous, close) * 0.999
        lines.append(f"{first_open + minute * MINUTE},{previous:.4f},{high:.4f},{low:.4f},{close:.4f},{1 + minute % 5}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _live_minute() -> int:
    """The open time of the current minute, waiting for the next one when this one is nearly over (the analytics
    worker pushes only candles that closed just now, and the whole flow must fit in the minute's margin)."""
    now = int(time.time() * 1000)
    if now % MINUTE > 45_000:
        time.sleep((MINUTE - now % MINUTE) / 1000 + 0.1)
        now = int(time.time() * 1000)
    return now - now % MINUTE


def test_a_closing_minute_pushes_the_indicator_summary_the_summary_endpoint_computes(
    full_settings: Settings, exchange: ExchangeThread, tmp_path: Path
) -> None:
    live = _live_minute()
    settings = full_settings_with(
        full_settings,
        CAP_MARKET_FEEDS="binance",
        CAP_BINANCE_WS_URL=exchange.server.url,
        CAP_BINANCE_REST_URL=exchange.server.rest_url,
    )
    history = _history_csv(tmp_path / "btc.csv", live - HISTORY * MINUTE)
    imported = cap(
        settings_environ(settings),
        *("market", "import", str(history), "--symbol", "BTC-USDT", "--interval", "1m", "--exchange", "binance"),
    )
    assert imported.returncode == 0, imported.stderr

    with TestClient(app=build_app(settings)) as client, client.websocket_connect("/ws/prices") as socket:
        socket.send_json({"op": "subscribe", "channel": "indicators", "symbols": ["BTC-USDT"]})
        assert socket.receive_json()["type"] == "subscribed"
        eventually(lambda: exchange.server.subscribed("btcusdt@kline_1m"), within=30, what="the kline subscription")

        prices = ["101.25", "102.50", "101.75"]
        for second, price in enumerate(prices):
            exchange.run(exchange.server.trade("BTCUSDT", price, "0.5", live + 1_000 * (second + 1)))
        exchange.run(exchange.server.close_minutes(live + MINUTE))

        pushed = _next_indicators(socket, within=45)
        assert (pushed["symbol"], pushed["exchange"], pushed["interval"]) == ("BTC-USDT", "binance", "1m")
        assert Decimal(str(pushed["close"])) == Decimal(prices[-1])
        assert pushed["time"] == to_rfc3339(live)
        assert pushed["values"]
        assert all(value is not None for value in pushed["values"].values())

        batch = client.get("/api/v1/analytics/summary/BTC-USDT", params={"exchange": "binance"})
        assert batch.status_code == 200, batch.text
        expected = batch.json()
        assert (expected["time"], expected["close"]) == (pushed["time"], pushed["close"])
        assert set(expected["values"]) == set(pushed["values"])
        for name, value in expected["values"].items():
            assert pushed["values"][name] == pytest.approx(value, rel=1e-9), name


def _next_indicators(socket: Any, within: float) -> dict[str, Any]:
    """The next `indicators` message; heartbeats and the like in between are skipped."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message: dict[str, Any] = msgspec.json.decode(
            socket.receive_text(timeout=max(deadline - time.monotonic(), 0.1))
        )
        if message["type"] == "indicators":
            return message
        assert message["type"] in {"heartbeat", "price", "candle"}, message
    raise AssertionError(f"no indicators message within {within}s")
