"""The market topics and their wire format: one JSON record per trade, ticker or candle, keyed `exchange:symbol`.

Keying by `exchange:symbol` puts every record of one instrument on one partition, so a candle worker
sees that instrument's trades in the order the exchange sent them.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from application.ports.publisher import OutboundMessage
from domain.market.values import Candle, MarketEvent, Ticker, Trade

TRADES_TOPIC = "market.trades.v1"
TICKERS_TOPIC = "market.tickers.v1"
# Candles the exchange itself reported closed (klines, REST backfill): input to the candle worker.
KLINES_TOPIC = "market.klines.v1"
# Final candles built by the candle worker: what analytics and the live feed consume.
CANDLES_TOPIC = "market.candles.v1"
INPUT_TOPICS = (TRADES_TOPIC, TICKERS_TOPIC, KLINES_TOPIC)

_encoder = msgspec.json.Encoder(decimal_format="string")
_trade = msgspec.json.Decoder(Trade)
_ticker = msgspec.json.Decoder(Ticker)
_candle = msgspec.json.Decoder(Candle)


def key_of(exchange: str, symbol: str) -> bytes:
    return f"{exchange}:{symbol}".encode()


def topic_of(event: MarketEvent) -> str:
    if isinstance(event, Trade):
        return TRADES_TOPIC
    if isinstance(event, Ticker):
        return TICKERS_TOPIC
    return KLINES_TOPIC


def to_message(event: MarketEvent) -> OutboundMessage:
    return OutboundMessage(topic_of(event), key_of(event.exchange, event.symbol), _encoder.encode(event))


def final_candle_messages(candles: Sequence[Candle]) -> list[OutboundMessage]:
    return [OutboundMessage(CANDLES_TOPIC, key_of(c.exchange, c.symbol), _encoder.encode(c)) for c in candles]


def decode(topic: str, value: bytes) -> MarketEvent:
    """Raises msgspec.ValidationError/DecodeError for a record that is not in the topic's format."""
    if topic == TRADES_TOPIC:
        return _trade.decode(value)
    if topic == TICKERS_TOPIC:
        return _ticker.decode(value)
    if topic in (KLINES_TOPIC, CANDLES_TOPIC):
        return _candle.decode(value)
    raise msgspec.ValidationError(f"no market records on topic {topic!r}")
