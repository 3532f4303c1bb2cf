"""Market queries (coins, instruments, latest prices, candles) and the admin commands (listing, import)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from application.market.candle_csv import parse_candle_csv
from application.market.commands import ListInstrument
from application.market.handlers import Listed
from application.market.importing import import_candles
from application.market.queries import CandlePage, LatestPrices, candle_page, latest_prices, parse_symbols
from application.market.times import from_datetime, to_rfc3339
from domain.market.instruments import Instrument, exchange_symbols
from domain.market.intervals import INTERVAL_MS, check_interval
from domain.shared.errors import FieldError, Forbidden, InvalidInput
from entrypoints.http.auth import current_user
from entrypoints.http.controllers.auth import READ_YOUR_WRITES_SECONDS
from entrypoints.http.market_schemas import (
    CandleBody,
    CandlesResponse,
    CoinBody,
    CoinsResponse,
    ImportResponse,
    InstrumentBody,
    InstrumentsResponse,
    ListInstrumentRequest,
    PriceBody,
    PricesResponse,
)
from entrypoints.http.services import Api

MAX_IMPORT_BYTES = 256 * 1024 * 1024


async def _require_admin(request: Request[Any, Any, Any], api: Api) -> Any:
    caller = await current_user(request, api)
    if caller.role != "admin":
        raise Forbidden("Only an admin can do this.")
    return caller


class MarketController(Controller):
    path = "/api/v1/market"
    tags = ["market"]

    @get("/coins", summary="The coins the platform knows")
    async def coins(self, api: NamedDependency[Api]) -> CoinsResponse:
        return CoinsResponse([CoinBody(c.symbol, c.name) for c in await api.market.catalog.coins()])

    @get("/instruments", summary="The instruments the feeds follow, with each exchange's name for them")
    async def instruments(self, api: NamedDependency[Api]) -> InstrumentsResponse:
        return InstrumentsResponse(
            [
                InstrumentBody(
                    symbol=i.symbol,
                    base=i.base,
                    quote=i.quote,
                    base_name=i.base_name,
                    reference=i.reference,
                    exchange_symbols=exchange_symbols(Instrument(i.base, i.quote)),
                )
                for i in await api.market.catalog.instruments()
            ]
        )

    @post("/instruments", summary="List an instrument for the feeds to follow (admin)", status_code=201)
    async def list_instrument(
        self, data: JSONBody[ListInstrumentRequest], request: Request[Any, Any, Any], api: NamedDependency[Api]
    ) -> InstrumentBody:
        admin = await _require_admin(request, api)
        listed: Listed = await api.commands.handle(
            ListInstrument(symbol=data.symbol, name=data.name, admin_id=admin.id)
        )
        await api.projections.wait_for(listed.notification_id, READ_YOUR_WRITES_SECONDS, names=["instruments"])
        instrument = Instrument.parse(listed.symbol)
        return InstrumentBody(
            symbol=instrument.symbol,
            base=instrument.base,
            quote=instrument.quote,
            base_name=data.name.strip(),
            reference=False,
            exchange_symbols=exchange_symbols(instrument),
        )

    @get("/prices", summary="Latest price, time and source per symbol")
    async def prices(
        self, api: NamedDependency[Api], symbols: Annotated[str, Parameter(description="BTC-USDT,ETH-USDT")]
    ) -> PricesResponse:
        found = await latest_prices(LatestPrices(parse_symbols(symbols)), api.market.catalog, api.market.prices)
        return PricesResponse([PriceBody.of(p.symbol, p.price) for p in found])

    @get("/candles/{symbol:str}", summary="Candles of a symbol, oldest first, at most 1000 a page")
    async def candles(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        interval: FromQuery[str] = "1m",
        start: FromQuery[datetime | None] = None,
        end: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 500,
        cursor: FromQuery[str | None] = None,
        exchange: FromQuery[str | None] = None,
    ) -> CandlesResponse:
        after = None
        if cursor is not None:
            if not cursor.isdigit():
                raise InvalidInput([FieldError("cursor", "use the next_cursor of the previous page")])
            after = int(cursor)
        source = exchange or api.market.default_exchange
        page = await candle_page(
            CandlePage(
                symbol=symbol,
                interval=interval,
                exchange=source,
                start=from_datetime(start) if start else None,
                end=from_datetime(end) if end else None,
                limit=limit,
                cursor=after,
            ),
            api.market.catalog,
            api.market.candles,
        )
        size = INTERVAL_MS[interval]
        return CandlesResponse(
            symbol=Instrument.parse(symbol).symbol,
            exchange=source,
            interval=interval,
            candles=[CandleBody.of(c, size) for c in page.candles],
            next_cursor=None if page.next_cursor is None else str(page.next_cursor),
        )

    @post(
        "/candles/import",
        summary="Import historical candles from a CSV upload (admin)",
        status_code=201,
        request_max_body_size=MAX_IMPORT_BYTES,
    )
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
        symbol: FromQuery[str],
        interval: FromQuery[str] = "1m",
        exchange: FromQuery[str | None] = None,
    ) -> ImportResponse:
        await _require_admin(request, api)
        check_interval(interval)
        (instrument,) = await api.market.catalog.require([symbol])
        source = exchange or api.market.default_exchange
        text = await _uploaded_text(request)
        # Off the event loop: a large file takes seconds to parse and validate.
        candles = await asyncio.to_thread(
            parse_candle_csv, text.splitlines(), exchange=source, symbol=instrument.symbol, interval=interval
        )
        result = await import_candles(
            candles,
            store=api.market.candles,
            publisher=api.market.publisher,
            exchange=source,
            symbol=instrument.symbol,
            interval=interval,
            now_ms=api.market.now_ms,
        )
        return ImportResponse(
            symbol=result.symbol,
            exchange=result.exchange,
            interval=result.interval,
            imported=result.imported,
            rolled_up=result.rolled_up,
            first_open_time=None if result.first_open_time is None else to_rfc3339(result.first_open_time),
            last_open_time=None if result.last_open_time is None else to_rfc3339(result.last_open_time),
        )


async def _uploaded_text(request: Request[Any, Any, Any]) -> str:
    """The CSV as the raw body (text/csv) or as the `file` field of a multipart form."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput([FieldError("file", "attach the CSV as the form field `file`")])
        raw = await upload.read()
    else:
        raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([FieldError("file", "the CSV must be UTF-8 text")]) from None
