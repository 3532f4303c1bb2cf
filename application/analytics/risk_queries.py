"""Risk queries: volatility, correlation (a pair over time, or a matrix), drawdown, and Sharpe/Sortino/beta."""

from __future__ import annotations

import math

import msgspec
import numpy as np

from application.analytics.indicators import MAX_POINTS
from application.analytics.windows import newest_rows
from application.market.catalog import Catalog
from application.ports.market import CandleStore
from domain.analytics import risk
from domain.analytics.series import Bars, bars_from_rows, rfc3339_times
from domain.market.instruments import Instrument
from domain.market.intervals import INTERVAL_MS, check_interval
from domain.shared.errors import FieldError, InvalidInput


class SeriesQuery(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    period: int = 30
    limit: int = 500


class Points(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    indicator: str
    parameters: dict[str, float | int]
    points: list[dict[str, str | float | None]]


class DrawdownResult(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    max_drawdown: float | None
    peak_time: str | None
    trough_time: str | None
    points: list[dict[str, str | float | None]]


class RiskResult(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    benchmark: str
    returns: int
    sharpe: float | None
    sortino: float | None
    beta: float | None
    volatility: float | None
    max_drawdown: float | None


class CorrelationMatrixResult(msgspec.Struct, frozen=True, kw_only=True):
    symbols: list[str]
    interval: str
    exchange: str
    period: int
    matrix: list[list[float | None]]


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _check(limit: int, period: int | None = None) -> None:
    problems = []
    if not 1 <= limit <= MAX_POINTS:
        problems.append(FieldError("limit", f"must be between 1 and {MAX_POINTS}"))
    if period is not None and not 2 <= period <= 1_000:
        problems.append(FieldError("period", "must be between 2 and 1000"))
    if problems:
        raise InvalidInput(problems)


async def _bars(store: CandleStore, exchange: str, symbol: str, interval: str, buckets: int) -> Bars:
    return bars_from_rows(await newest_rows(store, exchange, symbol, interval, buckets), interval)


def _points(times: np.ndarray, values: np.ndarray, limit: int) -> list[dict[str, str | float | None]]:
    start = max(len(times) - limit, 0)
    return [
        {"time": time, "value": _plain(value)}
        for time, value in zip(rfc3339_times(times[start:]), values[start:].tolist(), strict=True)
    ]


async def volatility(query: SeriesQuery, catalog: Catalog, store: CandleStore) -> Points:
    interval = check_interval(query.interval)
    _check(query.limit, query.period)
    (instrument,) = await catalog.require([query.symbol])
    series = await _bars(store, query.exchange, instrument.symbol, interval, query.limit + query.period)
    values = risk.volatility(series.close, query.period, risk.periods_per_year(interval))
    return Points(
        symbol=instrument.symbol,
        interval=interval,
        exchange=query.exchange,
        indicator="volatility",
        parameters={"period": query.period, "periods_per_year": risk.periods_per_year(interval)},
        points=_points(series.times, values, query.limit),
    )


async def drawdown(query: SeriesQuery, catalog: Catalog, store: CandleStore) -> DrawdownResult:
    interval = check_interval(query.interval)
    _check(query.limit)
    (instrument,) = await catalog.require([query.symbol])
    series = await _bars(store, query.exchange, instrument.symbol, interval, query.limit)
    found = risk.max_drawdown(series.close)
    times = rfc3339_times(series.times)
    return DrawdownResult(
        symbol=instrument.symbol,
        interval=interval,
        exchange=query.exchange,
        max_drawdown=_plain(found.maximum),
        peak_time=None if found.peak is None else times[found.peak],
        trough_time=None if found.trough is None else times[found.trough],
        points=_points(series.times, found.series, query.limit),
    )


async def risk_figures(query: SeriesQuery, catalog: Catalog, store: CandleStore) -> RiskResult:
    """Sharpe, Sortino, volatility and drawdown over the last `limit` returns; beta against BTC (same quote)."""
    interval = check_interval(query.interval)
    _check(query.limit)
    (instrument,) = await catalog.require([query.symbol])
    benchmark = Instrument("BTC", instrument.quote).symbol
    series = await _bars(store, query.exchange, instrument.symbol, interval, query.limit + 1)
    returns = risk.log_returns(series.close)
    per_year = risk.periods_per_year(interval)
    beta: float | None = None
    if benchmark == instrument.symbol:
        beta = 1.0
    elif await store.last_open_time(query.exchange, benchmark, interval) is not None:
        reference = await _bars(store, query.exchange, benchmark, interval, query.limit + 1)
        aligned = risk.aligned_log_returns(
            series.times, series.close, reference.times, reference.close, interval_ms=INTERVAL_MS[interval]
        )
        beta = _plain(risk.beta(aligned.a, aligned.b))
    spread = float(np.std(returns, ddof=1)) * math.sqrt(per_year) if len(returns) > 1 else math.nan
    return RiskResult(
        symbol=instrument.symbol,
        interval=interval,
        exchange=query.exchange,
        benchmark=benchmark,
        returns=len(returns),
        sharpe=_plain(risk.sharpe(returns, per_year)),
        sortino=_plain(risk.sortino(returns, per_year)),
        beta=beta,
        volatility=_plain(spread),
        max_drawdown=_plain(risk.max_drawdown(series.close).maximum),
    )


class PairQuery(msgspec.Struct, frozen=True, kw_only=True):
    first: str
    second: str
    interval: str
    exchange: str
    period: int = 90
    limit: int = 500


async def pair_correlation(query: PairQuery, catalog: Catalog, store: CandleStore) -> Points:
    interval = check_interval(query.interval)
    _check(query.limit, query.period)
    a, b = await catalog.require([query.first, query.second])
    needed = query.limit + query.period
    series_a = await _rows(store, query.exchange, a.symbol, interval, needed)
    series_b = await _rows(store, query.exchange, b.symbol, interval, needed)
    rolling = risk.correlation(*series_a, *series_b, query.period, interval_ms=INTERVAL_MS[interval])
    return Points(
        symbol=f"{a.symbol}/{b.symbol}",
        interval=interval,
        exchange=query.exchange,
        indicator="correlation",
        parameters={"period": query.period},
        points=_points(rolling.times, rolling.values, query.limit),
    )


async def correlation_matrix(
    symbols: list[str], interval: str, exchange: str, period: int, catalog: Catalog, store: CandleStore
) -> CorrelationMatrixResult:
    interval = check_interval(interval)
    _check(1, period)
    if not 2 <= len(symbols) <= 20:
        raise InvalidInput([FieldError("symbols", "name 2 to 20 instruments")])
    instruments = await catalog.require(symbols)
    series = {i.symbol: await _rows(store, exchange, i.symbol, interval, period + 1) for i in instruments}
    matrix = risk.correlation_matrix(series, period, interval_ms=INTERVAL_MS[interval])
    return CorrelationMatrixResult(
        symbols=list(matrix.symbols),
        interval=interval,
        exchange=exchange,
        period=period,
        matrix=[[_plain(v) for v in row] for row in matrix.values.tolist()],
    )


async def _rows(
    store: CandleStore, exchange: str, symbol: str, interval: str, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Open times and closes of the real candles (no gap filling: correlation aligns by time itself)."""
    rows = await newest_rows(store, exchange, symbol, interval, buckets)
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[4] for r in rows], dtype=np.float64)
