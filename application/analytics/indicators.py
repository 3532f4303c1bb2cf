"""Indicator queries: a TA-Lib function over the newest candles of a series, as points with warm-up nulls."""

from __future__ import annotations

import math

import msgspec

from application.analytics.windows import newest_rows
from application.market.catalog import Catalog
from application.ports.market import CandleStore
from domain.analytics.indicators import IndicatorInfo, computable, compute, describe, lookback, parameters
from domain.analytics.series import bars_from_rows, rfc3339_times
from domain.market.intervals import check_interval
from domain.shared.errors import FieldError, InvalidInput

MAX_POINTS = 5_000
# Recursive indicators (EMA, RSI, ATR, MACD) remember every bar they saw: computing the points asked
# for from this many bars before them makes the result independent of where the loaded window starts
# (the influence of older bars has decayed below 1e-9 for periods up to a tenth of it).
HISTORY_BARS = 1_000


class IndicatorQuery(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    name: str
    parameters: dict[str, str] = {}
    limit: int = 500


class IndicatorResult(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    indicator: str
    parameters: dict[str, float | int]
    outputs: list[str]
    filled: int
    points: list[dict[str, str | float | None]]


async def check_query(query: IndicatorQuery, catalog: Catalog) -> None:
    """Every rejection a query can meet before its candles are read (callers run it before the cache,
    so that refused requests are not counted as cache misses)."""
    await _checked(query, catalog)


async def _checked(query: IndicatorQuery, catalog: Catalog) -> tuple[str, IndicatorInfo, dict[str, float | int], str]:
    interval = check_interval(query.interval)
    if not 1 <= query.limit <= MAX_POINTS:
        raise InvalidInput([FieldError("limit", f"must be between 1 and {MAX_POINTS}")])
    info = computable(describe(query.name))
    values = parameters(info, query.parameters)
    (instrument,) = await catalog.require([query.symbol])
    return interval, info, values, instrument.symbol


async def indicator_series(query: IndicatorQuery, catalog: Catalog, candles: CandleStore) -> IndicatorResult:
    interval, info, values, symbol = await _checked(query, catalog)
    # A window that does not depend on `limit`: path-dependent functions (VWAP, OBV, SAR...) start where
    # it starts, so asking for fewer points must not change the values of the points returned.
    needed = MAX_POINTS + max(lookback(info, values), 0) + HISTORY_BARS
    rows = await newest_rows(candles, query.exchange, symbol, interval, needed)
    series = bars_from_rows(rows, interval)
    outputs = compute(info, series, values)
    first = max(len(series) - query.limit, 0)
    names = ["value"] if len(outputs) == 1 else list(outputs)
    columns = list(outputs.values())
    times = rfc3339_times(series.times[first:])
    wanted = [[None if math.isnan(v) else v for v in column[first:].tolist()] for column in columns]
    points: list[dict[str, str | float | None]] = []
    for index, time in enumerate(times):
        point: dict[str, str | float | None] = {"time": time}
        for name, output in zip(names, wanted, strict=True):
            point[name] = output[index]
        points.append(point)
    return IndicatorResult(
        symbol=symbol,
        interval=interval,
        exchange=query.exchange,
        indicator=info.name,
        parameters=values,
        outputs=names,
        filled=series.filled,
        points=points,
    )


def check_ranges(*checks: tuple[str, float, float, float]) -> None:
    """(field, value, low, high) each: 422 naming every value outside its range."""
    problems = [
        FieldError(field, f"must be between {low:g} and {high:g}")
        for field, value, low, high in checks
        if not low <= value <= high
    ]
    if problems:
        raise InvalidInput(problems)
