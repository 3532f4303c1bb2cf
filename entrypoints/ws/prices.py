"""`/ws/prices`: subscribe to symbols, receive a price per trade-driven change and every final candle.

Client messages: `{"op": "subscribe" | "unsubscribe", "symbols": [...]}`, with `"channel": "indicators"` for the
summary of every tracked indicator each time a candle of the symbol closes (`{"type": "indicators", ...}`).
Server messages carry a `type`: `subscribed`, `unsubscribed`, `price`, `candle`, `indicators`, `heartbeat`,
`dropped` (how many messages a slow reader lost, sent before the next ones) and `error` (the request was
refused; nothing changed).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import WebSocketSendEvent

from application.market.live import PriceMessage
from application.market.services import MarketServices
from application.market.times import to_rfc3339
from domain.shared.errors import DomainError, InvalidInput
from entrypoints.ws.hub import LiveClient, LiveHub, channel_key

MAX_SYMBOLS = 200


class ClientRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    op: Literal["subscribe", "unsubscribe"]
    symbols: list[str]
    channel: Literal["prices", "indicators"] = "prices"


_decode_request = msgspec.json.Decoder(ClientRequest).decode
_encode = msgspec.json.Encoder(decimal_format="string").encode


def _message(kind: str, **fields: Any) -> str:
    return _encode({"type": kind, **fields}).decode()


class LiveFeed:
    """What the handler needs; one per API process."""

    def __init__(self, hub: LiveHub, market: MarketServices) -> None:
        self.hub = hub
        self.market = market


@websocket("/ws/prices", name="live-prices")
async def live_prices(socket: WebSocket[Any, Any, Any]) -> None:
    feed: LiveFeed = socket.app.state.live_feed
    await socket.accept()
    client = feed.hub.connect()
    writer = asyncio.create_task(_write(socket, client))
    try:
        await _read(socket, client, feed)
    finally:
        feed.hub.disconnect(client)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await writer


async def _read(socket: WebSocket[Any, Any, Any], client: LiveClient, feed: LiveFeed) -> None:
    while True:
        try:
            text = await socket.receive_text()
        except WebSocketDisconnect:
            return
        try:
            request = _decode_request(text)
            symbols = [i.symbol for i in await feed.market.catalog.require(request.symbols)] if request.symbols else []
            if not symbols:
                raise InvalidInput.field("symbols", "name one or more instruments such as BTC-USDT")
        except msgspec.ValidationError as error:
            await socket.send_text(_message("error", message=f"invalid request: {error}"))
            continue
        except msgspec.DecodeError:
            await socket.send_text(_message("error", message="requests are JSON objects"))
            continue
        except DomainError as error:
            await socket.send_text(_message("error", message=error.detail))
            continue
        channel = request.channel
        keys = [channel_key(channel, symbol) for symbol in symbols]
        # Acknowledgements of the price channel name no channel (it is the default, and was the only one).
        named = {} if channel == "prices" else {"channel": channel}
        if request.op == "subscribe":
            if len(client.symbols | set(keys)) > MAX_SYMBOLS:
                await socket.send_text(_message("error", message=f"at most {MAX_SYMBOLS} subscriptions per connection"))
                continue
            feed.hub.subscribe(client, keys)
            subscribed = sorted(key.partition(":")[2] for key in client.symbols if key.startswith(f"{channel}:"))
            await socket.send_text(_message("subscribed", **named, symbols=subscribed))
            if channel == "prices":
                # The current price at once, so a new subscriber need not wait for the next trade.
                for price in (await feed.market.prices.get(symbols)).values():
                    message = PriceMessage(price.symbol, str(price.price), to_rfc3339(price.time), price.source)
                    client.offer(msgspec.json.encode(message), channel_key("prices", price.symbol))
        else:
            feed.hub.unsubscribe(client, keys)
            await socket.send_text(_message("unsubscribed", **named, symbols=symbols))


async def _write(socket: WebSocket[Any, Any, Any], client: LiveClient) -> None:
    # Straight to the ASGI server: Litestar's send_text adds a layer per message we do not need here.
    send = socket.send
    while True:
        payloads = await client.take()
        dropped = client.take_dropped()
        if dropped:
            await socket.send_text(_message("dropped", count=dropped))
        for payload in payloads:
            event: WebSocketSendEvent = {"type": "websocket.send", "bytes": None, "text": payload.decode()}
            await send(event)
