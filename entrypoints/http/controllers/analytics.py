"""Indicator queries over stored candles: the named ones, and any TA-Lib function by name."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery

from application.analytics import risk_queries
from application.analytics.indicators import IndicatorQuery, check_query, check_ranges, indicator_series
from application.analytics.risk_queries import PairQuery, SeriesQuery
from application.analytics.summary import SummaryQuery, latest_summary
from application.market.queries import parse_symbols
from application.ports.cache import Series
from domain.analytics.indicators import IndicatorInfo, catalog, describe
from domain.market.instruments import Instrument
from domain.market.intervals import check_interval
from domain.shared.errors import FieldError, InvalidInput
from entrypoints.http.services import Api

MAX_PERIOD = 1_000
# Query parameters of the generic endpoint that are not the function's own.
_RESERVED = {"interval", "limit", "exchange"}


class IndicatorsResponse(msgspec.Struct, frozen=True):
    indicators: list[IndicatorInfo]


def _symbol(coin: str, quote: str, field: str) -> str:
    """`BTC` (a coin, against the reference quote) or a whole `BTC-USDT`."""
    return Instrument.parse(coin if "-" in coin else f"{coin}-{quote}", field).symbol


class Window(msgspec.Struct, frozen=True):
    """Which candles a request reads (interval, exchange) and how many points it returns."""

    interval: str
    exchange: str
    limit: int


class SeriesWindow(Window, frozen=True):
    """A window on the candles of one symbol."""

    symbol: str

    @property
    def series(self) -> Series:
        return (self.exchange, self.symbol, self.interval)

    def risk_query(self, period: int = 30) -> SeriesQuery:
        return SeriesQuery(
            symbol=self.symbol, interval=self.interval, exchange=self.exchange, period=period, limit=self.limit
        )


# The query parameters every series endpoint shares, declared once: Litestar reads (and documents) the parameters
# of a dependency like a handler's own.
async def _window(
    api: NamedDependency[Api],
    interval: FromQuery[str] = "1m",
    limit: FromQuery[int] = 500,
    exchange: FromQuery[str | None] = None,
) -> Window:
    return Window(interval=interval, exchange=exchange or api.market.default_exchange, limit=limit)


async def _series_window(window: NamedDependency[Window], symbol: FromPath[str]) -> SeriesWindow:
    return SeriesWindow(window.interval, window.exchange, window.limit, Instrument.parse(symbol).symbol)


async def _cached(api: Api, kind: str, series: list[Series], key: str, compute: Any) -> Response[bytes]:
    return Response(await api.analytics.get_or_compute(kind, series, key, compute), media_type=MediaType.JSON)


async def _indicator(api: Api, on: SeriesWindow, name: str, params: dict[str, str]) -> Response[bytes]:
    """A TA-Lib function over the window, cached as kind `indicator`."""
    query = IndicatorQuery(
        symbol=on.symbol,
        interval=on.interval,
        exchange=on.exchange,
        name=name.upper(),
        parameters=params,
        limit=on.limit,
    )
    await check_query(query, api.market.catalog)
    key = f"{query.name}|{sorted(query.parameters.items())}|{query.limit}"
    compute = partial(indicator_series, query, api.market.catalog, api.market.candles)
    return await _cached(api, "indicator", [on.series], key, compute)


async def _risk(api: Api, compute: Any, query: SeriesQuery, key: str, also: str | None = None) -> Response[bytes]:
    """A risk figure of one series (and `also` the benchmark it depends on), cached as kind `risk`."""
    symbols = dict.fromkeys([query.symbol, *([also] if also else [])])
    series: list[Series] = [(query.exchange, symbol, query.interval) for symbol in symbols]
    return await _cached(api, "risk", series, key, partial(compute, query, api.market.catalog, api.market.candles))


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]
    dependencies = {"window": Provide(_window), "on": Provide(_series_window)}

    @get("/moving-average/{symbol:str}", summary="Simple, exponential or weighted moving average of closes")
    async def moving_average(
        self,
        api: NamedDependency[Api],
        on: NamedDependency[SeriesWindow],
        period: FromQuery[int] = 20,
        type: FromQuery[Literal["sma", "ema", "wma"]] = "sma",
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD))
        return await _indicator(api, on, type, {"timeperiod": str(period)})

    @get("/rsi/{symbol:str}", summary="Relative strength index (Wilder)")
    async def rsi(
        self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow], period: FromQuery[int] = 14
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD))
        return await _indicator(api, on, "RSI", {"timeperiod": str(period)})

    @get("/macd/{symbol:str}", summary="MACD line, signal and histogram")
    async def macd(
        self,
        api: NamedDependency[Api],
        on: NamedDependency[SeriesWindow],
        fast: FromQuery[int] = 12,
        slow: FromQuery[int] = 26,
        signal: FromQuery[int] = 9,
    ) -> Response[bytes]:
        check_ranges(("fast", fast, 2, MAX_PERIOD), ("slow", slow, 2, MAX_PERIOD), ("signal", signal, 1, MAX_PERIOD))
        if fast >= slow:  # TA-Lib would swap them silently
            raise InvalidInput([FieldError("fast", "must be below slow")])
        params = {"fastperiod": str(fast), "slowperiod": str(slow), "signalperiod": str(signal)}
        return await _indicator(api, on, "MACD", params)

    @get("/bollinger/{symbol:str}", summary="Bollinger bands: SMA middle, population standard deviations")
    async def bollinger(
        self,
        api: NamedDependency[Api],
        on: NamedDependency[SeriesWindow],
        period: FromQuery[int] = 20,
        stddev: FromQuery[float] = 2.0,
    ) -> Response[bytes]:
        check_ranges(("period", period, 2, MAX_PERIOD), ("stddev", stddev, 0.1, 10))
        params = {"timeperiod": str(period), "nbdevup": str(stddev), "nbdevdn": str(stddev)}
        return await _indicator(api, on, "BBANDS", params)

    @get("/atr/{symbol:str}", summary="Average true range (Wilder)")
    async def atr(
        self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow], period: FromQuery[int] = 14
    ) -> Response[bytes]:
        check_ranges(("period", period, 1, MAX_PERIOD))
        return await _indicator(api, on, "ATR", {"timeperiod": str(period)})

    @get("/vwap/{symbol:str}", summary="Volume-weighted average price, cumulative over the computed window")
    async def vwap(self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow]) -> Response[bytes]:
        return await _indicator(api, on, "VWAP", {})

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
        # Refusals before the cache, so they are not counted as misses.
        check_interval(query.interval)
        await api.market.catalog.require([query.symbol])
        compute = partial(latest_summary, query, api.market.catalog, api.market.candles)
        return await _cached(api, "summary", [(query.exchange, query.symbol, query.interval)], "summary", compute)

    @get("/volatility/{symbol:str}", summary="Annualised volatility: sample deviation of log returns over `period`")
    async def volatility(
        self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow], period: FromQuery[int] = 30
    ) -> Response[bytes]:
        return await _risk(api, risk_queries.volatility, on.risk_query(period), f"volatility|{period}|{on.limit}")

    @get("/drawdown/{symbol:str}", summary="Drawdown from the running high, and the maximum drawdown")
    async def drawdown(self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow]) -> Response[bytes]:
        return await _risk(api, risk_queries.drawdown, on.risk_query(), f"drawdown|{on.limit}")

    @get("/risk/{symbol:str}", summary="Sharpe and Sortino ratios, volatility, drawdown and beta against BTC")
    async def risk(self, api: NamedDependency[Api], on: NamedDependency[SeriesWindow]) -> Response[bytes]:
        benchmark = Instrument("BTC", Instrument.parse(on.symbol).quote).symbol
        return await _risk(api, risk_queries.risk_figures, on.risk_query(), f"risk|{on.limit}", also=benchmark)

    @get("/correlation", summary="Correlation of log returns: coin1 and coin2 over time, or a matrix of `symbols`")
    async def correlation(
        self,
        api: NamedDependency[Api],
        window: NamedDependency[Window],
        coin1: FromQuery[str | None] = None,
        coin2: FromQuery[str | None] = None,
        symbols: FromQuery[str | None] = None,
        period: FromQuery[int] = 90,
    ) -> Response[bytes]:
        source, interval = window.exchange, window.interval
        if symbols is not None:
            names = parse_symbols(symbols)
            series: list[Series] = [(source, name, interval) for name in names]
            matrix = partial(
                risk_queries.correlation_matrix, names, interval, source, period, api.market.catalog, api.market.candles
            )
            return await _cached(api, "correlation", series, f"matrix|{period}", matrix)
        if not coin1 or not coin2:
            raise InvalidInput(
                [FieldError("coin1", "name two coins (coin1, coin2) or a list of symbols (symbols=BTC-USDT,ETH-USDT)")]
            )
        quote = api.market.catalog.reference[0].quote
        first, second = (_symbol(coin, quote, field) for coin, field in ((coin1, "coin1"), (coin2, "coin2")))
        query = PairQuery(
            first=first, second=second, interval=interval, exchange=source, period=period, limit=window.limit
        )
        pair: list[Series] = [(source, first, interval), (source, second, interval)]
        compute = partial(risk_queries.pair_correlation, query, api.market.catalog, api.market.candles)
        return await _cached(api, "correlation", pair, f"pair|{period}|{window.limit}", compute)

    @get("/indicators", summary="Every TA-Lib function with its inputs, parameters and outputs")
    async def indicators(self) -> IndicatorsResponse:
        return IndicatorsResponse(list(catalog().values()))

    @get("/indicators/{name:str}/{symbol:str}", summary="Any TA-Lib function by name; its parameters as query")
    async def indicator(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[Api],
        on: NamedDependency[SeriesWindow],
        name: FromPath[str],
    ) -> Response[bytes]:
        describe(name)
        params = {key: value for key, value in request.query_params.items() if key not in _RESERVED}
        return await _indicator(api, on, name, params)
