"""A local Binance spot market-data server that speaks the real protocol, for tests, e2e runs and benchmarks.

One port on 127.0.0.1 serves:
- WebSocket `/stream` (combined: frames wrapped as `{"stream","data"}`, optional `?streams=a/b`) and `/ws`
  (raw payloads, optional `/ws/<stream>`), with live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS answered
  `{"result":...,"id":N}` (errors as `{"code":N,"msg":...,"id":N}`);
- REST `GET /api/v3/klines` over the 1m klines the server knows (closed ones and the open one), with
  rejections (429 + `Retry-After`, 418, 500...) on demand.

Binance's rules are enforced: more than `max_messages_per_second` incoming messages (JSON, ping or pong
frames) in any one second, or more than 1024 streams, are refused; the server pings every
`ping_interval` seconds and drops a client that has not answered within `ping_timeout`; a connection is
cut after `connection_lifetime` seconds (the 24-hour cut).

The market is scripted: every `trade()` goes to the trade subscribers and into the server's klines
(whether anyone listens or not); when a trade opens a new minute the previous kline closes and its
closed kline frame goes to the kline subscribers. Times are whatever epoch milliseconds the script uses.

    async with BinanceServer(ping_interval=0.2) as exchange:
        feed = BinanceFeed(ws_url=exchange.url, rest_url=exchange.rest_url)
        await exchange.wait_until(lambda: exchange.subscribed("btcusdt@trade"))
        await exchange.trade("BTCUSDT", "43000.5", "0.01", time_ms=1_700_000_000_000)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

MINUTE_MS = 60_000
MAX_STREAMS = 1024
_INCOMING = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.PONG})


def _num(value: Decimal) -> str:
    return f"{value:.8f}"


@dataclass
class Kline:
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    quote_volume: Decimal = Decimal(0)
    trades: int = 0
    first_trade_id: int = -1
    last_trade_id: int = -1
    closed: bool = False

    @property
    def close_time(self) -> int:
        return self.open_time + MINUTE_MS - 1

    def row(self) -> list[Any]:
        """The 12-column REST row."""
        return [
            self.open_time,
            _num(self.open),
            _num(self.high),
            _num(self.low),
            _num(self.close),
            _num(self.volume),
            self.close_time,
            _num(self.quote_volume),
            self.trades,
            "0.00000000",
            "0.00000000",
            "0",
        ]

    def payload(self, symbol: str, event_time: int) -> dict[str, Any]:
        return {
            "e": "kline",
            "E": event_time,
            "s": symbol,
            "k": {
                "t": self.open_time,
                "T": self.close_time,
                "s": symbol,
                "i": "1m",
                "f": self.first_trade_id,
                "L": self.last_trade_id,
                "o": _num(self.open),
                "c": _num(self.close),
                "h": _num(self.high),
                "l": _num(self.low),
                "v": _num(self.volume),
                "n": self.trades,
                "x": self.closed,
                "q": _num(self.quote_volume),
                "V": "0.00000000",
                "Q": "0.00000000",
                "B": "0",
            },
        }


@dataclass
class _Market:
    """What the server knows of one symbol: its klines by open time and its trade ids."""

    klines: dict[int, Kline] = field(default_factory=dict)
    open_kline: Kline | None = None
    next_trade_id: int = 1
    last_price: Decimal | None = None
    last_trade_time: int = 0


@dataclass
class _Rejection:
    status: int
    retry_after: float | None


class _Client:
    def __init__(self, ws: ServerConnection, combined: bool, streams: set[str]) -> None:
        self.ws = ws
        self.combined = combined
        self.streams = streams
        self.stalled = False
        self.tasks: list[asyncio.Task[None]] = []


class _Connection(ServerConnection):
    """Sees every incoming frame, pings and pongs included, which the message-rate rule counts."""

    on_frame: Callable[[], None] | None = None

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.opcode in _INCOMING and self.on_frame is not None:
            self.on_frame()
        super().process_event(event)


class BinanceServer:
    def __init__(
        self,
        *,
        ping_interval: float | None = 20.0,
        ping_timeout: float = 60.0,
        connection_lifetime: float | None = None,
        max_messages_per_second: int = 5,
        open_kline_updates: bool = False,
        ticker_interval: float | None = None,
        symbols: Iterable[str] | None = None,
        port: int = 0,
    ) -> None:
        """`ticker_interval`: push `@ticker` frames of every traded symbol this often (Binance: 1 s).
        `symbols`: the only symbols REST knows (others are 400 Invalid symbol); by default, any.
        `port`: 0 for an ephemeral one (see `url`, `rest_url`, `port` once started)."""
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.connection_lifetime = connection_lifetime
        self.max_messages_per_second = max_messages_per_second
        self.open_kline_updates = open_kline_updates
        self.ticker_interval = ticker_interval
        self._listed = None if symbols is None else {s.upper() for s in symbols}
        # Flip to make new WebSocket connections fail (HTTP 503): an outage.
        self.refuse_connections = False
        # What happened, for assertions.
        self.connections = 0  # WebSocket connections accepted, ever
        self.pongs = 0  # pongs received in answer to the server's pings
        self.kicks: list[str] = []  # server-side disconnects, by reason
        self.control_messages: list[dict[str, Any]] = []  # every JSON message received, in order
        self.kline_requests: list[dict[str, str]] = []  # query of every /api/v3/klines request
        self._markets: dict[str, _Market] = {}
        self._clients: set[_Client] = set()
        self._rejections: deque[_Rejection] = deque()
        self._background: set[asyncio.Task[Any]] = set()
        self._server: Server | None = None
        self._port = port

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            self._port,
            process_request=self._route,
            ping_interval=None,  # the server's own ping loop below, with Binance's semantics
            compression=None,
            close_timeout=1.0,
            create_connection=_Connection,
        )
        self._port = next(iter(self._server.sockets)).getsockname()[1]
        if self.ticker_interval is not None:
            self._spawn(self._tick(self.ticker_interval))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        for client in list(self._clients):
            client.ws.transport.abort()
        self._server.close(close_connections=False)
        await self._server.wait_closed()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base WebSocket URL (the feed appends `/stream`)."""
        return f"ws://127.0.0.1:{self._port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # -- observing -------------------------------------------------------------------------------

    @property
    def clients(self) -> int:
        """Connections open now."""
        return len(self._clients)

    def subscribed(self, stream: str) -> bool:
        """Whether some open connection is subscribed to `stream` (e.g. `btcusdt@trade`)."""
        return any(stream in client.streams for client in self._clients)

    def streams(self) -> list[set[str]]:
        """The streams of every open connection."""
        return [set(client.streams) for client in self._clients]

    def klines(self, symbol: str) -> list[Kline]:
        """Every kline the server knows for `symbol` (e.g. `BTCUSDT`), oldest first, the open one included."""
        market = self._markets.get(symbol.upper())
        return [] if market is None else sorted(market.klines.values(), key=lambda k: k.open_time)

    async def wait_until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Poll `condition` until it holds; fail with TimeoutError after `within` seconds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {within}s")
            await asyncio.sleep(0.01)

    # -- scripting the market --------------------------------------------------------------------

    async def trade(
        self, symbol: str, price: str | Decimal, quantity: str | Decimal, time_ms: int, *, buyer_is_maker: bool = False
    ) -> int:
        """One trade: sent to `<symbol>@trade` subscribers and added to the klines. Returns its id."""
        symbol = symbol.upper()
        price, quantity = Decimal(price), Decimal(quantity)
        market = self._markets.setdefault(symbol, _Market())
        await self._close_klines(symbol, market, time_ms)
        trade_id = market.next_trade_id
        market.next_trade_id += 1
        market.last_price, market.last_trade_time = price, time_ms
        kline = market.open_kline
        if kline is None:
            open_time = time_ms - time_ms % MINUTE_MS
            kline = market.open_kline = market.klines[open_time] = Kline(open_time, price, price, price, price)
            kline.first_trade_id = trade_id
        kline.high, kline.low, kline.close = max(kline.high, price), min(kline.low, price), price
        kline.volume += quantity
        kline.quote_volume += price * quantity
        kline.trades += 1
        kline.last_trade_id = trade_id
        stream = f"{symbol.lower()}@trade"
        payload = {
            "e": "trade",
            "E": time_ms,
            "s": symbol,
            "t": trade_id,
            "p": _num(price),
            "q": _num(quantity),
            "T": time_ms,
            "m": buyer_is_maker,
            "M": True,
        }
        await self._publish(stream, payload)
        if self.open_kline_updates:
            await self._publish(f"{symbol.lower()}@kline_1m", kline.payload(symbol, time_ms))
        return trade_id

    async def close_minutes(self, now_ms: int) -> None:
        """Close every open kline whose minute ended by `now_ms`, as time passing without trades would."""
        for symbol, market in self._markets.items():
            await self._close_klines(symbol, market, now_ms)

    async def ticker(self, symbol: str, time_ms: int, *, bid: str = "0", ask: str = "0") -> None:
        """A 24hrTicker frame for `<symbol>@ticker` from the last trade and the last 24 h of klines."""
        symbol = symbol.upper()
        market = self._markets.get(symbol) or _Market()
        day = [k for k in market.klines.values() if k.open_time > time_ms - 1440 * MINUTE_MS]
        volume = sum((k.volume for k in day), Decimal(0))
        last = market.last_price or Decimal(0)
        payload = {
            "e": "24hrTicker",
            "E": time_ms,
            "s": symbol,
            "p": "0.00000000",
            "P": "0.000",
            "w": _num(last),
            "x": _num(last),
            "c": _num(last),
            "Q": "0.00000000",
            "b": _num(Decimal(bid)),
            "B": "1.00000000",
            "a": _num(Decimal(ask)),
            "A": "1.00000000",
            "o": _num(day[0].open if day else last),
            "h": _num(max((k.high for k in day), default=last)),
            "l": _num(min((k.low for k in day), default=last)),
            "v": _num(volume),
            "q": _num(sum((k.quote_volume for k in day), Decimal(0))),
            "O": time_ms - 1440 * MINUTE_MS,
            "C": time_ms,
            "F": 0,
            "L": market.next_trade_id - 1,
            "n": sum(k.trades for k in day),
        }
        await self._publish(f"{symbol.lower()}@ticker", payload)

    def seed_klines(self, symbol: str, start_ms: int, count: int, *, price: str = "100") -> None:
        """History: `count` closed klines from `start_ms` (one trade each), as if recorded before the test."""
        market = self._markets.setdefault(symbol.upper(), _Market())
        level = Decimal(price)
        for n in range(count):
            open_time = start_ms - start_ms % MINUTE_MS + n * MINUTE_MS
            close = level + Decimal(n % 7) / 100
            kline = Kline(open_time, level, max(level, close), min(level, close), close, Decimal("1.5"))
            kline.quote_volume, kline.trades, kline.closed = close * kline.volume, 1, True
            market.klines[open_time] = kline

    # -- faults on demand ------------------------------------------------------------------------

    async def send_raw(self, text: str) -> None:
        """Send `text` as is to every connection (malformed frames)."""
        for client in list(self._clients):
            await self._send(client, text)

    async def announce_shutdown(self, time_ms: int = 0) -> None:
        """The `serverShutdown` event Binance sends before a planned shutdown (the server stays up)."""
        payload = {"e": "serverShutdown", "E": time_ms}
        for client in list(self._clients):
            frame = {"stream": "!serverShutdown", "data": payload} if client.combined else payload
            await self._send(client, msgspec.json.encode(frame).decode())

    def drop_connections(self) -> None:
        """Abrupt drop of every connection (no close frame: the client sees 1006)."""
        for client in list(self._clients):
            self.kicks.append("dropped")
            client.ws.transport.abort()

    async def close_connections(self, code: int = 1001, reason: str = "") -> None:
        for client in list(self._clients):
            self.kicks.append(f"closed {code}")
            await client.ws.close(code, reason)

    def stall_connections(self) -> None:
        """The open connections stay up but receive nothing more (a silent, half-dead connection)."""
        for client in self._clients:
            client.stalled = True

    def reject_kline_requests(self, count: int, status: int = 429, retry_after: float | None = 1) -> None:
        """The next `count` kline requests fail with `status` (and `Retry-After` seconds, if given)."""
        self._rejections.extend(_Rejection(status, retry_after) for _ in range(count))

    # -- protocol --------------------------------------------------------------------------------

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path == "/api/v3/klines":
            return self._klines(connection, {k: v[-1] for k, v in parse_qs(url.query).items()})
        if url.path in ("/stream", "/ws") or url.path.startswith("/ws/"):
            if self.refuse_connections:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")
            return None
        return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")

    def _klines(self, connection: ServerConnection, query: dict[str, str]) -> Response:
        self.kline_requests.append(query)
        if self._rejections:
            rejection = self._rejections.popleft()
            response = _json(connection, rejection.status, {"code": -1003, "msg": "Too many requests."})
            if rejection.retry_after is not None:
                response.headers["Retry-After"] = f"{rejection.retry_after:g}"
            return response
        symbol = query.get("symbol", "")
        if not symbol or (self._listed is not None and symbol not in self._listed):
            return _json(connection, 400, {"code": -1121, "msg": "Invalid symbol."})
        market = self._markets.get(symbol) or _Market()
        if query.get("interval") != "1m":
            return _json(connection, 400, {"code": -1120, "msg": "Invalid interval."})
        try:
            start = int(query.get("startTime", 0))
            end = int(query.get("endTime", 2**62))
            limit = int(query.get("limit", 500))
        except ValueError:
            return _json(connection, 400, {"code": -1100, "msg": "Illegal characters found in a parameter."})
        if not 1 <= limit <= 1000:
            return _json(connection, 400, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."})
        rows = [k.row() for t, k in sorted(market.klines.items()) if start <= t <= end][:limit]
        return _json(connection, 200, rows)

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        assert isinstance(ws, _Connection)
        url = urlsplit(ws.request.path)
        combined = url.path == "/stream"
        named = parse_qs(url.query).get("streams", [""])[-1] if combined else url.path.removeprefix("/ws")
        streams = {s for s in named.strip("/").split("/") if s}
        if len(streams) > MAX_STREAMS:
            await ws.close(1008, f"at most {MAX_STREAMS} streams per connection")
            return
        client = _Client(ws, combined, streams)
        arrivals: deque[float] = deque()
        loop = asyncio.get_running_loop()

        def on_frame() -> None:
            now = loop.time()
            arrivals.append(now)
            while arrivals[0] <= now - 1.0:
                arrivals.popleft()
            if len(arrivals) > self.max_messages_per_second and ws.on_frame is not None:
                ws.on_frame = None
                self.kicks.append("too many messages")
                self._spawn(ws.close(1008, "Too many requests"))

        ws.on_frame = on_frame
        self.connections += 1
        self._clients.add(client)
        if self.ping_interval is not None:
            client.tasks.append(asyncio.create_task(self._keep_alive(client, self.ping_interval)))
        if self.connection_lifetime is not None:
            client.tasks.append(asyncio.create_task(self._cut(client, self.connection_lifetime)))
        try:
            async for message in ws:
                await self._control(client, message)
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)
            for task in client.tasks:
                task.cancel()

    async def _control(self, client: _Client, message: str | bytes) -> None:
        try:
            request = msgspec.json.decode(message)
        except msgspec.DecodeError:
            await self._send(client, '{"code":3,"msg":"Invalid JSON","id":null}')
            return
        if not isinstance(request, dict):
            await self._send(client, '{"code":2,"msg":"Invalid request","id":null}')
            return
        self.control_messages.append(request)
        method, params, request_id = request.get("method"), request.get("params", []), request.get("id")
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            reply: dict[str, Any] = {"code": 1, "msg": "Invalid value type: expected array of strings"}
        elif method == "SUBSCRIBE":
            wanted = client.streams | set(params)
            if len(wanted) > MAX_STREAMS:
                reply = {"code": 2, "msg": f"Invalid request: at most {MAX_STREAMS} streams per connection"}
            else:
                client.streams = wanted
                reply = {"result": None}
        elif method == "UNSUBSCRIBE":
            client.streams = client.streams - set(params)
            reply = {"result": None}
        elif method == "LIST_SUBSCRIPTIONS":
            reply = {"result": sorted(client.streams)}
        else:
            reply = {"code": 2, "msg": "Invalid request: unknown method"}
        reply["id"] = request_id
        await self._send(client, msgspec.json.encode(reply).decode())

    async def _keep_alive(self, client: _Client, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                pong = await client.ws.ping()
                async with asyncio.timeout(self.ping_timeout):
                    await pong
            except ConnectionClosed:
                return
            except TimeoutError:
                self.kicks.append("ping timeout")
                client.ws.transport.abort()
                return
            self.pongs += 1

    async def _cut(self, client: _Client, lifetime: float) -> None:
        await asyncio.sleep(lifetime)
        self.kicks.append("lifetime")
        with contextlib.suppress(ConnectionClosed):
            await client.ws.close(1001, "connection lifetime reached")

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            for symbol, market in list(self._markets.items()):
                if market.last_price is not None:
                    await self.ticker(symbol, market.last_trade_time)

    async def _close_klines(self, symbol: str, market: _Market, now_ms: int) -> None:
        kline = market.open_kline
        if kline is not None and kline.open_time + MINUTE_MS <= now_ms:
            kline.closed = True
            market.open_kline = None
            await self._publish(f"{symbol.lower()}@kline_1m", kline.payload(symbol, kline.close_time + 1))

    async def _publish(self, stream: str, payload: dict[str, Any]) -> None:
        wrapped = raw = None
        for client in list(self._clients):
            if stream not in client.streams:
                continue
            if client.combined:
                wrapped = wrapped or msgspec.json.encode({"stream": stream, "data": payload}).decode()
                await self._send(client, wrapped)
            else:
                raw = raw or msgspec.json.encode(payload).decode()
                await self._send(client, raw)

    async def _send(self, client: _Client, text: str) -> None:
        if client.stalled:
            return
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(text)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _json(connection: ServerConnection, status: int, body: Any) -> Response:
    response = connection.respond(status, msgspec.json.encode(body).decode())
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json;charset=UTF-8"
    return response
