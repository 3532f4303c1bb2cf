"""Queries of the market context and their handlers, which read the candle store, prices and catalog only."""

from __future__ import annotations

import msgspec

from application.market.catalog import Catalog
from application.ports.market import CandleQuery, CandleStore, PriceStore
from domain.market.instruments import Instrument
from domain.market.intervals import check_interval
from domain.market.values import Candle, Price
from domain.shared.errors import FieldError, InvalidInput

MAX_PAGE = 1000


class LatestPrices(msgspec.Struct, frozen=True):
    symbols: list[str]


class SymbolPrice(msgspec.Struct, frozen=True):
    symbol: str
    price: Price | None


async def latest_prices(query: LatestPrices, catalog: Catalog, prices: PriceStore) -> list[SymbolPrice]:
    if not query.symbols:
        raise InvalidInput.field("symbols", "name one or more instruments, comma-separated (BTC-USDT,ETH-USDT)")
    if len(query.symbols) > 100:
        raise InvalidInput.field("symbols", "at most 100 symbols at a time")
    instruments = await catalog.require(query.symbols)
    found = await prices.get([i.symbol for i in instruments])
    return [SymbolPrice(i.symbol, found.get(i.symbol)) for i in instruments]


class CandlePage(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    start: int | None = None
    end: int | None = None
    limit: int = 500
    cursor: int | None = None


class CandlePageResult(msgspec.Struct, frozen=True):
    candles: list[Candle]
    next_cursor: int | None


async def candle_page(query: CandlePage, catalog: Catalog, store: CandleStore) -> CandlePageResult:
    interval = check_interval(query.interval)
    problems = []
    if not 1 <= query.limit <= MAX_PAGE:
        problems.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
    if query.start is not None and query.end is not None and query.end <= query.start:
        problems.append(FieldError("end", "must be after start"))
    if problems:
        raise InvalidInput(problems)
    (instrument,) = await catalog.require([query.symbol])
    # One more than asked tells whether another page follows without a second query.
    candles = await store.page(
        CandleQuery(
            exchange=query.exchange,
            symbol=instrument.symbol,
            interval=interval,
            start=query.start,
            end=query.end,
            limit=query.limit + 1,
            after=query.cursor,
        )
    )
    more = len(candles) > query.limit
    candles = candles[: query.limit]
    return CandlePageResult(candles, candles[-1].open_time if more else None)


def parse_symbols(text: str) -> list[str]:
    return [Instrument.parse(part, "symbols").symbol for part in text.split(",") if part.strip()]
