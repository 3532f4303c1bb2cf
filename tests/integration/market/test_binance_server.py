"""The local Binance protocol server enforces the rules the feed is tested against."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from support.binance_server import BinanceServer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

T0 = 1_699_999_980_000


async def read_until_closed(ws: ClientConnection) -> None:
    while True:
        await ws.recv()


async def test_answers_subscribe_unsubscribe_and_list_subscriptions_with_their_ids() -> None:
    async with BinanceServer() as exchange, connect(f"{exchange.url}/stream") as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "btcusdt@ticker"], "id": 1}))
        await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdt@ticker"], "id": 2}))
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": "three"}))
        replies = [json.loads(await ws.recv()) for _ in range(3)]
    assert replies == [
        {"result": None, "id": 1},
        {"result": None, "id": 2},
        {"result": ["btcusdt@trade"], "id": "three"},
    ]


async def test_disconnects_a_client_that_sends_more_than_five_messages_in_a_second() -> None:
    async with BinanceServer() as exchange:
        async with connect(f"{exchange.url}/stream") as ws:
            for n in range(6):
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": n}))
            with pytest.raises(ConnectionClosed) as closed:
                await read_until_closed(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert exchange.kicks == ["too many messages"]


async def test_refuses_to_subscribe_one_connection_to_more_than_1024_streams() -> None:
    async with BinanceServer() as exchange, connect(f"{exchange.url}/stream") as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [f"c{n}usdt@trade" for n in range(1000)], "id": 1}))
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [f"d{n}usdt@trade" for n in range(25)], "id": 2}))
        first, refused = json.loads(await ws.recv()), json.loads(await ws.recv())
        assert first == {"result": None, "id": 1}
        assert refused["id"] == 2
        assert refused["code"] == 2
        assert [len(streams) for streams in exchange.streams()] == [1000]


async def test_disconnects_a_client_that_does_not_answer_pings() -> None:
    async with BinanceServer(ping_interval=0.05, ping_timeout=0.1) as exchange:
        reader, writer = await asyncio.open_connection("127.0.0.1", exchange.port)
        writer.write(
            b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        handshake = await reader.readuntil(b"\r\n\r\n")
        async with asyncio.timeout(5):
            unanswered = await reader.read()  # everything until the server hangs up
        writer.close()
        assert handshake.startswith(b"HTTP/1.1 101")
        assert unanswered[0] == 0x89  # a ping frame
        assert exchange.kicks == ["ping timeout"]


async def test_sends_raw_payloads_on_the_raw_stream_endpoint() -> None:
    async with BinanceServer() as exchange, connect(f"{exchange.url}/ws/btcusdt@trade") as ws:
        await exchange.wait_until(lambda: exchange.subscribed("btcusdt@trade"))
        await exchange.trade("BTCUSDT", "43000", "0.5", T0 + 1_000)
        frame = json.loads(await ws.recv())
    assert (frame["e"], frame["s"], frame["p"], frame["T"]) == ("trade", "BTCUSDT", "43000.00000000", T0 + 1_000)


async def test_serves_the_klines_it_knows_oldest_first_within_the_range_asked_for() -> None:
    async with BinanceServer() as exchange, httpx.AsyncClient(base_url=exchange.rest_url) as http:
        exchange.seed_klines("BTCUSDT", T0, 30)
        query = {"symbol": "BTCUSDT", "interval": "1m", "startTime": T0 + 60_000, "endTime": T0 + 600_000, "limit": 5}
        page = await http.get("/api/v3/klines", params=query)
        too_many = await http.get("/api/v3/klines", params=query | {"limit": 1001})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("application/json")
    assert [row[0] for row in page.json()] == [T0 + n * 60_000 for n in range(1, 6)]
    assert [len(row) for row in page.json()] == [12] * 5
    assert too_many.status_code == 400


async def test_rejects_kline_requests_with_retry_after_when_told_to() -> None:
    async with BinanceServer() as exchange, httpx.AsyncClient(base_url=exchange.rest_url) as http:
        exchange.reject_kline_requests(1, status=429, retry_after=3)
        query = {"symbol": "BTCUSDT", "interval": "1m"}
        limited, served = await http.get("/api/v3/klines", params=query), await http.get("/api/v3/klines", params=query)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert served.status_code == 200
