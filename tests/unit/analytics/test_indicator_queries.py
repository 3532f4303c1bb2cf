"""Indicator queries over stored candles: the newest points, warm-up nulls, and the rejections."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
import talib

from application.analytics.indicators import (
    HISTORY_BARS,
    MAX_POINTS,
    IndicatorQuery,
    check_ranges,
    indicator_series,
)
from application.analytics.windows import NoCandles
from application.market.catalog import Catalog, UnknownInstrument
from domain.shared.errors import InvalidInput

from ..market.fakes import FakeCandleStore
from .test_indicators import random_walk


class NoListings:
    async def all(self):
        return []


@pytest.fixture
async def store() -> FakeCandleStore:
    store = FakeCandleStore()
    candles = [msgspec.structs.replace(c, exchange="test") for c in random_walk(3_000)]
    await store.save(candles, "test", {})
    return store


def query(**changes) -> IndicatorQuery:
    base = {
        "symbol": "BTC-USDT",
        "interval": "1m",
        "exchange": "test",
        "name": "RSI",
        "parameters": {"timeperiod": "14"},
    }
    return IndicatorQuery(**{**base, **changes})


async def test_the_newest_points_equal_ta_lib_over_the_loaded_history(store):
    result = await indicator_series(query(limit=100), Catalog(NoListings()), store)
    closes = np.array([float(c.close) for c in store.series("1m")])
    # The window (MAX_POINTS + lookback + HISTORY_BARS buckets) holds all 3,000 candles here.
    assert len(closes) < MAX_POINTS + 14 + HISTORY_BARS
    expected = talib.RSI(closes, 14)[-100:]
    assert [p["value"] for p in result.points] == pytest.approx(list(expected), rel=1e-9)
    assert len(result.points) == 100
    assert result.points[-1]["time"] == "2026-01-03T01:59:00Z"
    assert (result.indicator, result.parameters, result.outputs) == ("RSI", {"timeperiod": 14}, ["value"])


async def test_the_points_returned_do_not_depend_on_how_many_are_asked_for(store):
    for name in ("VWAP", "OBV", "SAR"):
        many = await indicator_series(query(name=name, parameters={}, limit=500), Catalog(NoListings()), store)
        few = await indicator_series(query(name=name, parameters={}, limit=10), Catalog(NoListings()), store)
        assert few.points == many.points[-10:], name


async def test_points_in_the_warm_up_are_null(store):
    short = FakeCandleStore()
    await short.save(store.series("1m")[:20], "test", {})
    result = await indicator_series(query(limit=20), Catalog(NoListings()), short)
    assert [p["value"] is None for p in result.points] == [True] * 14 + [False] * 6


async def test_a_long_silence_before_the_window_is_not_filled_with_flat_bars(store):
    later = [msgspec.structs.replace(c, open_time=c.open_time + 30 * 86_400_000) for c in store.series("1m")[-20:]]
    await store.save(later, "test", {})
    result = await indicator_series(query(limit=10), Catalog(NoListings()), store)
    assert result.filled == 0
    assert len(result.points) == 10


async def test_several_outputs_are_named_in_each_point(store):
    result = await indicator_series(query(name="MACD", parameters={}, limit=5), Catalog(NoListings()), store)
    assert result.outputs == ["macd", "macdsignal", "macdhist"]
    assert set(result.points[0]) == {"time", "macd", "macdsignal", "macdhist"}


async def test_a_followed_symbol_without_candles_is_not_found(store):
    with pytest.raises(NoCandles):
        await indicator_series(query(symbol="ETH-USDT"), Catalog(NoListings()), store)


async def test_a_symbol_that_is_not_followed_is_not_found(store):
    with pytest.raises(UnknownInstrument):
        await indicator_series(query(symbol="NOPE-USDT"), Catalog(NoListings()), store)


@pytest.mark.parametrize(
    "changes",
    [{"limit": 0}, {"limit": 5_001}, {"interval": "2h"}, {"parameters": {"timeperiod": "1"}}],
)
async def test_out_of_range_requests_are_invalid_input(store, changes):
    with pytest.raises(InvalidInput):
        await indicator_series(query(**changes), Catalog(NoListings()), store)


def test_range_checks_name_every_value_out_of_range():
    with pytest.raises(InvalidInput) as raised:
        check_ranges(("fast", 1, 2, 1000), ("slow", 26, 2, 1000), ("signal", 0, 1, 1000))
    assert [e.field for e in raised.value.errors] == ["fast", "signal"]


async def test_a_candle_still_open_is_left_out_until_it_closes(store):
    closed = await indicator_series(query(limit=5), Catalog(NoListings()), store)
    last = store.series("1m")[-1]
    forming = msgspec.structs.replace(last, open_time=last.open_time + 60_000, close=last.close * 2, final=False)
    await store.save([forming], "test", {})

    assert (await indicator_series(query(limit=5), Catalog(NoListings()), store)).points == closed.points

    await store.save([msgspec.structs.replace(forming, final=True)], "test", {})
    after = await indicator_series(query(limit=5), Catalog(NoListings()), store)
    assert after.points[-1]["time"] == "2026-01-03T02:00:00Z"
    assert after.points[-1]["value"] > closed.points[-1]["value"]
