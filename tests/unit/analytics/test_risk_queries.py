"""Risk queries over stored candles: the domain's figures on the newest buckets, and the rejections."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest

from application.analytics.risk_queries import (
    PairQuery,
    SeriesQuery,
    correlation_matrix,
    drawdown,
    pair_correlation,
    risk_figures,
    volatility,
)
from application.analytics.windows import NoCandles
from application.market.catalog import Catalog
from domain.analytics import risk
from domain.shared.errors import InvalidInput

from ..market.fakes import FakeCandleStore
from .test_indicators import random_walk


class NoListings:
    async def all(self):
        return []


CATALOG = Catalog(NoListings())


async def stored() -> FakeCandleStore:
    store = FakeCandleStore()
    for seed, symbol in ((1, "BTC-USDT"), (2, "ETH-USDT"), (3, "SOL-USDT")):
        walk = random_walk(600, seed=seed, skip=frozenset({100, 101}) if symbol == "ETH-USDT" else frozenset())
        await store.save([msgspec.structs.replace(c, exchange="test", symbol=symbol) for c in walk], "t", {})
    return store


def closes(store: FakeCandleStore, symbol: str) -> tuple[np.ndarray, np.ndarray]:
    series = store.series("1m", symbol, "test")
    return np.array([c.open_time for c in series]), np.array([float(c.close) for c in series])


async def test_volatility_points_are_the_annualised_deviation_of_log_returns():
    store = await stored()
    result = await volatility(
        SeriesQuery(symbol="BTC-USDT", interval="1m", exchange="test", period=30, limit=50), CATALOG, store
    )
    _, close = closes(store, "BTC-USDT")
    expected = risk.volatility(close[-80:], 30, 525_600)[-50:]
    assert [p["value"] for p in result.points] == pytest.approx(list(expected), rel=1e-9)


async def test_pair_correlation_aligns_the_two_series_by_time():
    store = await stored()
    result = await pair_correlation(
        PairQuery(first="BTC-USDT", second="ETH-USDT", interval="1m", exchange="test", period=90, limit=20),
        CATALOG,
        store,
    )
    expected = risk.correlation(*closes(store, "BTC-USDT"), *closes(store, "ETH-USDT"), 90, interval_ms=60_000)
    assert [p["value"] for p in result.points] == pytest.approx(list(expected.values[-20:]), rel=1e-9, abs=1e-12)


async def test_a_correlation_matrix_is_symmetric_with_ones_on_the_diagonal():
    store = await stored()
    result = await correlation_matrix(["BTC-USDT", "ETH-USDT", "SOL-USDT"], "1m", "test", 60, CATALOG, store)
    matrix = np.array(result.matrix, dtype=float)
    assert result.symbols == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
    assert np.allclose(matrix, matrix.T)
    assert list(np.diag(matrix)) == [1.0, 1.0, 1.0]


async def test_drawdown_reports_the_deepest_fall_and_when():
    store = await stored()
    result = await drawdown(SeriesQuery(symbol="SOL-USDT", interval="1m", exchange="test", limit=600), CATALOG, store)
    _, close = closes(store, "SOL-USDT")
    assert result.max_drawdown == pytest.approx(risk.max_drawdown(close).maximum, rel=1e-12)
    assert result.peak_time is not None
    assert result.trough_time is not None
    assert result.peak_time <= result.trough_time


async def test_risk_figures_include_beta_against_btc_and_one_for_btc_itself():
    store = await stored()
    eth = await risk_figures(SeriesQuery(symbol="ETH-USDT", interval="1m", exchange="test", limit=300), CATALOG, store)
    btc = await risk_figures(SeriesQuery(symbol="BTC-USDT", interval="1m", exchange="test", limit=300), CATALOG, store)
    assert eth.benchmark == "BTC-USDT"
    assert eth.beta is not None
    assert math.isfinite(eth.beta)
    assert btc.beta == 1.0
    assert eth.returns == 300
    assert eth.sharpe is not None
    assert eth.sortino is not None


async def test_a_symbol_without_candles_is_not_found_and_bad_parameters_are_invalid():
    store = await stored()
    with pytest.raises(NoCandles):
        await volatility(SeriesQuery(symbol="ADA-USDT", interval="1m", exchange="test"), CATALOG, store)
    for query in (
        SeriesQuery(symbol="BTC-USDT", interval="1m", exchange="test", period=1),
        SeriesQuery(symbol="BTC-USDT", interval="1m", exchange="test", limit=0),
        SeriesQuery(symbol="BTC-USDT", interval="2m", exchange="test"),
    ):
        with pytest.raises(InvalidInput):
            await volatility(query, CATALOG, store)
    with pytest.raises(InvalidInput):
        await correlation_matrix(["BTC-USDT"], "1m", "test", 60, CATALOG, store)
