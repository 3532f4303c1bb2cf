"""Incremental indicators, fed one closed bar at a time, equal TA-Lib's batch results on the same series."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import talib
import talib.abstract
from numpy.lib.stride_tricks import sliding_window_view

from domain.analytics.incremental import (
    ATR,
    BBANDS,
    EMA,
    KINDS,
    MACD,
    RSI,
    SMA,
    STDDEV,
    VWAP,
    WMA,
    Bar,
    Tracker,
    replay,
    restore,
    tracker,
)
from domain.market.values import Candle
from domain.shared.errors import InvalidInput

RTOL = 1e-9
RANDOM_WALK_BARS = 10_000


@dataclass(frozen=True)
class Series:
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.close)

    def bars(self) -> list[Bar]:
        return [
            Bar(*row)
            for row in zip(
                self.high.tolist(), self.low.tolist(), self.close.tolist(), self.volume.tolist(), strict=True
            )
        ]

    def head(self, count: int) -> Series:
        return Series(self.high[:count], self.low[:count], self.close[:count], self.volume[:count])

    def tail(self, count: int) -> Series:
        return Series(self.high[-count:], self.low[-count:], self.close[-count:], self.volume[-count:])


def random_walk(bars: int, seed: int, start: float = 100.0, volatility: float = 0.01) -> Series:
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0, volatility, bars)))
    open_ = np.concatenate([[start], close[:-1]])
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, volatility / 3, bars)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, volatility / 3, bars)))
    return Series(high, low, close, rng.lognormal(1.0, 1.0, bars))


def flat(bars: int, price: float = 123.456, volume: float = 1.5) -> Series:
    return Series(np.full(bars, price), np.full(bars, price), np.full(bars, price), np.full(bars, volume))


@dataclass(frozen=True)
class Case:
    name: str
    params: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.name.upper()}({', '.join(str(v) for v in self.params.values())})"

    def tracker(self) -> Tracker[Any]:
        return tracker(self.name, **self.params)

    def batch(self, series: Series) -> np.ndarray:
        """TA-Lib's outputs over the whole series, one column per output."""
        inputs = {"open": series.close, "high": series.high, "low": series.low, "close": series.close}
        inputs["volume"] = series.volume
        outputs = talib.abstract.Function(self.name.upper())(inputs, **self.params)
        return np.column_stack(outputs if isinstance(outputs, list) else [outputs])

    def atol(self, series: Series) -> float:
        # MACD's outputs are differences of price-level EMAs that cross zero: near a crossing a last-bit
        # difference in an EMA is large relative to the output, so the error is also measured against the
        # price level (1e-12 of it, far below any seeding mistake). Everything else: relative only.
        return 1e-12 * float(np.max(np.abs(series.close))) if self.name == "macd" else 0.0


CASES = [
    Case("sma", {"timeperiod": 1}),
    Case("sma", {"timeperiod": 20}),
    Case("ema", {"timeperiod": 1}),
    Case("ema", {"timeperiod": 10}),
    Case("ema", {"timeperiod": 30}),
    Case("wma", {"timeperiod": 1}),
    Case("wma", {"timeperiod": 2}),
    Case("wma", {"timeperiod": 20}),
    Case("rsi", {"timeperiod": 2}),
    Case("rsi", {"timeperiod": 14}),
    Case("macd", {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
    Case("macd", {"fastperiod": 26, "slowperiod": 12, "signalperiod": 9}),
    Case("macd", {"fastperiod": 5, "slowperiod": 35, "signalperiod": 1}),
    Case("macd", {"fastperiod": 2, "slowperiod": 2, "signalperiod": 1}),
    Case("bbands", {"timeperiod": 2, "nbdevup": 2.0, "nbdevdn": 2.0}),
    Case("bbands", {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}),
    Case("bbands", {"timeperiod": 5, "nbdevup": 1.5, "nbdevdn": 2.5}),
    Case("atr", {"timeperiod": 1}),
    Case("atr", {"timeperiod": 14}),
    Case("stddev", {"timeperiod": 2, "nbdev": 1.0}),
    Case("stddev", {"timeperiod": 5, "nbdev": 1.0}),
    Case("stddev", {"timeperiod": 20, "nbdev": 2.5}),
    Case("vwap", {}),
]
WARMING_CASES = [case for case in CASES if case.tracker().lookback > 0]


def as_row(value: Any) -> list[float]:
    if value is None:
        return [np.nan]
    return list(value) if isinstance(value, tuple) else [value]


def feed(target: Tracker[Any], series: Series) -> np.ndarray:
    """What the tracker returned on each bar, one column per output, NaN where it returned None."""
    values = [target.update(bar) for bar in series.bars()]
    width = next((len(as_row(value)) for value in values if value is not None), 1)
    return np.array([as_row(value) if value is not None else [np.nan] * width for value in values], dtype=np.float64)


def assert_equals_batch(got: np.ndarray, expected: np.ndarray, atol: float = 0.0) -> None:
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected)), "warm-up differs from TA-Lib's leading NaNs"
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=atol)


@pytest.fixture(scope="module")
def walk() -> Series:
    return random_walk(RANDOM_WALK_BARS, seed=20240601)


class TestParityWithTalib:
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_incremental_values_equal_talib_batch_on_a_random_walk(self, case: Case, walk: Series) -> None:
        assert_equals_batch(feed(case.tracker(), walk), case.batch(walk), case.atol(walk))

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_incremental_values_equal_talib_batch_on_a_flat_series(self, case: Case) -> None:
        series = flat(300)

        assert_equals_batch(feed(case.tracker(), series), case.batch(series))

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_the_warm_up_is_as_long_as_talib_lookback(self, case: Case) -> None:
        assert case.tracker().lookback == talib.abstract.Function(case.name.upper(), **case.params).lookback

    @pytest.mark.parametrize("case", WARMING_CASES, ids=str)
    def test_a_series_shorter_than_the_warm_up_yields_nothing_but_none(self, case: Case) -> None:
        target = case.tracker()
        series = random_walk(target.lookback, seed=3)

        values = [target.update(bar) for bar in series.bars()]

        assert values == [None] * target.lookback
        assert target.value is None
        assert not target.warm
        assert np.isnan(case.batch(series)).all()

    @pytest.mark.parametrize("case", WARMING_CASES, ids=str)
    def test_the_first_value_arrives_on_the_bar_after_the_warm_up(self, case: Case) -> None:
        target = case.tracker()
        series = random_walk(target.lookback + 1, seed=4)

        *warming, first = [target.update(bar) for bar in series.bars()]

        assert set(warming) == {None}
        assert first is not None
        assert target.warm
        assert target.value == first

    def test_a_random_walk_at_a_high_price_level_with_tiny_moves_keeps_stddev_exact(self) -> None:
        rng = np.random.default_rng(99)
        close = 1e8 + np.cumsum(rng.normal(0.0, 1.0, 5_000))
        series = Series(close, close, close, np.ones_like(close))
        exact = np.concatenate([np.full(19, np.nan), sliding_window_view(close, 20).std(axis=1)])

        got = feed(STDDEV(20), series)[:, 0]

        assert_equals_batch(got, talib.STDDEV(close, 20))
        np.testing.assert_allclose(got, exact, rtol=1e-7)

    def test_a_huge_spike_leaving_the_window_leaves_stddev_exact(self) -> None:
        rng = np.random.default_rng(12)
        close = 100.0 + rng.normal(0.0, 1e-6, 400)
        close[150] = 1e7
        series = Series(close, close, close, np.ones_like(close))
        exact = np.concatenate([np.full(19, np.nan), sliding_window_view(close, 20).std(axis=1)])

        got = feed(STDDEV(20), series)[:, 0]

        assert_equals_batch(got, talib.STDDEV(close, 20))
        np.testing.assert_allclose(got[170:], exact[170:], rtol=1e-6)


class TestTalibConventions:
    def test_rsi_of_a_flat_series_is_zero_as_in_talib(self) -> None:
        target = RSI(14)

        replay(target, flat(50).bars())

        assert target.value == 0.0
        assert talib.RSI(flat(50).close, 14)[-1] == 0.0

    def test_rsi_of_a_steadily_rising_series_is_one_hundred(self) -> None:
        close = np.linspace(10.0, 20.0, 40)

        assert replay(RSI(14), Series(close, close, close, close).bars()) == 100.0

    def test_stddev_and_band_width_of_a_flat_series_are_exactly_zero(self) -> None:
        deviation, bands = STDDEV(5), BBANDS(20)
        for bar in flat(60, price=0.1).bars():
            deviation.update(bar)
            bands.update(bar)

        assert deviation.value == 0.0
        assert bands.value is not None
        assert bands.value.upper == bands.value.middle == bands.value.lower

    def test_stddev_falls_to_exactly_zero_once_a_noisy_series_turns_flat_as_in_talib(self) -> None:
        noisy = random_walk(200, seed=8).close
        close = np.concatenate([noisy, np.full(100, noisy[-1])])
        series = Series(close, close, close, np.ones_like(close))

        got = feed(STDDEV(20), series)[:, 0]

        assert (got[220:] == 0.0).all()
        assert_equals_batch(got, talib.STDDEV(close, 20))

    @pytest.mark.parametrize("price", [395.724739317555, 10025.838312282976, 0.1, 3.2e-5])
    def test_a_window_of_identical_values_has_exactly_zero_stddev_whatever_the_price(self, price: float) -> None:
        # Re-anchored on the window mean, identical values still leave a rounding residual in each deviation
        # at some prices; TA-Lib's floor (variance under 1e-12 of the mean squared deviation) makes it 0.
        rng = np.random.default_rng(21)
        close = np.concatenate([price * (1 + rng.normal(0.0, 0.01, 100)), np.full(150, price)])
        series = Series(close, close, close, np.ones_like(close))

        got = feed(STDDEV(49), series)[:, 0]

        assert (got[-100:] == 0.0).all()
        assert_equals_batch(got, talib.STDDEV(close, 49))

    def test_vwap_has_no_warm_up_and_reads_zero_until_volume_trades(self) -> None:
        series = random_walk(50, seed=5)
        series.volume[:3] = 0.0

        got = feed(VWAP(), series)[:, 0]

        assert list(got[:3]) == [0.0, 0.0, 0.0]
        assert got[3] == pytest.approx((series.high[3] + series.low[3] + series.close[3]) / 3, rel=1e-12)
        assert_equals_batch(got, talib.VWAP(series.high, series.low, series.close, series.volume))

    def test_a_zero_volume_bar_repeats_the_last_vwap(self) -> None:
        target = VWAP()
        target.push(11.0, 9.0, 10.0, 2.0)

        assert target.push(50.0, 40.0, 45.0, 0.0) == 10.0

    def test_macd_seeds_its_fast_ema_late_as_talib_does(self, walk: Series) -> None:
        close = walk.close
        target = MACD(12, 26, 9)
        first = next(value for value in map(target.push, close.tolist()) if value is not None)

        late_fast = talib.EMA(close[14:], 12)[33 - 14]  # fast EMA seeded with the SMA of bars 14..25
        early_fast = talib.EMA(close, 12)[33]  # what EMA12 - EMA26 over the full series would use
        slow = talib.EMA(close, 26)[33]
        assert target.count == 34
        assert first.macd == pytest.approx(late_fast - slow, rel=RTOL)
        assert abs(first.macd - (early_fast - slow)) > 1e-6 * abs(slow)

    def test_macd_with_a_signal_period_of_one_uses_the_line_as_signal(self, walk: Series) -> None:
        target = MACD(12, 26, 1)

        values = [value for value in map(target.push, walk.close[:500].tolist()) if value is not None]

        assert values
        assert all(value.signal == value.macd and value.hist == 0.0 for value in values)

    def test_atr_needs_a_previous_close_so_its_warm_up_is_one_bar_longer_than_its_period(self) -> None:
        target = ATR(3)
        values = [target.push(h, low, c) for h, low, c in [(2, 1, 1.5), (3, 1, 2), (4, 2, 3), (5, 2, 4)]]

        assert values[:3] == [None, None, None]
        assert values[3] == pytest.approx((2 + 2 + 3) / 3)  # mean of TR[1..3]


@dataclass
class MillionUpdates:
    close: np.ndarray
    sma: SMA
    wma: WMA
    stddev: STDDEV
    bbands: BBANDS


@pytest.fixture(scope="module")
def million_updates() -> MillionUpdates:
    # The price level falls about a millionfold along the way: a plain running sum would keep the rounding
    # errors of the large early values, which then weigh on the small late ones.
    rng = np.random.default_rng(1_000_000)
    close = 1e4 * np.exp(np.cumsum(rng.normal(-1.4e-5, 0.002, 1_000_000)))
    run = MillionUpdates(close, SMA(20), WMA(20), STDDEV(20, 2.0), BBANDS(20, 2.0, 2.0))
    sma, wma, stddev, bbands = run.sma.push, run.wma.push, run.stddev.push, run.bbands.push
    for x in close.tolist():
        sma(x)
        wma(x)
        stddev(x)
        bbands(x)
    return run


class TestLongRuns:
    TAIL = 1_000

    def test_sma_after_a_million_updates_equals_talib_on_the_tail_window(self, million_updates: MillionUpdates) -> None:
        tail = million_updates.close[-self.TAIL :]

        assert million_updates.sma.value == pytest.approx(talib.SMA(tail, 20)[-1], rel=RTOL)

    def test_wma_after_a_million_updates_equals_talib_on_the_tail_window(self, million_updates: MillionUpdates) -> None:
        tail = million_updates.close[-self.TAIL :]

        assert million_updates.wma.value == pytest.approx(talib.WMA(tail, 20)[-1], rel=RTOL)

    def test_stddev_after_a_million_updates_equals_talib_on_the_tail_window(
        self, million_updates: MillionUpdates
    ) -> None:
        tail = million_updates.close[-self.TAIL :]

        assert million_updates.stddev.value == pytest.approx(talib.STDDEV(tail, 20, 2.0)[-1], rel=RTOL)

    def test_bollinger_bands_after_a_million_updates_equal_talib_on_the_tail_window(
        self, million_updates: MillionUpdates
    ) -> None:
        tail = million_updates.close[-self.TAIL :]
        upper, middle, lower = talib.BBANDS(tail, 20, 2.0, 2.0)

        assert million_updates.bbands.value == pytest.approx((upper[-1], middle[-1], lower[-1]), rel=RTOL)

    def test_the_long_run_ends_far_below_where_it_started(self, million_updates: MillionUpdates) -> None:
        assert million_updates.close[-1] < 1e-6 * million_updates.close[:1000].max()


class TestState:
    @pytest.mark.parametrize("cut", ["in_warm_up", "warm"])
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_a_tracker_restored_from_its_json_state_continues_exactly_as_the_original(
        self, case: Case, cut: str
    ) -> None:
        series = random_walk(2_000, seed=6)
        original = case.tracker()
        at = original.lookback // 2 if cut == "in_warm_up" else 1_000
        replay(original, series.head(at).bars())

        restored = restore(json.loads(json.dumps(original.to_state())))

        assert restored.count == original.count == at
        assert restored.value == original.value
        rest = series.tail(len(series) - at)
        np.testing.assert_array_equal(feed(restored, rest), feed(original, rest))

    def test_a_state_holds_only_plain_json_values(self, walk: Series) -> None:
        target = BBANDS(20)
        replay(target, walk.head(100).bars())

        state = target.to_state()

        assert json.loads(json.dumps(state, allow_nan=False)) == state
        assert state["kind"] == "bbands"
        assert state["params"] == {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}

    def test_restore_refuses_a_state_of_another_kind(self) -> None:
        with pytest.raises(ValueError, match="cannot restore"):
            EMA.from_state(SMA(5).to_state())

    def test_restore_refuses_a_state_of_another_layout_version(self) -> None:
        state = SMA(5).to_state() | {"version": 0}

        with pytest.raises(ValueError, match="version"):
            restore(state)

    def test_restore_refuses_an_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="no tracker kind"):
            restore({"kind": "lunar_phase"})

    def test_restore_refuses_a_state_with_a_window_larger_than_the_period(self) -> None:
        state = SMA(3).to_state() | {"window": [1.0, 2.0, 3.0, 4.0]}

        with pytest.raises(ValueError, match="malformed"):
            restore(state)

    def test_restore_refuses_a_state_with_missing_fields(self) -> None:
        state = RSI(14).to_state()
        del state["gain"]

        with pytest.raises(ValueError, match="malformed"):
            restore(state)

    @pytest.mark.parametrize("case", [c for c in CASES if c.tracker().replay_bars is not None], ids=str)
    def test_refeeding_the_last_replay_bars_rebuilds_a_window_indicator(self, case: Case, walk: Series) -> None:
        long_run = case.tracker()
        replay(long_run, walk.bars())

        rebuilt = case.tracker()
        replay(rebuilt, walk.tail(rebuilt.replay_bars or 0).bars())

        np.testing.assert_allclose(as_row(rebuilt.value), as_row(long_run.value), rtol=RTOL)

    @pytest.mark.parametrize("case", [c for c in CASES if c.tracker().replay_bars is None], ids=str)
    def test_a_short_replay_does_not_rebuild_an_indicator_with_infinite_memory(self, case: Case, walk: Series) -> None:
        long_run = case.tracker()
        replay(long_run, walk.bars())
        tail_length = 2 * (long_run.lookback + 1)

        rebuilt = case.tracker()
        replay(rebuilt, walk.tail(tail_length).bars())

        assert not np.allclose(as_row(rebuilt.value), as_row(long_run.value), rtol=RTOL, atol=0.0)


class TestInputs:
    def test_update_takes_market_candles_with_decimal_prices(self, walk: Series) -> None:
        bars = walk.head(300).bars()
        candles = [
            Candle(
                exchange="binance",
                symbol="BTC-USDT",
                interval="1m",
                open_time=60_000 * i,
                open=Decimal(repr(bar.close)),
                high=Decimal(repr(bar.high)),
                low=Decimal(repr(bar.low)),
                close=Decimal(repr(bar.close)),
                volume=Decimal(repr(bar.volume)),
                final=True,
            )
            for i, bar in enumerate(bars)
        ]
        for name in ("atr", "vwap", "macd"):
            from_candles, from_bars = tracker(name), tracker(name)

            for candle, bar in zip(candles, bars, strict=True):
                assert from_candles.update(candle) == from_bars.update(bar)

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
    def test_a_non_finite_input_is_refused_and_leaves_the_tracker_as_it_was(self, bad: float, walk: Series) -> None:
        target, twin = BBANDS(20), BBANDS(20)
        replay(target, walk.head(50).bars())
        replay(twin, walk.head(50).bars())
        before = target.to_state()

        with pytest.raises(ValueError, match="finite"):
            target.push(bad)

        assert target.to_state() == before
        np.testing.assert_array_equal(feed(target, walk.tail(100)), feed(twin, walk.tail(100)))

    def test_a_non_finite_volume_is_refused_by_vwap(self) -> None:
        target = VWAP()

        with pytest.raises(ValueError, match="finite"):
            target.push(2.0, 1.0, 1.5, float("nan"))
        assert target.count == 0

    def test_replay_feeds_stored_bars_oldest_first_and_returns_the_last_value(self) -> None:
        bars = [Bar(c, c, c) for c in (1.0, 2.0, 3.0, 10.0)]

        assert replay(SMA(3), bars) == pytest.approx(5.0)
        assert replay(SMA(3), bars[:2]) is None


class TestFactory:
    @pytest.mark.parametrize("name", sorted(KINDS))
    def test_the_factory_uses_talib_parameter_names_and_defaults(self, name: str) -> None:
        defaults = dict(talib.abstract.Function(name.upper()).info["parameters"])
        defaults.pop("matype", None)  # BBANDS: the middle band is always the SMA here

        assert tracker(name).params() == defaults

    def test_the_factory_takes_any_case_and_given_parameters(self) -> None:
        target = tracker("MACD", fastperiod=5, signalperiod=4)

        assert isinstance(target, MACD)
        assert target.params() == {"fastperiod": 5, "slowperiod": 26, "signalperiod": 4}
        assert target.lookback == 25 + 3

    def test_the_factory_rejects_an_unknown_indicator(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            tracker("supertrend")

        assert caught.value.errors[0].field == "indicator"

    def test_the_factory_rejects_an_unknown_parameter(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            tracker("sma", period=20)

        assert [error.field for error in caught.value.errors] == ["period"]

    @pytest.mark.parametrize(
        ("name", "params", "field"),
        [
            ("sma", {"timeperiod": 0}, "timeperiod"),
            ("sma", {"timeperiod": 100_001}, "timeperiod"),
            ("ema", {"timeperiod": 0}, "timeperiod"),
            ("wma", {"timeperiod": -3}, "timeperiod"),
            ("rsi", {"timeperiod": 1}, "timeperiod"),
            ("atr", {"timeperiod": 0}, "timeperiod"),
            ("stddev", {"timeperiod": 1}, "timeperiod"),
            ("bbands", {"timeperiod": 1}, "timeperiod"),
            ("macd", {"fastperiod": 1}, "fastperiod"),
            ("macd", {"slowperiod": 1}, "slowperiod"),
            ("macd", {"signalperiod": 0}, "signalperiod"),
        ],
    )
    def test_periods_talib_refuses_are_invalid_input(self, name: str, params: dict[str, int], field: str) -> None:
        assert talib.abstract.Function(name.upper(), **params).lookback == -1

        with pytest.raises(InvalidInput) as caught:
            tracker(name, **params)

        assert caught.value.errors[0].field == field

    @pytest.mark.parametrize(
        ("name", "params", "field"),
        [
            ("sma", {"timeperiod": 2.5}, "timeperiod"),
            ("sma", {"timeperiod": True}, "timeperiod"),
            ("stddev", {"nbdev": float("nan")}, "nbdev"),
            ("bbands", {"nbdevup": float("inf")}, "nbdevup"),
            ("bbands", {"nbdevdn": "2"}, "nbdevdn"),
        ],
    )
    def test_parameters_of_the_wrong_type_are_invalid_input(
        self, name: str, params: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            tracker(name, **params)

        assert caught.value.errors[0].field == field

    def test_numpy_integers_are_accepted_as_periods(self) -> None:
        assert SMA(np.int64(7)).params() == {"timeperiod": 7}  # type: ignore[arg-type]
