"""Risk figures TA-Lib lacks, against straightforward pandas versions and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from domain.analytics import risk
from domain.analytics.drawdown import HIGH_BLOCK
from domain.analytics.risk import (
    aligned_log_returns,
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
from domain.shared.errors import InvalidInput

MINUTE = 60_000
START = 1_700_000_040_000  # a minute boundary
RTOL = 1e-9


def walk(seed: int, count: int, start: float = 100.0, sigma: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, sigma, count)))


def minutes(count: int) -> np.ndarray:
    return START + np.arange(count, dtype=np.int64) * MINUTE


def with_gaps(seed: int, times: np.ndarray, closes: np.ndarray, missing: int) -> tuple[np.ndarray, np.ndarray]:
    """The series with `missing` candles removed at random (never the first or the last)."""
    drop = np.random.default_rng(seed).choice(np.arange(1, len(times) - 1), missing, replace=False)
    return np.delete(times, drop), np.delete(closes, drop)


# --- the straightforward pandas versions ------------------------------------------------------------------------


def pandas_log_returns(close: np.ndarray) -> pd.Series:
    series = pd.Series(close)
    return np.log(series / series.shift(1))


def pandas_volatility(close: np.ndarray, period: int, per_year: float) -> np.ndarray:
    return (pandas_log_returns(close).rolling(period).std() * math.sqrt(per_year)).to_numpy()


def pandas_aligned_returns(
    ta: np.ndarray, ca: np.ndarray, tb: np.ndarray, cb: np.ndarray, step: int = MINUTE
) -> pd.DataFrame:
    frame = pd.concat({"a": pd.Series(ca, index=ta), "b": pd.Series(cb, index=tb)}, axis=1, join="inner")
    returns = np.log(frame / frame.shift(1))
    return returns[frame.index.to_series().diff() == step]


def pandas_correlation(ta: np.ndarray, ca: np.ndarray, tb: np.ndarray, cb: np.ndarray, period: int) -> pd.Series:
    returns = pandas_aligned_returns(ta, ca, tb, cb)
    return returns["a"].rolling(period).corr(returns["b"])


# Correlations near 0 make a relative tolerance meaningless: pandas' rolling sums drift by ~1e-13 in absolute terms
# over 100k points (ours stay within 1e-15 of the exact value, see the exact-window test), so correlations are also
# allowed this absolute difference.
CORRELATION_ATOL = 1e-12


def assert_same_with_same_warm_up(ours: np.ndarray, theirs: np.ndarray, atol: float = 0.0) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)], rtol=RTOL, atol=atol)


# --- periods per year -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [("1m", 525_600), ("5m", 105_120), ("15m", 35_040), ("1h", 8_760), ("4h", 2_190), ("1d", 365)],
)
def test_periods_per_year_counts_candles_in_a_365_day_24_7_year(interval: str, expected: int) -> None:
    assert periods_per_year(interval) == expected


def test_periods_per_year_rejects_an_unknown_interval() -> None:
    with pytest.raises(InvalidInput):
        periods_per_year("1w")


# --- log returns ------------------------------------------------------------------------------------------------


def test_log_returns_equal_pandas_log_of_close_over_previous_close() -> None:
    closes = walk(1, 5_000)
    np.testing.assert_allclose(log_returns(closes), pandas_log_returns(closes).to_numpy()[1:], rtol=RTOL)


def test_log_returns_are_one_shorter_than_the_closes_and_empty_below_two_closes() -> None:
    assert log_returns([100.0, 110.0, 99.0]).tolist() == pytest.approx([math.log(1.1), math.log(0.9)], rel=1e-12)
    assert len(log_returns([100.0])) == 0
    assert len(log_returns([])) == 0


def test_log_returns_of_a_flat_series_are_exactly_zero() -> None:
    assert log_returns(np.full(50, 43_012.34)).tolist() == [0.0] * 49


# --- volatility -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "interval"), [(2, "1m"), (14, "1h"), (30, "1d"), (365, "4h")])
def test_volatility_equals_pandas_rolling_sample_std_of_log_returns_annualised(period: int, interval: str) -> None:
    closes = walk(period, 5_000)
    per_year = periods_per_year(interval)
    assert_same_with_same_warm_up(volatility(closes, period, per_year), pandas_volatility(closes, period, per_year))


def test_volatility_of_a_long_series_equals_pandas_across_the_whole_series() -> None:
    closes = walk(48, 100_003, start=60_000.0, sigma=0.002)
    assert_same_with_same_warm_up(volatility(closes, 90, 525_600), pandas_volatility(closes, 90, 525_600))


def test_volatility_of_a_two_step_zigzag_is_root_two_per_period() -> None:
    # log returns +1, -1, +1: each window of two has sample std sqrt(2).
    closes = np.exp([0.0, 1.0, 0.0, 1.0])
    result = volatility(closes, 2, 1)
    assert np.isnan(result[:2]).all()
    assert result[2:].tolist() == pytest.approx([math.sqrt(2), math.sqrt(2)], rel=1e-12)


def test_volatility_is_aligned_to_the_closes_with_one_nan_per_return_of_the_first_window() -> None:
    result = volatility(walk(2, 100), 20, 365)
    assert len(result) == 100
    assert np.isnan(result[:20]).all()
    assert np.isfinite(result[20:]).all()


def test_volatility_annualises_by_the_square_root_of_periods_per_year() -> None:
    closes = walk(3, 300)
    per_period = volatility(closes, 30, 1)
    np.testing.assert_allclose(volatility(closes, 30, 8_760)[30:], per_period[30:] * math.sqrt(8_760), rtol=1e-12)


def test_volatility_of_a_flat_series_is_zero_after_the_warm_up() -> None:
    result = volatility(np.full(60, 2_345.6), 14, 365)
    assert np.isnan(result[:14]).all()
    assert result[14:].tolist() == [0.0] * 46


def test_volatility_of_a_flat_stretch_after_a_volatile_one_is_exactly_zero() -> None:
    closes = np.concatenate([walk(4, 1_000, start=60_000.0, sigma=0.05), np.full(100, 61_234.5)])
    result = volatility(closes, 30, 525_600)
    assert result[1_030:].tolist() == [0.0] * 70
    assert (result[30:1_030] > 0).all()


@pytest.mark.parametrize("count", [0, 1, 2, 30])
def test_volatility_of_a_series_no_longer_than_the_period_is_all_nan(count: int) -> None:
    result = volatility(walk(5, count), 30, 365)
    assert len(result) == count
    assert np.isnan(result).all()


@pytest.mark.parametrize("period", [1, 0, -3])
def test_volatility_rejects_a_period_below_two(period: int) -> None:
    with pytest.raises(InvalidInput):
        volatility(walk(6, 100), period, 365)


# --- aligned returns and correlation ----------------------------------------------------------------------------


def test_aligned_returns_skip_the_return_that_would_span_a_gap() -> None:
    ta = START + MINUTE * np.array([0, 1, 2, 4, 5])  # the candle at minute 3 is missing on a
    tb = START + MINUTE * np.array([0, 1, 2, 3, 4, 5, 6])
    ca = np.array([100.0, 101.0, 102.0, 104.0, 105.0])
    cb = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0])
    aligned = aligned_log_returns(ta, ca, tb, cb, interval_ms=MINUTE)
    assert aligned.times.tolist() == (START + MINUTE * np.array([1, 2, 5])).tolist()
    assert aligned.a.tolist() == pytest.approx([math.log(101 / 100), math.log(102 / 101), math.log(105 / 104)])
    assert aligned.b.tolist() == pytest.approx([math.log(11 / 10), math.log(12 / 11), math.log(15 / 14)])


def test_aligned_returns_equal_pandas_inner_join_with_gap_spanning_returns_dropped() -> None:
    ta, ca = with_gaps(7, minutes(3_000), walk(7, 3_000), 150)
    tb, cb = with_gaps(8, minutes(3_000), walk(8, 3_000, start=3_000.0), 150)
    aligned = aligned_log_returns(ta, ca, tb, cb)
    expected = pandas_aligned_returns(ta, ca, tb, cb)
    assert aligned.times.tolist() == expected.index.tolist()
    np.testing.assert_allclose(aligned.a, expected["a"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(aligned.b, expected["b"].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("block", [7, 64, 1 << 15])
@pytest.mark.parametrize(
    ("missing", "shift"),
    [(150, 0), (1_500, 0), (40, 37)],  # sparse gaps (runs copied), dense gaps (slots scattered), b starting later
)
def test_aligned_returns_equal_pandas_whatever_the_block_size_and_the_gaps(
    monkeypatch: pytest.MonkeyPatch, block: int, missing: int, shift: int
) -> None:
    monkeypatch.setattr(risk, "BLOCK", block)
    ta, ca = with_gaps(13, minutes(3_000), walk(13, 3_000), missing)
    tb, cb = with_gaps(14, minutes(3_000)[shift:], walk(14, 3_000 - shift, start=3_000.0), missing)
    aligned = aligned_log_returns(ta, ca, tb, cb, interval_ms=MINUTE)
    expected = pandas_aligned_returns(ta, ca, tb, cb)
    assert aligned.times.tolist() == expected.index.tolist()
    np.testing.assert_allclose(aligned.a, expected["a"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(aligned.b, expected["b"].to_numpy(), rtol=RTOL)


def test_aligned_returns_of_times_off_any_common_grid_are_joined_on_equal_times_only() -> None:
    ta = START + MINUTE * np.arange(6)
    tb = np.concatenate([ta[:3], ta[3:] + 1])  # b's last three candles are a millisecond off a's
    closes = np.array([100.0, 101.0, 102.0, 103.0, 104.0, 105.0])
    aligned = aligned_log_returns(ta, closes, tb, closes * 2, interval_ms=MINUTE)
    assert aligned.times.tolist() == ta[1:3].tolist()
    assert aligned.a.tolist() == pytest.approx([math.log(101 / 100), math.log(102 / 101)])


def test_correlation_equals_pandas_rolling_corr_of_log_returns_on_identical_times() -> None:
    times, ca, cb = minutes(4_000), walk(9, 4_000), walk(10, 4_000, start=2_000.0)
    result = correlation(times, ca, times, cb, 90)
    expected = pandas_correlation(times, ca, times, cb, 90)
    assert result.times.tolist() == expected.index.tolist()
    assert_same_with_same_warm_up(result.values, expected.to_numpy(), CORRELATION_ATOL)


def test_correlation_on_candles_with_gaps_equals_pandas_on_the_joined_gap_free_returns() -> None:
    ta, ca = with_gaps(11, minutes(4_000), walk(11, 4_000), 200)
    tb, cb = with_gaps(12, minutes(4_000), walk(12, 4_000, start=2_000.0), 200)
    result = correlation(ta, ca, tb, cb, 30, interval_ms=MINUTE)
    expected = pandas_correlation(ta, ca, tb, cb, 30)
    assert result.times.tolist() == expected.index.tolist()
    assert_same_with_same_warm_up(result.values, expected.to_numpy(), CORRELATION_ATOL)


def test_correlation_of_long_series_with_gaps_equals_pandas_across_the_whole_series() -> None:
    ta, ca = with_gaps(49, minutes(100_003), walk(49, 100_003, sigma=0.002), 2_000)
    tb, cb = with_gaps(50, minutes(100_003), walk(50, 100_003, sigma=0.002), 2_000)
    result = correlation(ta, ca, tb, cb, 90, interval_ms=MINUTE)
    expected = pandas_correlation(ta, ca, tb, cb, 90)
    assert result.times.tolist() == expected.index.tolist()
    assert_same_with_same_warm_up(result.values, expected.to_numpy(), CORRELATION_ATOL)


def test_correlation_of_each_window_equals_the_exact_two_pass_formula() -> None:
    times, ca, cb = minutes(40_000), walk(51, 40_000, sigma=0.002), walk(52, 40_000, sigma=0.002)
    result = correlation(times, ca, times, cb, 60)
    x = np.lib.stride_tricks.sliding_window_view(log_returns(ca), 60).astype(np.longdouble)
    y = np.lib.stride_tricks.sliding_window_view(log_returns(cb), 60).astype(np.longdouble)
    dx, dy = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    exact = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    np.testing.assert_allclose(result.values[59:], exact.astype(np.float64), rtol=0, atol=1e-14)


def test_correlation_across_a_long_outage_and_regular_gaps_equals_pandas() -> None:
    times = minutes(150_000)
    a_kept = np.ones(150_000, dtype=bool)
    a_kept[40_000:90_000] = False  # a long outage on a
    b_kept = np.ones(150_000, dtype=bool)
    b_kept[4_096::4_096] = False  # b misses every 4,096th candle
    ta, ca = times[a_kept], walk(53, 150_000, sigma=0.002)[a_kept]
    tb, cb = times[b_kept], walk(54, 150_000, sigma=0.002)[b_kept]
    result = correlation(ta, ca, tb, cb, 30)
    expected = pandas_correlation(ta, ca, tb, cb, 30)
    assert result.times.tolist() == expected.index.tolist()
    assert_same_with_same_warm_up(result.values, expected.to_numpy(), CORRELATION_ATOL)


def test_correlation_with_gaps_has_no_nan_after_the_warm_up() -> None:
    ta, ca = with_gaps(13, minutes(2_000), walk(13, 2_000), 300)
    result = correlation(ta, ca, minutes(2_000), walk(14, 2_000), 20)
    assert np.isnan(result.values[:19]).all()
    assert np.isfinite(result.values[19:]).all()


def test_correlation_infers_the_interval_from_the_candle_spacing() -> None:
    ta, ca = with_gaps(15, minutes(500), walk(15, 500), 40)
    tb, cb = minutes(500), walk(16, 500)
    inferred = correlation(ta, ca, tb, cb, 20)
    given = correlation(ta, ca, tb, cb, 20, interval_ms=MINUTE)
    assert inferred.times.tolist() == given.times.tolist()
    np.testing.assert_array_equal(inferred.values, given.values)


def test_correlation_of_a_coin_with_itself_is_one_and_with_its_inverse_minus_one() -> None:
    times, closes = minutes(200), walk(17, 200)
    assert correlation(times, closes, times, closes, 30).values[29:] == pytest.approx(np.ones(170), rel=1e-12)
    assert correlation(times, closes, times, 1 / closes, 30).values[29:] == pytest.approx(-np.ones(170), rel=1e-12)


def test_correlation_with_a_flat_series_is_zero() -> None:
    times = minutes(200)
    result = correlation(times, walk(18, 200), times, np.full(200, 1.0), 30)
    assert result.values[29:].tolist() == [0.0] * 170


def test_correlation_with_a_coin_that_just_went_flat_is_zero_once_the_window_is_flat() -> None:
    times = minutes(300)
    flat_later = np.concatenate([walk(19, 200), np.full(100, 77.7)])
    result = correlation(times, walk(20, 300), times, flat_later, 30)
    assert result.values[229:].tolist() == [0.0] * 70
    assert np.all(result.values[29:199] != 0.0)


def test_correlation_with_a_steadily_compounding_coin_is_zero_not_rounding_noise() -> None:
    # Its log returns differ only by rounding (1e-15), which a naive formula turns into a correlation of ~0.3.
    times = minutes(300)
    result = correlation(times, walk(46, 300), times, 1.5 * 1.002 ** np.arange(300), 30)
    assert result.values[29:].tolist() == [0.0] * 270


@pytest.mark.parametrize("count", [0, 1, 2, 30])
def test_correlation_with_fewer_returns_than_the_period_is_all_nan(count: int) -> None:
    times = minutes(count)
    result = correlation(times, walk(21, count), times, walk(22, count), 30)
    assert len(result.times) == len(result.values) == max(count - 1, 0)
    assert np.isnan(result.values).all()


def test_correlation_of_series_that_share_no_candle_is_empty() -> None:
    result = correlation(minutes(100), walk(23, 100), minutes(100) + 100 * MINUTE, walk(24, 100), 10)
    assert len(result.times) == 0
    assert len(result.values) == 0


def test_correlation_rejects_unsorted_times_and_mismatched_lengths() -> None:
    times, closes = minutes(50), walk(25, 50)
    with pytest.raises(ValueError, match="increasing"):
        correlation(times[::-1], closes, times, closes, 10)
    with pytest.raises(ValueError, match="49 times for 50 closes"):
        correlation(times[:-1], closes, times, closes, 10)


# --- correlation matrix -----------------------------------------------------------------------------------------


def gapped_universe() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        "BTC-USDT": with_gaps(26, minutes(3_000), walk(26, 3_000, start=60_000.0), 100),
        "ETH-USDT": with_gaps(27, minutes(3_000), walk(27, 3_000, start=3_000.0), 100),
        "SOL-USDT": (minutes(3_000), walk(28, 3_000, start=150.0)),
    }


def test_correlation_matrix_is_symmetric_with_ones_on_the_diagonal_in_the_given_order() -> None:
    matrix = correlation_matrix(gapped_universe(), 90)
    assert matrix.symbols == ("BTC-USDT", "ETH-USDT", "SOL-USDT")
    assert matrix.values.shape == (3, 3)
    np.testing.assert_array_equal(matrix.values, matrix.values.T)
    assert np.diag(matrix.values).tolist() == [1.0, 1.0, 1.0]


def test_correlation_matrix_entries_equal_the_last_rolling_correlation_of_each_pair() -> None:
    universe = gapped_universe()
    matrix = correlation_matrix(universe, 90)
    for i, first in enumerate(matrix.symbols):
        for j, second in enumerate(matrix.symbols):
            if i != j:
                last = correlation(*universe[first], *universe[second], 90).values[-1]
                assert matrix.values[i, j] == pytest.approx(last, rel=RTOL)


def test_correlation_matrix_equals_pandas_corr_of_the_last_period_returns() -> None:
    times = minutes(2_000)
    closes = {"A": walk(29, 2_000), "B": walk(30, 2_000), "C": walk(31, 2_000), "D": walk(32, 2_000)}
    matrix = correlation_matrix({symbol: (times, close) for symbol, close in closes.items()}, 60)
    frame = pd.DataFrame(closes, index=times)
    expected = np.log(frame / frame.shift(1)).tail(60).corr().to_numpy()
    np.testing.assert_allclose(matrix.values, expected, rtol=RTOL)


def test_correlation_matrix_reaches_back_past_recent_gaps_for_enough_returns() -> None:
    # b misses every other candle of its last 2,000, so its last 90 one-minute returns lie far back.
    times, ca, cb = minutes(6_000), walk(33, 6_000), walk(34, 6_000)
    keep = np.ones(6_000, dtype=bool)
    keep[4_000::2] = False
    universe = {"A": (times, ca), "B": (times[keep], cb[keep])}
    matrix = correlation_matrix(universe, 90, interval_ms=MINUTE)
    expected = pandas_correlation(times, ca, times[keep], cb[keep], 90).iloc[-1]
    assert matrix.values[0, 1] == pytest.approx(expected, rel=RTOL)


def test_correlation_matrix_entry_is_nan_when_a_pair_has_fewer_returns_than_the_period() -> None:
    universe = {"A": (minutes(500), walk(35, 500)), "NEW": (minutes(40) + 460 * MINUTE, walk(36, 40))}
    matrix = correlation_matrix(universe, 90)
    assert np.isnan(matrix.values[0, 1])
    assert np.isnan(matrix.values[1, 0])
    assert np.diag(matrix.values).tolist() == [1.0, 1.0]


# --- drawdown ---------------------------------------------------------------------------------------------------


def test_max_drawdown_of_100_120_90_130_is_minus_25_percent_from_index_1_to_2() -> None:
    result = max_drawdown([100.0, 120.0, 90.0, 130.0])
    assert result.series.tolist() == [0.0, 0.0, -0.25, 0.0]
    assert (result.maximum, result.peak, result.trough) == (-0.25, 1, 2)


def test_max_drawdown_equals_pandas_close_over_cumulative_max() -> None:
    closes = walk(37, 10_000)
    result = max_drawdown(closes)
    series = pd.Series(closes)
    expected = series / series.cummax() - 1
    np.testing.assert_allclose(result.series, expected.to_numpy(), rtol=RTOL)
    trough = int(expected.idxmin())
    assert (result.maximum, result.trough) == (pytest.approx(expected.min(), rel=RTOL), trough)
    assert result.peak == int(series[: trough + 1].idxmax())


def pandas_drawdown(closes: np.ndarray) -> tuple[np.ndarray, float, int, int]:
    series = pd.Series(closes)
    drawdown = series / series.cummax() - 1
    trough = int(drawdown.idxmin())
    return drawdown.to_numpy(), float(drawdown[trough]), int(series[: trough + 1].idxmax()), trough


@pytest.mark.parametrize("count", [HIGH_BLOCK - 1, HIGH_BLOCK, HIGH_BLOCK + 1, 5 * HIGH_BLOCK + 7])
@pytest.mark.parametrize("drift", [-0.001, 0.0, 0.002])
def test_max_drawdown_equals_pandas_whatever_the_blocks_and_how_often_new_highs_are_made(
    count: int, drift: float
) -> None:
    closes = walk(60, count) * np.exp(drift * np.arange(count))
    result = max_drawdown(closes)
    series, maximum, peak, trough = pandas_drawdown(closes)
    np.testing.assert_allclose(result.series, series, rtol=RTOL, atol=1e-15)
    assert (result.maximum, result.peak, result.trough) == (pytest.approx(maximum, rel=RTOL), peak, trough)


def test_max_drawdown_finds_a_peak_set_blocks_before_the_trough() -> None:
    closes = np.concatenate([np.linspace(100.0, 200.0, 500), np.linspace(199.0, 150.0, 4 * HIGH_BLOCK), [120.0]])
    result = max_drawdown(closes)
    assert (result.peak, result.trough) == (499, len(closes) - 1)
    assert result.maximum == pytest.approx(120.0 / 200.0 - 1, rel=1e-15)


def test_max_drawdown_of_a_series_rising_over_many_blocks_is_zero_throughout() -> None:
    result = max_drawdown(np.linspace(1.0, 2.0, 3 * HIGH_BLOCK + 5))
    assert not result.series.any()
    assert (result.maximum, result.peak, result.trough) == (0.0, 0, 0)


def test_max_drawdown_with_a_non_positive_first_close_still_measures_from_the_highs() -> None:
    closes = np.concatenate([[-1.0], walk(61, 3 * HIGH_BLOCK)])
    result = max_drawdown(closes)
    series, maximum, peak, trough = pandas_drawdown(closes)
    np.testing.assert_allclose(result.series, series, rtol=RTOL)
    assert (result.maximum, result.peak, result.trough) == (pytest.approx(maximum, rel=RTOL), peak, trough)


def test_max_drawdown_of_a_series_with_a_missing_close_is_nan_rather_than_a_wrong_figure() -> None:
    closes = walk(62, 2 * HIGH_BLOCK)
    closes[HIGH_BLOCK + 3] = np.nan
    result = max_drawdown(closes)
    assert math.isnan(result.maximum)
    assert (result.peak, result.trough) == (None, None)


def test_max_drawdown_starts_at_the_latest_return_to_the_high() -> None:
    result = max_drawdown([100.0, 120.0, 110.0, 120.0, 90.0, 95.0])
    assert (result.maximum, result.peak, result.trough) == (-0.25, 3, 4)


def test_max_drawdown_reports_the_first_of_equally_deep_troughs() -> None:
    result = max_drawdown([100.0, 50.0, 100.0, 50.0])
    assert (result.maximum, result.peak, result.trough) == (-0.5, 0, 1)


@pytest.mark.parametrize("closes", [[100.0, 100.0, 100.0], [1.0, 2.0, 3.0, 4.0], [42.0]])
def test_max_drawdown_of_a_series_that_never_falls_is_zero_at_index_0(closes: list[float]) -> None:
    result = max_drawdown(closes)
    assert result.series.tolist() == [0.0] * len(closes)
    assert (result.maximum, result.peak, result.trough) == (0.0, 0, 0)


def test_max_drawdown_of_a_series_touching_zero_is_minus_100_percent() -> None:
    result = max_drawdown([100.0, 0.0, 50.0])
    assert result.series.tolist() == [0.0, -1.0, -0.5]
    assert (result.maximum, result.peak, result.trough) == (-1.0, 0, 1)


def test_max_drawdown_of_an_empty_series_is_nan_without_indexes() -> None:
    result = max_drawdown([])
    assert len(result.series) == 0
    assert math.isnan(result.maximum)
    assert (result.peak, result.trough) == (None, None)


# --- Sharpe, Sortino, beta --------------------------------------------------------------------------------------


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_sharpe_equals_pandas_mean_excess_over_sample_std_annualised(risk_free: float) -> None:
    returns = log_returns(walk(38, 5_000))
    per_year = periods_per_year("1h")
    series = pd.Series(returns)
    expected = (series.mean() - risk_free / per_year) / series.std() * math.sqrt(per_year)
    assert sharpe(returns, per_year, risk_free) == pytest.approx(expected, rel=RTOL)


def test_sharpe_of_one_and_three_percent_per_quarter_is_two_root_two() -> None:
    # mean 0.02, sample std 0.01 * sqrt(2): 1.414... per period, times sqrt(4).
    assert sharpe([0.01, 0.03], 4) == pytest.approx(2 * math.sqrt(2), rel=1e-12)


@pytest.mark.parametrize("returns", [[0.0] * 10, [0.01] * 10, [-0.003] * 1_000])
def test_sharpe_of_returns_that_do_not_vary_is_zero(returns: list[float]) -> None:
    assert sharpe(returns, 365) == 0.0


def test_sharpe_and_beta_stay_exact_when_the_mean_dwarfs_the_spread() -> None:
    # mean / std = 1e5: a one-pass sum(r^2) - n*mean^2 would lose ten digits here.
    rng = np.random.default_rng(55)
    steady, other = 0.05 + rng.normal(0.0, 5e-7, 2_000), rng.normal(0.0, 0.01, 2_000)
    series = pd.Series(steady)
    assert sharpe(steady, 365) == pytest.approx(series.mean() / series.std() * math.sqrt(365), rel=RTOL)
    expected_beta = pd.Series(other).cov(series) / series.var()
    assert beta(other, steady) == pytest.approx(expected_beta, rel=RTOL)
    follower = 0.03 + 2 * (steady - 0.05) + rng.normal(0.0, 1e-7, 2_000)  # steady too, beta about 2
    expected_beta = pd.Series(follower).cov(series) / series.var()
    assert beta(follower, steady) == pytest.approx(expected_beta, rel=RTOL)


def test_sharpe_and_beta_treat_a_steadily_compounding_coin_as_flat() -> None:
    steady = log_returns(1.5 * 1.002 ** np.arange(300))
    assert sharpe(steady, 365) == 0.0
    assert beta(log_returns(walk(47, 300)), steady) == 0.0


@pytest.mark.parametrize("returns", [[], [0.01]])
def test_sharpe_of_fewer_than_two_returns_is_nan(returns: list[float]) -> None:
    assert math.isnan(sharpe(returns, 365))


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_sortino_equals_pandas_with_downside_deviation_over_all_returns(risk_free: float) -> None:
    returns = log_returns(walk(39, 5_000))
    per_year = periods_per_year("1d")
    series = pd.Series(returns)
    downside = math.sqrt((series.clip(upper=0.0) ** 2).mean())
    expected = (series.mean() - risk_free / per_year) / downside * math.sqrt(per_year)
    assert sortino(returns, per_year, risk_free) == pytest.approx(expected, rel=RTOL)


def test_sortino_divides_the_squared_losses_by_the_count_of_all_returns() -> None:
    # mean 0.005; downside deviation sqrt((0.01^2 + 0.02^2) / 4) = 0.005 * sqrt(5).
    assert sortino([0.02, -0.01, 0.03, -0.02], 1) == pytest.approx(1 / math.sqrt(5), rel=1e-12)


@pytest.mark.parametrize("returns", [[0.0] * 10, [0.01, 0.02, 0.0, 0.03]])
def test_sortino_without_any_loss_is_zero(returns: list[float]) -> None:
    assert sortino(returns, 365) == 0.0


@pytest.mark.parametrize("returns", [[], [-0.01]])
def test_sortino_of_fewer_than_two_returns_is_nan(returns: list[float]) -> None:
    assert math.isnan(sortino(returns, 365))


def test_beta_equals_pandas_covariance_over_benchmark_variance() -> None:
    asset, benchmark = log_returns(walk(40, 5_000)), log_returns(walk(41, 5_000))
    expected = pd.Series(asset).cov(pd.Series(benchmark)) / pd.Series(benchmark).var()
    assert beta(asset, benchmark) == pytest.approx(expected, rel=RTOL)


def test_beta_of_twice_the_benchmark_plus_a_constant_is_two() -> None:
    benchmark = log_returns(walk(42, 500))
    assert beta(2 * benchmark + 0.001, benchmark) == pytest.approx(2.0, rel=1e-12)


def test_beta_against_btc_on_aligned_candles_equals_pandas_on_the_joined_returns() -> None:
    t_coin, c_coin = with_gaps(43, minutes(3_000), walk(43, 3_000, start=3_000.0), 100)
    t_btc, c_btc = with_gaps(44, minutes(3_000), walk(44, 3_000, start=60_000.0), 100)
    aligned = aligned_log_returns(t_coin, c_coin, t_btc, c_btc, interval_ms=MINUTE)
    joined = pandas_aligned_returns(t_coin, c_coin, t_btc, c_btc)
    expected = joined["a"].cov(joined["b"]) / joined["b"].var()
    assert beta(aligned.a, aligned.b) == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("benchmark", [[0.0] * 20, [0.002] * 20])
def test_beta_against_a_flat_benchmark_is_zero(benchmark: list[float]) -> None:
    assert beta(log_returns(walk(45, 21)), benchmark) == 0.0


def test_beta_of_fewer_than_two_returns_is_nan() -> None:
    assert math.isnan(beta([0.01], [0.02]))
    assert math.isnan(beta([], []))


def test_beta_rejects_returns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="lengths"):
        beta([0.01, 0.02, 0.03], [0.01, 0.02])
