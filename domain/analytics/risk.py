"""Risk and return figures TA-Lib lacks: log returns, annualised volatility, correlation of time-aligned candles,
drawdown, Sharpe, Sortino and beta. Pure numpy on float64 arrays, vectorised (no Python loop over points).

Conventions shared by every function here:
- Inputs: closes are positive and finite; times are candle open times in epoch milliseconds, strictly increasing.
- Returns are log returns r_t = ln(c_t / c_{t-1}), computed as ln(c_t) - ln(c_{t-1}) (one logarithm per price;
  absolute error about 1e-16 * |ln c|, far below a price tick).
- Standard deviations are sample ones (ddof=1). Annualising multiplies by sqrt(periods per year) of crypto's
  24/7, 365-day year (see `periods_per_year`).
- Not enough data gives NaN (like a warm-up slot, `null` in a response). A zero denominator, i.e. a series with no
  variation, gives 0.0, as TA-Lib does (CORREL, STDDEV, RSI). Where a variance is a denominator (correlation, Sharpe,
  beta) a variance at or below `FLAT` (1e-12) times the mean square of the values is rounding noise and counts as
  zero, so bitwise-constant windows cannot yield noise/noise ratios. Flat or short input never raises.
- A `period` below 2 raises `InvalidInput` (HTTP 422); arrays of mismatched lengths or unsorted times raise
  `ValueError` (a caller bug).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from domain.market.intervals import INTERVAL_MS, check_interval
from domain.shared.errors import InvalidInput

FloatArray = NDArray[np.float64]
TimeArray = NDArray[np.int64]

YEAR_MS = 365 * 24 * 60 * 60 * 1000
FLAT = 1e-12


class RollingCorrelation(NamedTuple):
    """One point per valid aligned return: `times[i]` is the open time of the candle that return ends at."""

    times: TimeArray
    values: FloatArray


class AlignedReturns(NamedTuple):
    """Log returns of two symbols between consecutive shared candles exactly one interval apart."""

    times: TimeArray
    a: FloatArray
    b: FloatArray


class CorrelationMatrix(NamedTuple):
    """`values[i, j]` is the correlation of `symbols[i]` and `symbols[j]` (symmetric, 1.0 on the diagonal)."""

    symbols: tuple[str, ...]
    values: FloatArray


class Drawdown(NamedTuple):
    """`series[t]` = close[t] / max(close[:t+1]) - 1 (<= 0); `maximum` is its minimum, e.g. -0.25 for a 25% fall,
    from the high at index `peak` to the low at index `trough` (None for an empty series)."""

    series: FloatArray
    maximum: float
    peak: int | None
    trough: int | None


def periods_per_year(interval: str) -> int:
    """Candles of `interval` in a 365-day, 24/7 year: 1m 525600, 5m 105120, 15m 35040, 1h 8760, 4h 2190, 1d 365."""
    return YEAR_MS // INTERVAL_MS[check_interval(interval)]


def log_returns(close: ArrayLike) -> FloatArray:
    """r[i] = ln(close[i+1] / close[i]): length n-1 (empty when n < 2); r[i] is the return into close[i+1]."""
    logs = np.log(_floats(close))
    return logs[1:] - logs[:-1]


def volatility(close: ArrayLike, period: int, periods_per_year: float) -> FloatArray:
    """Annualised volatility aligned to `close`: out[t] = std(r over the `period` returns ending at close[t], ddof=1)
    * sqrt(periods_per_year). out[:period] is NaN (warm-up; all NaN when len(close) <= period). 0.0 on a flat window.
    """
    _check_period(period)
    closes = _floats(close)
    count = len(closes)
    out = np.empty(count)
    out[: min(period, count)] = np.nan
    if count <= period:
        return out
    logs = np.log(closes)
    squares = logs[1:] - logs[:-1]
    np.square(squares, out=squares)
    sum_squares = _window_sums(squares, period)
    variance = out[period:]
    # Sum of the window's returns telescopes to ln(c_t) - ln(c_{t-period}).
    np.subtract(logs[period:], logs[:-period], out=variance)
    np.square(variance, out=variance)
    variance *= -1.0 / period
    variance += sum_squares
    variance *= periods_per_year / (period - 1)
    np.maximum(variance, 0.0, out=variance)  # rounding can leave -1e-20 on a flat window
    np.sqrt(variance, out=variance)
    return out


def aligned_log_returns(
    times_a: ArrayLike,
    close_a: ArrayLike,
    times_b: ArrayLike,
    close_b: ArrayLike,
    *,
    interval_ms: int | None = None,
) -> AlignedReturns:
    """Log returns of a and b on their shared candles (inner join on open time).

    A return is taken only between consecutive shared candles exactly `interval_ms` apart: a gap (a candle missing on
    either side) drops the one return that would span it, nothing else, so no NaN enters the result. When
    `interval_ms` is None it is the smallest spacing between consecutive candles of either series; pass it when known.
    """
    ta, ca = _series(times_a, close_a)
    tb, cb = _series(times_b, close_b)
    step = _step(ta, tb, interval_ms)
    empty = AlignedReturns(np.empty(0, np.int64), np.empty(0), np.empty(0))
    if step is None or len(ta) == 0 or len(tb) == 0:
        return empty
    if len(ta) == len(tb) and np.array_equal(ta, tb):
        times, xa, xb = ta, ca, cb
    else:
        position = np.minimum(np.searchsorted(tb, ta), len(tb) - 1)
        shared = np.flatnonzero(tb[position] == ta)
        times, xa, xb = ta[shared], ca[shared], cb[position[shared]]
    if len(times) < 2:
        return empty
    la, lb = np.log(xa), np.log(xb)
    ra, rb, ends = la[1:] - la[:-1], lb[1:] - lb[:-1], times[1:]
    adjacent = (times[1:] - times[:-1]) == step
    if not adjacent.all():
        ra, rb, ends = ra[adjacent], rb[adjacent], ends[adjacent]
    return AlignedReturns(ends, ra, rb)


def correlation(
    times_a: ArrayLike,
    close_a: ArrayLike,
    times_b: ArrayLike,
    close_b: ArrayLike,
    period: int,
    *,
    interval_ms: int | None = None,
) -> RollingCorrelation:
    """Rolling Pearson correlation of the log returns of a and b (see `aligned_log_returns` for alignment and gaps).

    values[i] covers the `period` valid returns ending at times[i] (a window may straddle a gap: it holds `period`
    one-interval returns, never one spanning the gap). values[:period-1] is NaN (all NaN with fewer than `period`
    returns); 0.0 when either side is flat over the window; clipped to [-1, 1].
    """
    _check_period(period)
    aligned = aligned_log_returns(times_a, close_a, times_b, close_b, interval_ms=interval_ms)
    count = len(aligned.times)
    values = np.empty(count)
    values[: min(period - 1, count)] = np.nan
    if count >= period:
        values[period - 1 :] = _rolling_pearson(aligned.a, aligned.b, period)
    return RollingCorrelation(aligned.times, values)


def correlation_matrix(
    series: Mapping[str, tuple[ArrayLike, ArrayLike]],
    period: int,
    *,
    interval_ms: int | None = None,
) -> CorrelationMatrix:
    """NxN correlations over the last `period` aligned returns of each pair, symbols in the mapping's order.

    `series` maps a symbol to (open times, closes). Each pair is aligned on its own (pairwise inner join), so an entry
    equals the last value of `correlation` for that pair; NaN when a pair has fewer than `period` returns. The
    diagonal is 1.0 by definition. Only the tail each pair needs is read, so the cost does not grow with history.
    """
    _check_period(period)
    symbols = tuple(series)
    prepared = [_series(*series[symbol]) for symbol in symbols]
    values = np.eye(len(symbols))
    for i in range(len(symbols)):
        for j in range(i + 1, len(symbols)):
            values[i, j] = values[j, i] = _last_correlation(*prepared[i], *prepared[j], period, interval_ms)
    return CorrelationMatrix(symbols, values)


def max_drawdown(close: ArrayLike) -> Drawdown:
    """Drawdown series close / running max - 1, its minimum and where it happened.

    `trough` is the first index of the deepest drawdown, `peak` the last index at or before it where the close was
    at its running high. A series that never falls gives 0.0 with peak = trough = 0; an empty one NaN and None.
    """
    closes = _floats(close)
    if len(closes) == 0:
        return Drawdown(np.empty(0), float("nan"), None, None)
    if closes.min() > 0.0:
        # Positive IEEE-754 doubles order exactly like their bit patterns read as int64, and numpy's integer
        # running maximum is several times faster than its float one.
        highs = np.maximum.accumulate(closes.view(np.int64)).view(np.float64)
    else:
        highs = np.maximum.accumulate(closes)
    series = np.divide(closes, highs)
    series -= 1.0
    trough = int(np.argmin(series))
    if np.isnan(series[trough]):  # a NaN close breaks the precondition: no figure rather than a wrong one
        return Drawdown(series, float("nan"), None, None)
    peak = int(np.flatnonzero(closes[: trough + 1] == highs[trough])[-1])
    return Drawdown(series, float(series[trough]), peak, trough)


def sharpe(returns: ArrayLike, periods_per_year: float, risk_free: float = 0.0) -> float:
    """(mean(r) - risk_free / periods_per_year) / std(r, ddof=1) * sqrt(periods_per_year).

    `risk_free` is an annual, continuously compounded rate (log returns add up). NaN with fewer than 2 returns;
    0.0 when the returns do not vary.
    """
    values = _floats(returns)
    count = len(values)
    if count < 2:
        return float("nan")
    mean = float(np.add.reduce(values)) / count
    deviations = values - mean
    squares = float(np.dot(deviations, deviations))
    if squares <= FLAT * (squares + count * mean * mean):
        return 0.0
    excess = mean - risk_free / periods_per_year
    return float(excess / np.sqrt(squares / (count - 1)) * np.sqrt(periods_per_year))


def sortino(returns: ArrayLike, periods_per_year: float, risk_free: float = 0.0) -> float:
    """(mean(r) - risk_free / periods_per_year) / downside deviation * sqrt(periods_per_year).

    Downside deviation, target 0: sqrt(sum(min(r, 0)^2) / n) with n = ALL returns (the "full" convention of Sortino
    and Price, PerformanceAnalytics' default), not only the negative ones and not n-1. `risk_free` as in `sharpe`.
    NaN with fewer than 2 returns; 0.0 when no return is below 0.
    """
    values = _floats(returns)
    count = len(values)
    if count < 2:
        return float("nan")
    downside = np.minimum(values, 0.0)
    squares = float(np.dot(downside, downside))
    if squares == 0.0:
        return 0.0
    excess = float(np.add.reduce(values)) / count - risk_free / periods_per_year
    return float(excess / np.sqrt(squares / count) * np.sqrt(periods_per_year))


def beta(asset_returns: ArrayLike, benchmark_returns: ArrayLike) -> float:
    """cov(asset, benchmark) / var(benchmark) on returns aligned index by index (same length; `aligned_log_returns`
    aligns two candle series). Beta against BTC: pass BTC's returns as the benchmark. NaN with fewer than 2 returns;
    0.0 when the benchmark does not vary.
    """
    asset, benchmark = _floats(asset_returns), _floats(benchmark_returns)
    if len(asset) != len(benchmark):
        raise ValueError(f"returns of different lengths: {len(asset)} and {len(benchmark)}")
    count = len(asset)
    if count < 2:
        return float("nan")
    benchmark_mean = float(np.add.reduce(benchmark)) / count
    centred = benchmark - benchmark_mean
    variance = float(np.dot(centred, centred))
    if variance <= FLAT * (variance + count * benchmark_mean * benchmark_mean):
        return 0.0
    # sum((a - mean_a) * (b - mean_b)) == sum(a * (b - mean_b)) because sum(b - mean_b) == 0.
    return float(np.dot(asset, centred)) / variance


# --- helpers ---------------------------------------------------------------------------------------------------


def _check_period(period: int) -> None:
    if period < 2:
        raise InvalidInput.field("period", "must be at least 2")


def _floats(values: ArrayLike) -> FloatArray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {array.shape}")
    return array


def _series(times: ArrayLike, close: ArrayLike) -> tuple[TimeArray, FloatArray]:
    stamps = np.ascontiguousarray(times, dtype=np.int64)
    closes = _floats(close)
    if stamps.shape != closes.shape:
        raise ValueError(f"{len(stamps)} times for {len(closes)} closes")
    if len(stamps) > 1 and not (stamps[1:] > stamps[:-1]).all():
        raise ValueError("times must be strictly increasing")
    return stamps, closes


def _step(ta: TimeArray, tb: TimeArray, interval_ms: int | None) -> int | None:
    """The candle interval: given, or the smallest spacing seen in either series (None: no pair to infer from)."""
    if interval_ms is not None:
        if interval_ms <= 0:
            raise ValueError("interval_ms must be positive")
        return interval_ms
    spacings = [int((times[1:] - times[:-1]).min()) for times in (ta, tb) if len(times) > 1]
    return min(spacings) if spacings else None


def _window_sums(values: FloatArray, width: int) -> FloatArray:
    """sums[k] = values[k] + ... + values[k+width-1], k = 0..len-width, by doubling: O(n log width), and each sum
    only ever holds values of its own window (exact zeros on windows of zeros, no error growing along the series
    as with differences of a running cumsum)."""
    count = len(values) - width + 1
    buffers = (np.empty(len(values)), np.empty(len(values)))
    block, size, offset, remaining, turn = values, 1, 0, width, 0
    sums: FloatArray | None = None
    while True:  # over the bits of `width`: block[i] = values[i] + ... + values[i+size-1]
        if remaining & 1:
            part = block[offset : offset + count]
            if sums is None:
                sums = part.copy()
            else:
                sums += part
            offset += size
        remaining >>= 1
        if not remaining:
            assert sums is not None
            return sums
        doubled = buffers[turn][: len(block) - size]
        np.add(block[:-size], block[size:], out=doubled)
        block, size, turn = doubled, size * 2, 1 - turn


def _rolling_pearson(x: FloatArray, y: FloatArray, period: int) -> FloatArray:
    """Pearson correlation of each full window of `period` (len(x) - period + 1 values)."""
    sx, sy = _window_sums(x, period), _window_sums(y, period)
    sxx, syy, sxy = _window_sums(x * x, period), _window_sums(y * y, period), _window_sums(x * y, period)
    # Centred sums: sxx - sx^2/p, syy - sy^2/p, sxy - sx*sy/p.
    sxy -= sx * sy / period
    noise_x, noise_y = sxx * FLAT, syy * FLAT
    sxx -= sx * sx / period
    syy -= sy * sy / period
    varied = (sxx > noise_x) & (syy > noise_y)
    sxx *= syy
    np.sqrt(sxx, out=sxx, where=varied)
    np.divide(sxy, sxx, out=sxy, where=varied)
    sxy[~varied] = 0.0
    return np.clip(sxy, -1.0, 1.0, out=sxy)


def _pearson(x: FloatArray, y: FloatArray) -> float:
    dx, dy = x - float(np.add.reduce(x)) / len(x), y - float(np.add.reduce(y)) / len(y)
    sxx, syy = float(np.dot(dx, dx)), float(np.dot(dy, dy))
    if sxx <= FLAT * float(np.dot(x, x)) or syy <= FLAT * float(np.dot(y, y)):
        return 0.0
    return min(1.0, max(-1.0, float(np.dot(dx, dy)) / np.sqrt(sxx * syy)))


def _last_correlation(
    ta: TimeArray, ca: FloatArray, tb: TimeArray, cb: FloatArray, period: int, interval_ms: int | None
) -> float:
    """Correlation over the last `period` aligned returns, reading only tails of the series.

    The shared candles of two suffixes are exactly the shared candles of the whole series from the later suffix
    start on, with the same neighbours, so their last returns are the whole series' last returns. The tail doubles
    (a loop over doublings, not points) until it holds `period` returns or covers both series.
    """
    step = _step(ta, tb, interval_ms)
    if step is None:
        return float("nan")
    take = period + 1
    while True:
        aligned = aligned_log_returns(ta[-take:], ca[-take:], tb[-take:], cb[-take:], interval_ms=step)
        if len(aligned.times) >= period:
            return _pearson(aligned.a[-period:], aligned.b[-period:])
        if take >= max(len(ta), len(tb)):
            return float("nan")
        take *= 4
