"""The summary of a series: the latest value of every tracked indicator, batch over stored candles."""

from __future__ import annotations

import math

import msgspec

from application.analytics.indicators import HISTORY_BARS
from application.analytics.windows import newest_rows
from application.market.catalog import Catalog
from application.market.times import to_rfc3339
from application.ports.market import CandleStore
from domain.analytics.indicators import compute, describe, lookback, parameters
from domain.analytics.series import bars_from_rows
from domain.market.intervals import check_interval

# What the summary (and the live `indicators` channel) tracks: name -> (TA-Lib function, parameters).
TRACKED: dict[str, tuple[str, dict[str, str]]] = {
    "sma_20": ("SMA", {"timeperiod": "20"}),
    "ema_20": ("EMA", {"timeperiod": "20"}),
    "wma_20": ("WMA", {"timeperiod": "20"}),
    "rsi_14": ("RSI", {"timeperiod": "14"}),
    "macd_12_26_9": ("MACD", {}),
    "bollinger_20_2": ("BBANDS", {"timeperiod": "20", "nbdevup": "2", "nbdevdn": "2"}),
    "atr_14": ("ATR", {"timeperiod": "14"}),
    "stddev_20": ("STDDEV", {"timeperiod": "20"}),
    "vwap": ("VWAP", {}),
}

Value = float | dict[str, float | None] | None


class SummaryQuery(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    interval: str
    exchange: str
    time: str
    close: float
    values: dict[str, Value]


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else value


async def latest_summary(query: SummaryQuery, catalog: Catalog, candles: CandleStore) -> Summary:
    interval = check_interval(query.interval)
    (instrument,) = await catalog.require([query.symbol])
    rows = await newest_rows(candles, query.exchange, instrument.symbol, interval, HISTORY_BARS + 1)
    series = bars_from_rows(rows, interval)
    values: dict[str, Value] = {}
    for name, (function, given) in TRACKED.items():
        info = describe(function)
        checked = parameters(info, given)
        outputs = compute(info, series, checked)
        if len(series) <= lookback(info, checked):
            values[name] = None
        elif len(outputs) == 1:
            values[name] = _plain(float(next(iter(outputs.values()))[-1]))
        else:
            values[name] = {output: _plain(float(column[-1])) for output, column in outputs.items()}
    return Summary(
        symbol=instrument.symbol,
        interval=interval,
        exchange=query.exchange,
        time=to_rfc3339(int(series.times[-1])),
        close=float(series.close[-1]),
        values=values,
    )
