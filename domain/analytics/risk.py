"""Risk and return figures TA-Lib lacks: log returns, annualised volatility, correlation of time-aligned candles,
drawdown (in `drawdown`, re-exported here), Sharpe, Sortino and beta. Numpy on float64 arrays, vectorised (no
Python loop over points); the rolling deviation and correlation are TA-Lib's STDDEV and CORREL applied to log
returns, as they are exact and fast there.

Conventions shared by every function here:
- Inputs: closes are positive and finite; times are candle open times in epoch milliseconds, strictly increasing.
- Logs, returns and joins run in blocks of `BLOCK` points (a loop over blocks, not points) so that their
  temporaries stay in the CPU cache; results do not depend on the block size.
- Returns are log returns r_t = ln(c_t / c_{t-1}), computed as ln(c_t) - ln(c_{t-1}) (one logarithm per price;
  absolute error about 1e-16 * |ln c|, far below a price tick).
- Standard deviations are sample ones (ddof=1). Annualising multiplies by sqrt(periods per year) of crypto's
  24/7, 365-day year (see `periods_per_year`).
- Not enough data gives NaN (like a warm-up slot, `null` in a response). A zero denominator, i.e. a series with no
  variation, gives 0.0, as TA-Lib does (CORREL, STDDEV, RSI). Where a variance is a denominator (correlation, Sharpe,
  beta), a centred sum of squares at or below `FLAT` (1e-12) times the raw sum of squares is rounding noise and
  counts as zero, so (near-)constant windows cannot yield noise/noise ratios. Flat or short input never raises.
- A `period` below 2 raises `InvalidInput` (HTTP 422); arrays of mismatched lengths or unsorted times raise
  `ValueError` (a caller bug).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import talib
from numpy.typing import ArrayLike, NDArray

from domain.analytics.drawdown import Drawdown as Drawdown
from domain.analytics.drawdown import max_drawdown as max_drawdown
from domain.market.intervals import INTERVAL_MS, check_interval
from domain.shared.errors import InvalidInput

FloatArray = NDArray[np.float64]
TimeArray = NDArray[np.int64]

YEAR_MS = 365 * 24 * 60 * 60 * 1000
FLAT = 1e-12
PRECISE = 1e-6
BLOCK = 1 << 15
_RUN_LENGTH = 64  # candles per run of consecutive candles below which a block is scattered, not copied by runs


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

    The rolling deviation is TA-Lib's STDDEV (population, re-anchored sums: exact 0.0 on a flat window, no drift
    along the series) with its multiplier carrying both the sample correction sqrt(n / (n-1)) and the annualisation.
    """
    _check_period(period)
    closes = _floats(close)
    count = len(closes)
    if count <= period:
        return np.full(count, np.nan)
    # returns[t] is the return into close[t] (returns[0] NaN), so TA-Lib, which starts after leading NaNs, gives a
    # result aligned to the closes with its warm-up already NaN: no copy.
    returns = np.empty(count)
    returns[0] = np.nan
    logs = np.empty(min(BLOCK, count - 1) + 1)
    for start in range(1, count, BLOCK):  # returns[start:stop] from closes[start-1:stop]
        stop = min(start + BLOCK, count)
        block_logs = np.log(closes[start - 1 : stop], out=logs[: stop - start + 1])
        np.subtract(block_logs[1:], block_logs[:-1], out=returns[start:stop])
    multiplier = math.sqrt(periods_per_year * period / (period - 1))
    deviations: FloatArray = talib.STDDEV(returns, timeperiod=period, nbdev=multiplier)
    return deviations


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
    if step is None or min(len(ta), len(tb)) < 2:
        return AlignedReturns(np.empty(0, np.int64), np.empty(0), np.empty(0))
    on_grid = _aligned_on_grid(ta, ca, tb, cb, step)
    return on_grid if on_grid is not None else _aligned_by_merge(ta, ca, tb, cb, step)


def _aligned_on_grid(ta: TimeArray, ca: FloatArray, tb: TimeArray, cb: FloatArray, step: int) -> AlignedReturns | None:
    """Candle open times are whole intervals from a common origin: on that grid, in blocks of slots, each side's
    log closes sit at their slots with NaN where a candle is missing, and a return is valid where neither side's
    difference is NaN. No sort, no join. None when a time is off the grid or the grid is far sparser than the
    candles (then `_aligned_by_merge`)."""
    origin = min(int(ta[0]), int(tb[0]))
    slots = (max(int(ta[-1]), int(tb[-1])) - origin) // step + 1
    if slots > 4 * (len(ta) + len(tb)):
        return None
    capacity = min(len(ta), len(tb)) - 1
    ends, ra, rb = np.empty(capacity, np.int64), np.empty(capacity), np.empty(capacity)
    width = min(BLOCK, slots - 1)
    logs_a, logs_b = np.empty(width + 1), np.empty(width + 1)
    returns_a, returns_b, both = np.empty(width), np.empty(width), np.empty(width)
    valid = np.empty(width, dtype=bool)
    filled = start_a = start_b = 0
    for first in range(0, slots - 1, width):  # the returns ending at slots first+1 .. last
        last = min(first + width, slots - 1)
        low, high, count = origin + first * step, origin + last * step, last - first
        stop_a, stop_b = (int(np.searchsorted(times, high, side="right")) for times in (ta, tb))
        grid_a, grid_b = logs_a[: count + 1], logs_b[: count + 1]
        if not (
            _place_logs(ta[start_a:stop_a], ca[start_a:stop_a], low, step, grid_a)
            and _place_logs(tb[start_b:stop_b], cb[start_b:stop_b], low, step, grid_b)
        ):
            return None
        block_a = np.subtract(grid_a[1:], grid_a[:-1], out=returns_a[:count])
        block_b = np.subtract(grid_b[1:], grid_b[:-1], out=returns_b[:count])
        flags = np.isnan(np.add(block_a, block_b, out=both[:count]), out=valid[:count])
        keep = np.flatnonzero(np.logical_not(flags, out=flags))
        added = len(keep)
        block_ends = ends[filled : filled + added]
        np.add(keep, first + 1, out=block_ends)
        block_ends *= step
        block_ends += origin
        np.take(block_a, keep, out=ra[filled : filled + added], mode="clip")  # "raise" would buffer `out`
        np.take(block_b, keep, out=rb[filled : filled + added], mode="clip")
        filled += added
        # The block's last slot is the next block's first: its candles are read again.
        start_a, start_b = (int(np.searchsorted(times, high, side="left")) for times in (ta, tb))
    return AlignedReturns(ends[:filled], ra[:filled], rb[:filled])


def _place_logs(times: TimeArray, closes: FloatArray, low: int, step: int, grid: FloatArray) -> bool:
    """grid[(t - low) / step] = ln(close), NaN elsewhere; False when a time is off the grid.

    Candles come in runs one interval apart, so a run is one slice copy; only a series with many gaps (more than
    one run per `_RUN_LENGTH` candles) is scattered slot by slot, which costs a few times more per candle."""
    grid.fill(np.nan)
    if len(times) == 0:
        return True
    breaks = np.flatnonzero((times[1:] - times[:-1]) != step)
    if len(breaks) * _RUN_LENGTH > len(times):
        slots = times - low
        slots //= step
        back = slots * step
        back += low
        if not np.array_equal(back, times):
            return False
        grid[slots] = np.log(closes)
        return True
    starts = np.concatenate(([0], breaks + 1))
    offsets = times[starts] - low
    if np.any(offsets % step):
        return False
    logs = np.log(closes)
    ends = [*starts[1:].tolist(), len(times)]
    for start, end, slot in zip(starts.tolist(), ends, (offsets // step).tolist(), strict=True):
        grid[slot : slot + end - start] = logs[start:end]
    return True


def _aligned_by_merge(ta: TimeArray, ca: FloatArray, tb: TimeArray, cb: FloatArray, step: int) -> AlignedReturns:
    """The general join, for times off any common grid: in blocks of a's candles, merge with b's up to the same
    time and keep the returns between consecutive shared candles exactly `step` apart."""
    capacity = min(len(ta), len(tb)) - 1
    ends, ra, rb = np.empty(capacity, np.int64), np.empty(capacity), np.empty(capacity)
    filled = start_a = start_b = 0
    last: tuple[int, float, float] | None = None  # the previous block's last shared candle: time, ln a, ln b
    while start_a < len(ta):  # blocks of a's candles, and b's candles up to the same time
        stop_a = min(start_a + BLOCK, len(ta))
        stop_b = int(np.searchsorted(tb, ta[stop_a - 1], side="right"))
        in_a, in_b = _inner_join(ta[start_a:stop_a], tb[start_b:stop_b])
        times = ta[start_a:stop_a][in_a]
        la, lb = np.log(ca[start_a:stop_a][in_a]), np.log(cb[start_b:stop_b][in_b])
        if last is not None:
            times, la, lb = np.append(last[0], times), np.append(last[1], la), np.append(last[2], lb)
        if len(times):
            adjacent = (times[1:] - times[:-1]) == step
            added = int(np.count_nonzero(adjacent))
            ends[filled : filled + added] = times[1:][adjacent]
            ra[filled : filled + added] = (la[1:] - la[:-1])[adjacent]
            rb[filled : filled + added] = (lb[1:] - lb[:-1])[adjacent]
            filled += added
            last = (int(times[-1]), float(la[-1]), float(lb[-1]))
        start_a, start_b = stop_a, stop_b
    return AlignedReturns(ends[:filled], ra[:filled], rb[:filled])


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
        windows = values[period - 1 :]
        np.clip(talib.CORREL(aligned.a, aligned.b, timeperiod=period)[period - 1 :], -1.0, 1.0, out=windows)
        # CORREL gives 0.0 only where a centred sum is exactly 0; a side that is flat up to rounding (a coin
        # compounding at a steady rate) would correlate its rounding noise.
        flat = _flat_windows(aligned.a, period)
        flat |= _flat_windows(aligned.b, period)
        np.copyto(windows, 0.0, where=flat)
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
    squares, raw = _centred_square_sum(values, mean)
    if squares <= FLAT * raw:
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
    squares = _dot(downside, downside)
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
    variance, raw = _centred_square_sum(benchmark, benchmark_mean)
    if variance <= FLAT * raw:
        return 0.0
    asset_mean = float(np.add.reduce(asset)) / count
    asset_variance, asset_raw = _centred_square_sum(asset, asset_mean)
    covariance = _dot(asset, benchmark) - count * asset_mean * benchmark_mean
    if asset_variance < PRECISE * asset_raw or variance < PRECISE * raw:  # the one-pass formula lost digits
        covariance = _dot(asset - asset_mean, benchmark - benchmark_mean)
    return covariance / variance


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


def _dot(a: FloatArray, b: FloatArray) -> float:
    """sum(a * b) on this thread: BLAS's ddot (np.dot) fans large vectors out to threads, whose wake-ups made the
    timing of a 1M-point Sharpe ratio vary tenfold on a busy machine; einsum's loop is single-threaded SIMD."""
    return float(np.einsum("i,i->", a, b))


def _centred_square_sum(values: FloatArray, mean: float) -> tuple[float, float]:
    """(sum((v - mean)^2), sum(v^2)): one pass as sum(v^2) - n*mean^2, two when that cancels to under `PRECISE`
    of sum(v^2) (it loses digits as the mean dwarfs the spread)."""
    raw = _dot(values, values)
    centred = raw - len(values) * mean * mean
    if centred < PRECISE * raw:
        deviations = values - mean
        centred = _dot(deviations, deviations)
    return centred, raw


def _inner_join(ta: TimeArray, tb: TimeArray) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indexes into a and b of their shared times, ascending. A stable sort of two sorted runs is one merge (timsort),
    after which a shared time is an adjacent equal pair, a's copy first."""
    both = np.concatenate([ta, tb])
    order = np.argsort(both, kind="stable")
    merged = both[order]
    first = np.flatnonzero(merged[1:] == merged[:-1])
    return order[first], order[first + 1] - len(ta)


def _flat_windows(values: FloatArray, period: int) -> NDArray[np.bool_]:
    """flat[k]: window [k, k+period) varies by no more than rounding, i.e. its centred sum of squares is at most
    `FLAT` of its raw sum of squares (var <= FLAT * (var + mean^2), from TA-Lib's rolling VAR and SMA).

    mean^2 is at most the largest square in the series, so a series whose every window has var > FLAT * (var +
    max^2) has no flat window and needs no rolling mean (real returns: var ~1e-8, FLAT * max^2 ~1e-15)."""
    variance = talib.VAR(values, timeperiod=period)[period - 1 :]
    largest = float(np.max(np.abs(values), initial=0.0))
    flat = np.empty(len(variance), dtype=bool)
    if float(np.min(variance, initial=np.inf)) * (1.0 - FLAT) > FLAT * largest * largest:
        flat.fill(False)
        return flat
    bound = talib.SMA(values, timeperiod=period)[period - 1 :]
    np.square(bound, out=bound)
    bound += variance
    bound *= FLAT
    return np.less_equal(variance, bound, out=flat)


def _pearson(x: FloatArray, y: FloatArray) -> float:
    dx, dy = x - float(np.add.reduce(x)) / len(x), y - float(np.add.reduce(y)) / len(y)
    sxx, syy = _dot(dx, dx), _dot(dy, dy)
    if sxx <= FLAT * _dot(x, x) or syy <= FLAT * _dot(y, y):
        return 0.0
    return min(1.0, max(-1.0, _dot(dx, dy) / np.sqrt(sxx * syy)))


def _last_correlation(
    ta: TimeArray, ca: FloatArray, tb: TimeArray, cb: FloatArray, period: int, interval_ms: int | None
) -> float:
    """Correlation over the last `period` aligned returns, reading only tails of the series.

    The shared candles of two suffixes are exactly the shared candles of the whole series from the later suffix
    start on, with the same neighbours, so their last returns are the whole series' last returns. The tail grows
    fourfold (a loop over growths, not points) until it holds `period` returns or covers both series.
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
