"""TA-Lib over candles: the catalogue, checked parameters, parity with calling TA-Lib directly, and gaps."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest
import talib

from domain.analytics.indicators import (
    UnknownIndicator,
    catalog,
    computable,
    compute,
    describe,
    lookback,
    parameters,
)
from domain.analytics.series import bars
from domain.market.values import Candle
from domain.shared.errors import InvalidInput

T0 = 1_767_225_600_000
MINUTE = 60_000


def random_walk(count: int, seed: int = 5, skip: frozenset[int] = frozenset()) -> list[Candle]:
    rng = random.Random(seed)
    price = 100.0
    candles = []
    for i in range(count):
        opened = price
        price = max(1.0, price * (1 + rng.gauss(0, 0.01)))
        high, low = max(opened, price) * (1 + rng.random() / 200), min(opened, price) * (1 - rng.random() / 200)
        if i in skip:
            continue
        candles.append(
            Candle(
                exchange="x",
                symbol="BTC-USDT",
                interval="1m",
                open_time=T0 + i * MINUTE,
                open=Decimal(f"{opened:.6f}"),
                high=Decimal(f"{high:.6f}"),
                low=Decimal(f"{low:.6f}"),
                close=Decimal(f"{price:.6f}"),
                volume=Decimal(f"{rng.uniform(0.1, 20):.6f}"),
                final=True,  # closed history: analytics read final candles only
            )
        )
    return candles


def flat(count: int) -> list[Candle]:
    one = Decimal(100)
    return [
        Candle(exchange="x", symbol="BTC-USDT", interval="1m", open_time=T0 + i * MINUTE, open=one, high=one, low=one,
               close=one, volume=Decimal(1))
        for i in range(count)
    ]  # fmt: skip


CASES = [
    ("SMA", {"timeperiod": "20"}, lambda b: [talib.SMA(b.close, 20)]),
    ("EMA", {"timeperiod": "20"}, lambda b: [talib.EMA(b.close, 20)]),
    ("WMA", {"timeperiod": "20"}, lambda b: [talib.WMA(b.close, 20)]),
    ("RSI", {"timeperiod": "14"}, lambda b: [talib.RSI(b.close, 14)]),
    ("MACD", {}, lambda b: list(talib.MACD(b.close, 12, 26, 9))),
    ("BBANDS", {"timeperiod": "20", "nbdevup": "2", "nbdevdn": "2"}, lambda b: list(talib.BBANDS(b.close, 20, 2, 2))),
    ("ATR", {"timeperiod": "14"}, lambda b: [talib.ATR(b.high, b.low, b.close, 14)]),
    ("STDDEV", {"timeperiod": "20"}, lambda b: [talib.STDDEV(b.close, 20)]),
    ("VWAP", {}, lambda b: [talib.VWAP(b.high, b.low, b.close, b.volume)]),
]


@pytest.mark.parametrize(("name", "given", "direct"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("series", ["random walk", "flat", "with gaps", "shorter than the warm-up"])
def test_each_indicator_equals_calling_ta_lib_directly_with_the_same_leading_nans(name, given, direct, series):
    candles = {
        "random walk": random_walk(2_000),
        "flat": flat(300),
        "with gaps": random_walk(2_000, skip=frozenset(range(500, 540)) | {1_200, 1_201}),
        "shorter than the warm-up": random_walk(8),
    }[series]
    b = bars(candles, "1m")
    info = describe(name)
    values = parameters(info, given)
    ours = compute(info, b, values)
    expected = direct(b)
    warm_up = lookback(info, values)
    for output, reference in zip(ours.values(), expected, strict=True):
        assert np.isnan(output[:warm_up]).all()
        np.testing.assert_allclose(output[warm_up:], reference[warm_up:], rtol=1e-9, atol=0)
        # No NaN after the warm-up, gaps included: they are filled, not propagated.
        assert not np.isnan(output[warm_up:]).any()


def test_gaps_become_flat_bars_at_the_previous_close_with_no_volume():
    candles = random_walk(10, skip=frozenset({4, 5}))
    b = bars(candles, "1m")
    assert len(b) == 10
    assert b.filled == 2
    assert list(b.times) == [T0 + i * MINUTE for i in range(10)]
    previous_close = float(candles[3].close)
    for index in (4, 5):
        assert (b.open[index], b.high[index], b.low[index], b.close[index], b.volume[index]) == (
            previous_close,
            previous_close,
            previous_close,
            previous_close,
            0.0,
        )


def test_a_flat_series_has_an_rsi_of_zero_as_ta_lib_defines_it():
    b = bars(flat(100), "1m")
    info = describe("RSI")
    rsi = compute(info, b, parameters(info, {}))["real"]
    assert (rsi[14:] == 0.0).all()


def test_the_catalogue_lists_every_ta_lib_function_with_inputs_parameters_and_outputs():
    functions = catalog()
    assert len(functions) >= 150
    assert set(functions) == set(talib.get_functions())
    macd = describe("macd")
    assert macd.inputs == ["close"]
    assert [(p.name, p.kind, p.default) for p in macd.parameters] == [
        ("fastperiod", "integer", 12),
        ("slowperiod", "integer", 26),
        ("signalperiod", "integer", 9),
    ]
    assert macd.outputs == ["macd", "macdsignal", "macdhist"]
    assert describe("ATR").inputs == ["high", "low", "close"]
    assert [p.kind for p in describe("BBANDS").parameters] == ["integer", "real", "real", "ma_type"]


def test_an_unknown_indicator_is_not_found():
    with pytest.raises(UnknownIndicator):
        describe("NOPE")


@pytest.mark.parametrize(
    ("name", "given", "field"),
    [
        ("RSI", {"timeperiod": "1"}, "timeperiod"),
        ("RSI", {"timeperiod": "100001"}, "timeperiod"),
        ("RSI", {"timeperiod": "fourteen"}, "timeperiod"),
        ("RSI", {"timeperiod": "14.5"}, "timeperiod"),
        ("RSI", {"period": "14"}, "period"),
        ("BBANDS", {"nbdevup": "nan"}, "nbdevup"),
        ("BBANDS", {"matype": "9"}, "matype"),
        ("MACD", {"fastperiod": "0"}, "fastperiod"),
    ],
)
def test_parameters_out_of_range_or_of_the_wrong_type_are_invalid_input(name, given, field):
    with pytest.raises(InvalidInput) as raised:
        parameters(describe(name), given)
    assert field in [error.field for error in raised.value.errors]


def test_every_function_but_those_needing_inputs_candles_lack_computes_over_bars():
    b = bars(random_walk(300), "1m")
    for name, info in catalog().items():
        if name in ("MAVP", "MAXINDEX", "MININDEX", "MINMAXINDEX"):
            with pytest.raises(InvalidInput):
                computable(info)
            continue
        outputs = compute(computable(info), b, parameters(info, {}))
        assert set(outputs) == set(info.outputs), name
        assert all(len(values) == 300 for values in outputs.values()), name


def test_integer_outputs_are_nan_during_the_warm_up_not_zero():
    b = bars(random_walk(100), "1m")
    info = describe("CDLENGULFING")
    pattern = compute(info, b, parameters(info, {}))["integer"]
    warm_up = lookback(info, {})
    assert np.isnan(pattern[:warm_up]).all()
    assert not np.isnan(pattern[warm_up:]).any()


def test_functions_returning_array_positions_are_refused():
    with pytest.raises(InvalidInput):
        computable(describe("MAXINDEX"))


def test_a_huge_integer_parameter_is_invalid_input_not_an_overflow():
    with pytest.raises(InvalidInput) as raised:
        parameters(describe("SMA"), {"timeperiod": "99999999999"})
    assert raised.value.errors[0].field == "timeperiod"


def test_parameters_not_given_take_ta_libs_defaults():
    assert parameters(describe("BBANDS"), {}) == {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}
