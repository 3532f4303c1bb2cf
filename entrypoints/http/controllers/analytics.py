"""Indicator queries over stored candles: the named ones, and any TA-Lib function by name."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery

from application.analytics.indicators import IndicatorQuery, check_ranges, indicator_series
from application.analytics.summary import SummaryQuery, latest_summary
from domain.analytics.indicators import IndicatorInfo, catalog, describe
from domain.market.instruments import Instrument
from entrypoints.http.services import Api

MAX_PERIOD = 1_000
# Query parameters of the generic endpoint that are not the function's own.
_RESERVED = {"interval", "limit", "exchange"}


class IndicatorsResponse(msgspec.Struct, frozen=True):
    indicators: list[IndicatorInfo]


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]

    async def _series(
        self, api: Api, symbol: str, interval: str, exchange: str | None, limit: int, name: str, params: dict[str, str]
    ) -> Response[bytes]:
        query = IndicatorQuery(
            symbol=Instrument.parse(symbol).symbol,
            interval=interval,
            exchange=exchange or api.market.default_exchange,
            name=name.upper(),
            parameters=params,
            limit=limit,
        )
        key = f"{query.name}|{sorted(query.parameters.items())}|{query.limit}"
        body = await api.analytics.get_or_compute(
            "indicator",
            [(query.exchange, query.symbol, query.interval)],
            key,
            lambda: indicator_series(query, api.market.catalog, api.market.candles),
        )
        return Response(body, media_type=MediaType.JSON)

    @get("/moving-average/{symbol:str}", summary="Simple, exponential or weighted moving average of closes")
    async def moving_average(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        period: FromQuery[int] = 20,
        type: FromQuery[Literal["sma", "ema", "wma"]] = "sma",
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD))
        return await self._series(api, symbol, interval, exchange, limit, type.upper(), {"timeperiod": str(period)})

    @get("/rsi/{symbol:str}", summary="Relative strength index (Wilder)")
    async def rsi(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        period: FromQuery[int] = 14,
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD))
        return await self._series(api, symbol, interval, exchange, limit, "RSI", {"timeperiod": str(period)})

    @get("/macd/{symbol:str}", summary="MACD line, signal and histogram")
    async def macd(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        fast: FromQuery[int] = 12,
        slow: FromQuery[int] = 26,
        signal: FromQuery[int] = 9,
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        check_ranges(("fast", fast, 2, MAX_PERIOD), ("slow", slow, 2, MAX_PERIOD), ("signal", signal, 1, MAX_PERIOD))
        params = {"fastperiod": str(fast), "slowperiod": str(slow), "signalperiod": str(signal)}
        return await self._series(api, symbol, interval, exchange, limit, "MACD", params)

    @get("/bollinger/{symbol:str}", summary="Bollinger bands: SMA middle, population standard deviations")
    async def bollinger(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        period: FromQuery[int] = 20,
        stddev: FromQuery[float] = 2.0,
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD), ("stddev", stddev, 0.1, 10))
        params = {"timeperiod": str(period), "nbdevup": str(stddev), "nbdevdn": str(stddev)}
        return await self._series(api, symbol, interval, exchange, limit, "BBANDS", params)

    @get("/atr/{symbol:str}", summary="Average true range (Wilder)")
    async def atr(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        period: FromQuery[int] = 14,
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        check_ranges(("period", period, 1, MAX_PERIOD))
        return await self._series(api, symbol, interval, exchange, limit, "ATR", {"timeperiod": str(period)})

    @get("/vwap/{symbol:str}", summary="Volume-weighted average price, cumulative from the first point returned")
    async def vwap(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        return await self._series(api, symbol, interval, exchange, limit, "VWAP", {})

    @get("/summary/{symbol:str}", summary="The latest value of every tracked indicator")
    async def summary(
        self,
        api: NamedDependency[Api],
        symbol: FromPath[str],
        interval: FromQuery[str] = "1m",
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        query = SummaryQuery(
            symbol=Instrument.parse(symbol).symbol, interval=interval, exchange=exchange or api.market.default_exchange
        )
        body = await api.analytics.get_or_compute(
            "summary",
            [(query.exchange, query.symbol, query.interval)],
            "summary",
            lambda: latest_summary(query, api.market.catalog, api.market.candles),
        )
        return Response(body, media_type=MediaType.JSON)

    @get("/indicators", summary="Every TA-Lib function with its inputs, parameters and outputs")
    async def indicators(self) -> IndicatorsResponse:
        return IndicatorsResponse(list(catalog().values()))

    @get("/indicators/{name:str}/{symbol:str}", summary="Any TA-Lib function by name; its parameters as query")
    async def indicator(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
        name: FromPath[str],
        symbol: FromPath[str],
        interval: FromQuery[str] = "1m",
        limit: FromQuery[int] = 500,
        exchange: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        describe(name)
        params = {key: value for key, value in request.query_params.items() if key not in _RESERVED}
        return await self._series(api, symbol, interval, exchange, limit, name, params)
