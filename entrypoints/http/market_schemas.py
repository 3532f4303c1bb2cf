"""Request and response bodies of the market API. Prices and quantities are decimal strings."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.market.times import to_rfc3339
from domain.market.values import Candle, Price

ShortText = Annotated[str, msgspec.Meta(max_length=200)]


class CoinBody(msgspec.Struct, frozen=True):
    symbol: str
    name: str


class CoinsResponse(msgspec.Struct, frozen=True):
    coins: list[CoinBody]


class InstrumentBody(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    base: str
    quote: str
    base_name: str
    reference: bool
    exchange_symbols: dict[str, str]


class InstrumentsResponse(msgspec.Struct, frozen=True):
    instruments: list[InstrumentBody]


class ListInstrumentRequest(msgspec.Struct, forbid_unknown_fields=True):
    symbol: ShortText
    name: ShortText


class PriceBody(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    price: str | None
    time: str | None
    source: str | None

    @classmethod
    def of(cls, symbol: str, price: Price | None) -> PriceBody:
        if price is None:
            return cls(symbol=symbol, price=None, time=None, source=None)
        return cls(symbol=symbol, price=str(price.price), time=to_rfc3339(price.time), source=price.source)


class PricesResponse(msgspec.Struct, frozen=True):
    prices: list[PriceBody]


class CandleBody(msgspec.Struct, frozen=True, kw_only=True):
    open_time: str
    close_time: str
    open: str
    high: str
    low: str
    close: str
    volume: str
    trades: int
    final: bool

    @classmethod
    def of(cls, candle: Candle, interval_ms: int) -> CandleBody:
        return cls(
            open_time=to_rfc3339(candle.open_time),
            close_time=to_rfc3339(candle.open_time + interval_ms),
            open=str(candle.open),
            high=str(candle.high),
            low=str(candle.low),
            close=str(candle.close),
            volume=str(candle.volume),
            trades=candle.trades,
            final=candle.final,
        )


class CandlesResponse(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    exchange: str
    interval: str
    candles: list[CandleBody]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class ImportResponse(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    exchange: str
    interval: str
    imported: int
    rolled_up: int
    first_open_time: str | None
    last_open_time: str | None
