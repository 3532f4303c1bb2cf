"""A local Coinbase Advanced Trade market-data server: WebSocket feed and REST candles on one port.

    async with CoinbaseServer(now_ms=clock) as server:
        feed = CoinbaseFeed(ws_url=server.ws_url, rest_url=server.rest_url, ...)
        await server.push_trades("BTC-USD", trade_row("BTC-USD", "1", "65000.1", "0.5", time_ms))

WebSocket, as the real one behaves (see ../shared/reference/exchange-protocols.md, 2c): a client must
subscribe within `subscribe_timeout` seconds or is closed; one channel per subscribe message; each
subscribe is answered with snapshots (market_trades: recent trades newest first; candles: 5m history
oldest first; ticker: the current ticker) then a `subscriptions` message listing everything the
connection follows. Every message is an envelope `{channel, timestamp, sequence_num, events}` with a
per-connection sequence counter; heartbeats go out every `heartbeat_interval` seconds to connections
subscribed to `heartbeats`. Faults on demand: `skip_sequence`, `drop` (abrupt, no close frame),
`silence`, `send_raw`, `refuse_connections`, and `push` with any events (malformed shapes included);
`replay` re-sends recorded envelopes (captures) under the connection's own sequence numbers.

REST: `GET /api/v3/brokerage/market/products/{id}/candles?start=&end=&granularity=ONE_MINUTE&limit=`
answers `{"candles": [...]}` newest first from `add_minute_candles`, with start and end inclusive;
more than `max_candles` minutes in the range is a 400 (like the exchange); `rate_limit` and `fail_rest`
make the next requests fail with 429 + Retry-After or a 5xx.

Times come from `now_ms` (a callable; tests pass a fake clock so that minutes pass in no time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

_CANDLES_PATH = re.compile(r"^/api/v3/brokerage/market/products/([^/]+)/candles$")
CHANNELS = frozenset({"heartbeats", "market_trades", "ticker", "ticker_batch", "candles", "status", "level2"})


def rfc3339(ms: int, digits: int = 6) -> str:
    """Epoch ms as Coinbase writes times: `2026-08-09T21:05:48.167634Z` (trades µs, envelopes ns)."""
    base = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ms % 1000:03d}".ljust(digits, "0")
    return f"{base}.{fraction}Z"


def trade_row(product_id: str, trade_id: str, price: str, size: str, time_ms: int, side: str = "BUY") -> dict:
    return {
        "product_id": product_id,
        "trade_id": trade_id,
        "price": price,
        "size": size,
        "time": rfc3339(time_ms),
        "side": side,
    }


def ticker_row(product_id: str, price: str, best_bid: str = "", best_ask: str = "", volume: str = "1000") -> dict:
    return {
        "type": "ticker",
        "product_id": product_id,
        "price": price,
        "volume_24_h": volume,
        "low_24_h": price,
        "high_24_h": price,
        "low_52_w": price,
        "high_52_w": price,
        "price_percent_chg_24_h": "0",
        "best_bid": best_bid or price,
        "best_ask": best_ask or price,
        "best_bid_quantity": "1",
        "best_ask_quantity": "1",
    }


def candle_row(product_id: str, start_ms: int, open: str, high: str, low: str, close: str, volume: str = "1") -> dict:
    """A candle as both the WebSocket (with product_id) and REST write it; `start` is epoch seconds."""
    return {
        "start": str(start_ms // 1000),
        "high": high,
        "low": low,
        "open": open,
        "close": close,
        "volume": volume,
        "product_id": product_id,
    }


@dataclass
class SubscribeRecord:
    connection: int
    message: dict
    at_ms: int

    @property
    def channel(self) -> str | None:
        return self.message.get("channel")

    @property
    def product_ids(self) -> list[str]:
        return list(self.message.get("product_ids", []))


@dataclass
class RestRequest:
    product_id: str
    params: dict[str, str]
    status: int


@dataclass
class _Connection:
    index: int
    ws: ServerConnection
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    sequence: int = 0
    silent: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    heartbeat: asyncio.Task | None = None
    counter: int = 0


class CoinbaseServer:
    def __init__(
        self,
        *,
        now_ms: Callable[[], int] | None = None,
        subscribe_timeout: float = 5.0,
        heartbeat_interval: float = 1.0,
        max_candles: int = 300,
    ) -> None:
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.subscribe_timeout = subscribe_timeout
        self.heartbeat_interval = heartbeat_interval
        self.max_candles = max_candles
        # What the tests script.
        self.recent_trades: dict[str, list[dict]] = {}
        self.candle_history: dict[str, list[dict]] = {}
        self.tickers: dict[str, dict] = {}
        self.minute_candles: dict[str, dict[int, dict]] = {}
        self._rate_limited = 0
        self._retry_after = "1"
        self._failures = 0
        self._failure_status = 500
        self._skip = 0
        self._refusing = False
        # What happened.
        self.subscribes: list[SubscribeRecord] = []
        self.rest_requests: list[RestRequest] = []
        self.connections_opened = 0
        self.deadline_closures = 0
        self._connections: dict[int, _Connection] = {}
        self._server: Server | None = None
        self._port = 0

    async def __aenter__(self) -> CoinbaseServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._http, compression=None, ping_interval=None
        )
        self._port = self._server.sockets[0].getsockname()[1]  # type: ignore[index]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        for connection in list(self._connections.values()):
            if connection.heartbeat is not None:
                connection.heartbeat.cancel()
        self._server.close()
        await self._server.wait_closed()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    # -- scripting the feed ------------------------------------------------------------------------

    async def push(
        self, channel: str, events: list[Any], *, product_id: str | None = None, sequence_num: int | None = None
    ) -> None:
        """One envelope to every connection subscribed to `channel` (for `product_id`, when given).

        Any events, malformed ones too. `sequence_num` sends that number instead of the next one (and
        does not move the counter).
        """
        for connection in list(self._connections.values()):
            products = connection.subscriptions.get(channel)
            if products is not None and (product_id is None or product_id in products):
                await self._send(connection, channel, events, sequence_num=sequence_num)

    async def push_trades(self, product_id: str, *rows: dict, sequence_num: int | None = None) -> None:
        """A market_trades update; rows go out newest first, as Coinbase sends them."""
        ordered = sorted(rows, key=lambda r: r["time"], reverse=True)
        events = [{"type": "update", "trades": ordered}]
        await self.push("market_trades", events, product_id=product_id, sequence_num=sequence_num)

    async def push_ticker(self, row: dict) -> None:
        self.tickers[row["product_id"]] = row
        await self.push("ticker", [{"type": "update", "tickers": [row]}], product_id=row["product_id"])

    async def push_candle(self, row: dict) -> None:
        await self.push("candles", [{"type": "update", "candles": [row]}], product_id=row["product_id"])

    async def replay(self, envelope: dict) -> None:
        """A recorded envelope (e.g. from a capture) with this connection's next sequence number and now."""
        await self.push(envelope["channel"], envelope["events"])

    async def send_raw(self, text: str, *, consume_sequence: bool = False) -> None:
        """A frame as is (e.g. not JSON); `consume_sequence` makes it use up a sequence number."""
        for connection in list(self._connections.values()):
            if connection.silent:
                continue
            async with connection.lock:
                if consume_sequence:
                    connection.sequence += 1
                with contextlib.suppress(ConnectionClosed):
                    await connection.ws.send(text)

    def skip_sequence(self, count: int) -> None:
        """The next envelope on each connection jumps `count` sequence numbers (messages lost)."""
        self._skip += count

    async def drop(self) -> None:
        """Cut every open connection abruptly (TCP reset, no close frame)."""
        dropped = list(self._connections)
        for index in dropped:
            self._connections[index].ws.transport.abort()
        await self.until(lambda: not any(index in self._connections for index in dropped))

    def refuse_connections(self) -> None:
        """New WebSocket connections get HTTP 503 (the exchange is unreachable) until `accept_connections`."""
        self._refusing = True

    def accept_connections(self) -> None:
        self._refusing = False

    def last_sequence(self, connection: int | None = None) -> int:
        """The sequence number last sent on a connection (the newest by default)."""
        index = connection or max(self._connections)
        return self._connections[index].sequence - 1

    async def wait_subscribed(
        self, channels: Sequence[str] = ("heartbeats", "market_trades", "ticker", "candles"), within: float = 5.0
    ) -> int:
        """Wait until the newest open connection follows all `channels`; returns its number."""

        def subscribed() -> bool:
            if not self._connections:
                return False
            newest = self._connections[max(self._connections)]
            return all(channel in newest.subscriptions for channel in channels)

        await self.until(subscribed, within)
        return max(self._connections)

    def silence(self) -> None:
        """The open connections stop sending anything, heartbeats included; new ones behave."""
        for connection in self._connections.values():
            connection.silent = True

    def add_minute_candles(self, product_id: str, rows: Sequence[dict]) -> None:
        history = self.minute_candles.setdefault(product_id, {})
        for row in rows:
            history[int(row["start"])] = {k: v for k, v in row.items() if k != "product_id"}

    def rate_limit(self, times: int, retry_after: str = "1") -> None:
        """The next `times` REST requests get 429 with this Retry-After."""
        self._rate_limited = times
        self._retry_after = retry_after

    def fail_rest(self, times: int, status: int = 500) -> None:
        self._failures = times
        self._failure_status = status

    async def until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait for a condition on the server's state (polling; fails the test when it never holds)."""
        deadline = asyncio.get_running_loop().time() + within
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not reached on the Coinbase test server")
            await asyncio.sleep(0.005)

    def subscribes_of(self, connection: int) -> list[SubscribeRecord]:
        return [s for s in self.subscribes if s.connection == connection]

    # -- WebSocket ---------------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections_opened += 1
        connection = _Connection(self.connections_opened, ws)
        self._connections[connection.index] = connection
        try:
            try:
                async with asyncio.timeout(self.subscribe_timeout):
                    first = await ws.recv()
            except TimeoutError:
                self.deadline_closures += 1
                await ws.close(1008, "subscribe within the deadline")
                return
            await self._on_message(connection, first)
            async for message in ws:
                await self._on_message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            if connection.heartbeat is not None:
                connection.heartbeat.cancel()
            self._connections.pop(connection.index, None)

    async def _on_message(self, connection: _Connection, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            await self._error(connection, "malformed request")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        channel = message.get("channel") if isinstance(message, dict) else None
        products = message.get("product_ids", []) if isinstance(message, dict) else []
        if kind == "subscribe":
            self.subscribes.append(SubscribeRecord(connection.index, message, self._now_ms()))
        if kind not in ("subscribe", "unsubscribe") or channel not in CHANNELS or not isinstance(products, list):
            await self._error(connection, "Failure to subscribe")
            return
        if kind == "unsubscribe":
            remaining = [p for p in connection.subscriptions.get(channel, []) if p not in products]
            if remaining:
                connection.subscriptions[channel] = remaining
            else:
                connection.subscriptions.pop(channel, None)
        else:
            known = connection.subscriptions.setdefault(channel, [])
            known.extend(p for p in products if p not in known)
            await self._snapshots(connection, channel, products)
            if channel == "heartbeats" and connection.heartbeat is None:
                connection.heartbeat = asyncio.create_task(self._heartbeats(connection))
        listed = {
            name: (["heartbeats"] if name == "heartbeats" else list(ids))
            for name, ids in sorted(connection.subscriptions.items())
        }
        await self._send(connection, "subscriptions", [{"subscriptions": listed}])

    async def _snapshots(self, connection: _Connection, channel: str, products: list[str]) -> None:
        for product in products:
            if channel == "market_trades":
                trades = sorted(self.recent_trades.get(product, []), key=lambda r: r["time"], reverse=True)
                await self._send(connection, channel, [{"type": "snapshot", "trades": trades}])
            elif channel == "candles":
                candles = sorted(self.candle_history.get(product, []), key=lambda r: int(r["start"]))
                await self._send(connection, channel, [{"type": "snapshot", "candles": candles}])
            elif channel == "ticker" and product in self.tickers:
                await self._send(connection, channel, [{"type": "snapshot", "tickers": [self.tickers[product]]}])

    async def _heartbeats(self, connection: _Connection) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            connection.counter += 1
            now = datetime.fromtimestamp(self._now_ms() / 1000, UTC)
            current = now.strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC") + f" m=+{connection.counter}.0"
            await self._send(
                connection, "heartbeats", [{"current_time": current, "heartbeat_counter": connection.counter}]
            )

    async def _send(
        self, connection: _Connection, channel: str, events: list[Any], *, sequence_num: int | None = None
    ) -> None:
        if connection.silent:
            return
        async with connection.lock:
            if sequence_num is None:
                if self._skip:
                    connection.sequence += self._skip
                    self._skip = 0
                sequence_num = connection.sequence
                connection.sequence += 1
            envelope = {
                "channel": channel,
                "timestamp": rfc3339(self._now_ms(), digits=9),
                "sequence_num": sequence_num,
                "events": events,
            }
            with contextlib.suppress(ConnectionClosed):
                await connection.ws.send(json.dumps(envelope, separators=(",", ":")))

    async def _error(self, connection: _Connection, message: str) -> None:
        async with connection.lock:
            with contextlib.suppress(ConnectionClosed):
                await connection.ws.send(json.dumps({"type": "error", "message": message}))

    # -- REST --------------------------------------------------------------------------------------

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if self._refusing:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "unavailable\n")
            return None
        url = urlsplit(request.path)
        match = _CANDLES_PATH.match(url.path)
        if match is None:
            return _json(connection, HTTPStatus.NOT_FOUND, {"error": "NOT_FOUND", "message": "no such route"})
        product_id = match.group(1)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}

        def answer(status: HTTPStatus, body: dict, headers: dict[str, str] | None = None) -> Response:
            self.rest_requests.append(RestRequest(product_id, params, status.value))
            return _json(connection, status, body, headers)

        if self._rate_limited:
            self._rate_limited -= 1
            return answer(HTTPStatus.TOO_MANY_REQUESTS, {"error": "rate limited"}, {"Retry-After": self._retry_after})
        if self._failures:
            self._failures -= 1
            return answer(HTTPStatus(self._failure_status), {"error": "INTERNAL", "message": "try again"})
        if product_id not in self.minute_candles:
            return answer(HTTPStatus.NOT_FOUND, {"error": "NOT_FOUND", "message": "product not found"})
        start, end = params.get("start", ""), params.get("end", "")
        if params.get("granularity") != "ONE_MINUTE" or not start.isdigit() or not end.isdigit():
            return answer(HTTPStatus.BAD_REQUEST, {"error": "INVALID_ARGUMENT", "message": "bad parameters"})
        limit = int(params.get("limit", "350")) if params.get("limit", "350").isdigit() else 0
        first, last = int(start), int(end)
        if last < first or (last - first) // 60 + 1 > min(limit, self.max_candles):
            message = f"number of candles requested should be less than or equal to {min(limit, self.max_candles)}"
            return answer(HTTPStatus.BAD_REQUEST, {"error": "INVALID_ARGUMENT", "message": message})
        history = self.minute_candles[product_id]
        rows = [history[s] for s in sorted(history, reverse=True) if first <= s <= last][:limit]
        return answer(HTTPStatus.OK, {"candles": rows})


def _json(
    connection: ServerConnection, status: HTTPStatus, body: dict, headers: dict[str, str] | None = None
) -> Response:
    response = connection.respond(status, json.dumps(body))
    replaced = Headers([(k, v) for k, v in response.headers.raw_items() if k.lower() != "content-type"])
    replaced["Content-Type"] = "application/json"
    for name, value in (headers or {}).items():
        replaced[name] = value
    response.headers = replaced
    return response
