"""Risk and return figures TA-Lib lacks: log returns, annualised volatility, correlation of time-aligned candles,
drawdown, Sharpe, Sortino and beta. Pure numpy on float64 arrays, vectorised (no Python loop over points).

Conventions shared by every function here:
- Inputs: closes are positive and finite; times are candle open times in epoch milliseconds, strictly increasing.
- Rolling figures run in blocks of `BLOCK` points (a loop over blocks, not points) so that their temporaries stay in
  the CPU cache; results do not depend on the block size.
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
PRECISE = 1e-6
BLOCK = 1 << 15


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
    span = min(BLOCK, count - period) + period
    logs, squares, spare = np.empty(span), np.empty(span), np.empty(span)
    scale = periods_per_year / (period - 1)
    for start in range(period, count, BLOCK):  # out[start:stop] from closes[start-period:stop]
        stop = min(start + BLOCK, count)
        block_logs = np.log(closes[start - period : stop], out=logs[: stop - start + period])
        block_squares = squares[: stop - start + period - 1]
        np.subtract(block_logs[1:], block_logs[:-1], out=block_squares)
        np.square(block_squares, out=block_squares)
        variance = out[start:stop]
        _window_sums(block_squares, period, variance, spare)
        # The window's sum of returns telescopes to ln(c_t) - ln(c_{t-period}).
        square_of_sum = np.subtract(block_logs[period:], block_logs[:-period], out=squares[: stop - start])
        np.square(square_of_sum, out=square_of_sum)
        square_of_sum *= 1.0 / period
        variance -= square_of_sum
        variance *= scale
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
    capacity = min(len(ta), len(tb)) - 1
    if step is None or capacity < 1:
        return AlignedReturns(np.empty(0, np.int64), np.empty(0), np.empty(0))
    ends, ra, rb = np.empty(capacity, np.int64), np.empty(capacity), np.empty(capacity)
    filled = start_a = start_b = 0
    last: tuple[int, float, float] | None = None  # the previous block's last shared candle: time, ln a, ln b
    while start_a < len(ta):  # blocks of a's candles, and b's candles up to the same time
        stop_a = min(start_a + BLOCK, len(ta))
        stop_b = int(np.searchsorted(tb, ta[stop_a - 1], side="right"))
        block_a, block_b = ta[start_a:stop_a], tb[start_b:stop_b]
        if len(block_a) == len(block_b) and np.array_equal(block_a, block_b):
            times, la, lb = block_a, np.log(ca[start_a:stop_a]), np.log(cb[start_b:stop_b])
        else:
            in_a, in_b = _inner_join(block_a, block_b)
            times, la, lb = block_a[in_a], np.log(ca[start_a:stop_a][in_a]), np.log(cb[start_b:stop_b][in_b])
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
        _rolling_pearson(aligned.a, aligned.b, period, values[period - 1 :])
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
    if closes[0] > 0.0:
        # Positive IEEE-754 doubles order exactly like their bit patterns read as int64 (and any non-positive value
        # reads as a smaller int64 than every positive one), so once the first close is positive the integer running
        # maximum equals the float one; numpy's integer running maximum is several times faster.
        series = np.maximum.accumulate(closes.view(np.int64)).view(np.float64)
    else:
        series = np.maximum.accumulate(closes)
    np.divide(closes, series, out=series)
    series -= 1.0
    trough = int(np.argmin(series))
    if np.isnan(series[trough]):  # a NaN close breaks the precondition: no figure rather than a wrong one
        return Drawdown(series, float("nan"), None, None)
    # c / h == 1 exactly iff c == h, so the peak is the last zero of the drawdown at or before the trough.
    peak = int(np.flatnonzero(series[: trough + 1] == 0.0)[-1])
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


def _window_sums(values: FloatArray, width: int, out: FloatArray, spare: FloatArray) -> None:
    """out[..., k] = values[..., k] + ... + values[..., k+width-1] for k < out.shape[-1] (= values.shape[-1] - width
    + 1), along the last axis, by doubling: O(n log width), and each sum only holds values of its own window (exact
    zeros on windows of zeros, no error growing along the series as with differences of a running cumsum).
    Overwrites `values` and `spare` (shaped like `values`, or longer along the last axis)."""
    count, length = out.shape[-1], values.shape[-1]
    buffers = (values, spare)
    block, turn, size, offset, remaining, first = values, 0, 1, 0, width, True
    while True:  # over the bits of `width`: block[..., i] = values[..., i] + ... + values[..., i+size-1]
        if remaining & 1:
            part = block[..., offset : offset + count]
            if first:
                np.copyto(out, part)
                first = False
            else:
                out += part
            offset += size
        remaining >>= 1
        if not remaining:
            return
        turn, length = 1 - turn, length - size
        doubled = buffers[turn][..., :length]
        np.add(block[..., :-size], block[..., size:], out=doubled)
        block, size = doubled, size * 2


def _rolling_pearson(x: FloatArray, y: FloatArray, period: int, out: FloatArray) -> None:
    """out[k] = Pearson correlation of x and y over window [k, k+period), for k < len(out) = len(x) - period + 1."""
    rows = min(BLOCK, len(out))
    work, spare = np.empty((5, rows + period - 1)), np.empty((5, rows + period - 1))
    sums = np.empty((5, rows))
    varied, other = np.empty(rows, dtype=bool), np.empty(rows, dtype=bool)
    for start in range(0, len(out), BLOCK):
        stop = min(start + BLOCK, len(out))
        xs, ys, count = x[start : stop + period - 1], y[start : stop + period - 1], stop - start
        values = work[:, : len(xs)]
        np.multiply(xs, xs, out=values[0])
        np.multiply(ys, ys, out=values[1])
        np.copyto(values[2], xs)
        np.copyto(values[3], ys)
        np.multiply(xs, ys, out=values[4])
        _window_sums(values, period, sums[:, :count], spare)
        sxx, syy, sx, sy, scratch = sums[:, :count]
        sxy, flags, more_flags = out[start:stop], varied[:count], other[:count]
        np.copyto(sxy, scratch)  # row 4 holds the sums of x*y; once copied out it is scratch space
        # Centred sums: sxy - sx*sy/p, sxx - sx^2/p, syy - sy^2/p; a centred sum within FLAT of the raw one is zero.
        np.multiply(sx, sy, out=scratch)
        scratch *= 1.0 / period
        sxy -= scratch
        for raw, total, flagged in ((sxx, sx, flags), (syy, sy, more_flags)):
            noise = np.multiply(raw, FLAT, out=scratch)
            np.square(total, out=total)
            total *= 1.0 / period
            raw -= total
            np.greater(raw, noise, out=flagged)
        flags &= more_flags
        sxx *= syy
        np.sqrt(sxx, out=sxx, where=flags)
        np.divide(sxy, sxx, out=sxy, where=flags)
        np.logical_not(flags, out=flags)
        np.copyto(sxy, 0.0, where=flags)
        np.clip(sxy, -1.0, 1.0, out=sxy)


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
