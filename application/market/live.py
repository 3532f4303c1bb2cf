"""Live messages for `/ws/prices`: a price per trade-driven change, a candle per final candle."""

from __future__ import annotations

import msgspec

from application.market.times import to_rfc3339
from application.ports.market import LiveUpdate
from domain.market.values import Candle, Trade

_encoder = msgspec.json.Encoder(decimal_format="string")


class PriceMessage(msgspec.Struct, frozen=True, tag_field="type", tag="price"):
    symbol: str
    price: str
    time: str
    source: str


class CandleMessage(msgspec.Struct, frozen=True, tag_field="type", tag="candle"):
    symbol: str
    exchange: str
    interval: str
    open_time: str
    open: str
    high: str
    low: str
    close: str
    volume: str
    trades: int


def price_update(trade: Trade) -> LiveUpdate:
    message = PriceMessage(trade.symbol, str(trade.price), to_rfc3339(trade.time), trade.exchange)
    return LiveUpdate(kind="price", symbol=trade.symbol, payload=_encoder.encode(message))


def candle_update(candle: Candle) -> LiveUpdate:
    message = CandleMessage(
        candle.symbol,
        candle.exchange,
        candle.interval,
        to_rfc3339(candle.open_time),
        str(candle.open),
        str(candle.high),
        str(candle.low),
        str(candle.close),
        str(candle.volume),
        candle.trades,
    )
    return LiveUpdate(kind="candle", symbol=candle.symbol, payload=_encoder.encode(message))
