"""The summary: the latest value of each tracked indicator, equal to TA-Lib's last value."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
import talib

from application.analytics.summary import TRACKED, SummaryQuery, latest_summary
from application.market.catalog import Catalog

from ..market.fakes import FakeCandleStore
from .test_indicators import random_walk


class NoListings:
    async def all(self):
        return []


async def stored(count: int) -> FakeCandleStore:
    store = FakeCandleStore()
    await store.save([msgspec.structs.replace(c, exchange="test") for c in random_walk(count)], "test", {})
    return store


async def test_each_tracked_value_is_ta_libs_last_value():
    store = await stored(500)
    result = await latest_summary(
        SummaryQuery(symbol="btc-usdt", interval="1m", exchange="test"), Catalog(NoListings()), store
    )
    series = store.series("1m", exchange="test")
    close = np.array([float(c.close) for c in series])
    high = np.array([float(c.high) for c in series])
    low = np.array([float(c.low) for c in series])
    volume = np.array([float(c.volume) for c in series])
    assert set(result.values) == set(TRACKED)
    assert result.values["rsi_14"] == pytest.approx(talib.RSI(close, 14)[-1], rel=1e-9)
    assert result.values["ema_20"] == pytest.approx(talib.EMA(close, 20)[-1], rel=1e-9)
    assert result.values["atr_14"] == pytest.approx(talib.ATR(high, low, close, 14)[-1], rel=1e-9)
    assert result.values["vwap"] == pytest.approx(talib.VWAP(high, low, close, volume)[-1], rel=1e-9)
    macd, signal, hist = (values[-1] for values in talib.MACD(close))
    assert result.values["macd_12_26_9"] == pytest.approx({"macd": macd, "macdsignal": signal, "macdhist": hist})
    assert result.close == float(series[-1].close)
    assert result.symbol == "BTC-USDT"


async def test_indicators_still_warming_up_are_null():
    store = await stored(16)
    result = await latest_summary(
        SummaryQuery(symbol="BTC-USDT", interval="1m", exchange="test"), Catalog(NoListings()), store
    )
    assert result.values["rsi_14"] is not None
    assert result.values["sma_20"] is None
    assert result.values["macd_12_26_9"] is None
