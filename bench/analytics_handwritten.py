"""The hand-written risk figures (domain/analytics/risk.py, drawdown.py) against straightforward pandas versions,
1,000,000 points.

Ours: the domain functions (numpy, and TA-Lib's rolling STDDEV and CORREL) on float64 arrays. Pandas: what one
writes with pandas for the same definitions
(`np.log(s / s.shift(1)).rolling(n).std()`, concat on time + `rolling(n).corr()`, `s / s.cummax() - 1`,
`mean() / std()`, `cov() / var()`), from the same arrays in the same run; wrapping the arrays in Series/DataFrames
is part of the pandas side, as callers hold arrays. Before timing, each pair is checked to give the same answer
(max relative difference beside the figure, absolute for correlations). Rate = input points per second; "bare" in
the figure lines is the pandas version.
Target (issue 4): ours at least 5 times the pandas rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from bench._common import best_of_interleaved, figure, note, peak_rss_mib, reset_peak_rss, say, timed_rate
from domain.analytics.risk import (
    Drawdown,
    RollingCorrelation,
    beta,
    correlation,
    correlation_matrix,
    log_returns,
    max_drawdown,
    periods_per_year,
    sharpe,
    sortino,
    volatility,
)

TARGET = 5.0
POINTS = 1_000_000
MINUTE = 60_000
START = 1_700_000_040_000
PER_YEAR = periods_per_year("1m")
VOLATILITY_PERIOD = 30
CORRELATION_PERIOD = 90
MATRIX_SYMBOLS = 5
MISSING = 1_000  # candles missing at random from each side of the correlation (0.1%)


def _walk(seed: int, count: int, start: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, 0.002, count)))


def _with_gaps(seed: int, times: np.ndarray, closes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    drop = np.random.default_rng(seed).choice(np.arange(1, len(times) - 1), MISSING, replace=False)
    return np.delete(times, drop), np.delete(closes, drop)


def _max_relative_difference(ours: object, theirs: object) -> float:
    a, b = np.atleast_1d(np.asarray(ours, dtype=float)), np.atleast_1d(np.asarray(theirs, dtype=float))
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return math.inf
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12), initial=0.0))


def _compare(
    name: str,
    points: int,
    ours: Callable[[], object],
    theirs: Callable[[], object],
    same: Callable[[object, object], float] = _max_relative_difference,
    extra: str = "",
    kind: str = "rel",
) -> tuple[float, float]:
    reset_peak_rss()
    difference = same(ours(), theirs())  # also the warm-up
    ours_rate, pandas_rate = best_of_interleaved(lambda: timed_rate(points, ours), lambda: timed_rate(points, theirs))
    detail = f"[max {kind} diff {difference:.1e}{extra}]"
    figure(f"analytics.{name}", ours_rate, pandas_rate, "pt/s", TARGET, f"peak_rss={peak_rss_mib():.0f} MiB", detail)
    return ours_rate, pandas_rate


# --- the straightforward pandas versions ------------------------------------------------------------------------


def pandas_log_returns(close: np.ndarray) -> pd.Series:
    series = pd.Series(close)
    return np.log(series / series.shift(1))


def pandas_volatility(close: np.ndarray) -> pd.Series:
    return pandas_log_returns(close).rolling(VOLATILITY_PERIOD).std() * math.sqrt(PER_YEAR)


def pandas_aligned_returns(series: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    frame = pd.concat({symbol: pd.Series(c, index=t) for symbol, (t, c) in series.items()}, axis=1, join="inner")
    returns = np.log(frame / frame.shift(1))
    return returns[frame.index.to_series().diff() == MINUTE]


def pandas_correlation(ta: np.ndarray, ca: np.ndarray, tb: np.ndarray, cb: np.ndarray) -> pd.Series:
    returns = pandas_aligned_returns({"a": (ta, ca), "b": (tb, cb)})
    return returns["a"].rolling(CORRELATION_PERIOD).corr(returns["b"])


def pandas_drawdown(close: np.ndarray) -> tuple[pd.Series, float, int, int]:
    series = pd.Series(close)
    drawdown = series / series.cummax() - 1
    trough = int(drawdown.idxmin())
    return drawdown, float(drawdown[trough]), int(series[: trough + 1].idxmax()), trough


def pandas_sharpe(returns: np.ndarray) -> float:
    series = pd.Series(returns)
    return float(series.mean() / series.std() * math.sqrt(PER_YEAR))


def pandas_sortino(returns: np.ndarray) -> float:
    series = pd.Series(returns)
    return float(series.mean() / math.sqrt((series.clip(upper=0.0) ** 2).mean()) * math.sqrt(PER_YEAR))


def pandas_beta(asset: np.ndarray, benchmark: np.ndarray) -> float:
    a, b = pd.Series(asset), pd.Series(benchmark)
    return float(a.cov(b) / b.var())


# --- figures ----------------------------------------------------------------------------------------------------


def _same_drawdown(ours: object, theirs: object) -> float:
    assert isinstance(ours, Drawdown)
    assert isinstance(theirs, tuple)
    expected_series, expected_maximum, expected_peak, expected_trough = theirs
    if (ours.peak, ours.trough) != (expected_peak, expected_trough):
        return math.inf
    return max(
        _max_relative_difference(ours.series, expected_series.to_numpy()),
        _max_relative_difference(ours.maximum, expected_maximum),
    )


def _same_correlation(ours: object, theirs: object) -> float:
    """Max ABSOLUTE difference: correlations lie in [-1, 1] and a relative one is meaningless near 0."""
    assert isinstance(ours, RollingCorrelation)
    assert isinstance(theirs, pd.Series)
    if ours.times.tolist() != theirs.index.tolist():
        return math.inf
    expected = theirs.to_numpy()
    if not np.array_equal(np.isnan(ours.values), np.isnan(expected)):
        return math.inf
    return float(np.nanmax(np.abs(ours.values - expected)))


def _best_log_seconds(closes: np.ndarray) -> float:
    """Seconds one np.log over the closes takes alone (best of 5): both sides pay it."""
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        np.log(closes)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    say("== analytics: hand-written risk figures vs straightforward pandas, 1,000,000 points ==")
    note(
        f"random walks on 1m candles; volatility period {VOLATILITY_PERIOD}, correlation period {CORRELATION_PERIOD} "
        f"with {MISSING} candles missing at random on each side; best of 5 interleaved rounds; rate = input points/s"
    )
    times = START + np.arange(POINTS, dtype=np.int64) * MINUTE
    closes = _walk(1, POINTS, 60_000.0)
    other = _walk(2, POINTS, 3_000.0)
    returns, other_returns = log_returns(closes), log_returns(other)

    log_seconds = _best_log_seconds(closes)
    ours_time = min(_timed(lambda: log_returns(closes)) for _ in range(5))
    pandas_time = min(_timed(lambda: pandas_log_returns(closes)) for _ in range(5))
    note(
        f"log_returns (a building block, no target): ours/pandas = {pandas_time / ours_time:.2f}; both sides are "
        f"one np.log per point, {log_seconds * 1e3:.1f} ms of our {ours_time * 1e3:.1f} ms"
    )

    ours_rate, pandas_rate = _compare(
        "volatility",
        POINTS,
        lambda: volatility(closes, VOLATILITY_PERIOD, PER_YEAR),
        lambda: pandas_volatility(closes).to_numpy(),
    )
    note(
        f"volatility: one np.log per close ({log_seconds * 1e3:.1f} ms), which pandas pays too, is "
        f"{log_seconds / (POINTS / ours_rate):.0%} of our {POINTS / ours_rate * 1e3:.1f} ms; most of the rest is "
        f"TA-Lib's rolling STDDEV (one pass in C, sqrt included); pandas takes {POINTS / pandas_rate * 1e3:.1f} ms"
    )

    ta, ca = _with_gaps(3, times, closes)
    tb, cb = _with_gaps(4, times, other)
    _compare(
        "correlation",
        POINTS,
        lambda: correlation(ta, ca, tb, cb, CORRELATION_PERIOD, interval_ms=MINUTE),
        lambda: pandas_correlation(ta, ca, tb, cb),
        _same_correlation,
        kind="abs",
    )

    # Common gaps only, so that the pandas all-symbol inner join equals our pairwise joins.
    shared_times, _ = _with_gaps(5, times, closes)
    universe = {
        f"C{index}-USDT": (shared_times, _walk(10 + index, len(shared_times), 100.0)) for index in range(MATRIX_SYMBOLS)
    }
    _compare(
        "correlation_matrix",
        len(shared_times) * MATRIX_SYMBOLS,
        lambda: correlation_matrix(universe, CORRELATION_PERIOD, interval_ms=MINUTE).values,
        lambda: pandas_aligned_returns(universe).tail(CORRELATION_PERIOD).corr().to_numpy(),
        extra=f", {MATRIX_SYMBOLS} symbols: ours reads only each pair's tail",
    )

    _compare("max_drawdown", POINTS, lambda: max_drawdown(closes), lambda: pandas_drawdown(closes), _same_drawdown)
    _compare("sharpe", POINTS, lambda: sharpe(returns, PER_YEAR), lambda: pandas_sharpe(returns))
    _compare("sortino", POINTS, lambda: sortino(returns, PER_YEAR), lambda: pandas_sortino(returns))
    _compare("beta", POINTS, lambda: beta(returns, other_returns), lambda: pandas_beta(returns, other_returns))


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
