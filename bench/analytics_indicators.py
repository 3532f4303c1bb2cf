"""Each indicator on 1,000,000 points: our engine (domain.analytics.indicators over gap-filled bars) against
calling TA-Lib directly on the same arrays, in the same run. Target (issue): our overhead at most 10%,
i.e. ours/bare >= 0.91 in points per second."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import talib

from bench._common import best_of_interleaved, figure, note, peak_rss_mib, reset_peak_rss, say
from domain.analytics.indicators import compute, describe, parameters
from domain.analytics.series import Bars

POINTS = 1_000_000
TARGET = 0.91


def _bars(count: int) -> Bars:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, count)))
    spread = np.abs(rng.normal(0, 0.0005, count)) * close
    high, low = close + spread, close - spread
    open_ = np.concatenate([[close[0]], close[:-1]])
    volume = rng.uniform(0.1, 10, count)
    times = np.arange(count, dtype=np.int64) * 60_000
    return Bars(times, open_, high, low, close, volume, 0)


def _rate(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return POINTS / (time.perf_counter() - started)


def main() -> None:
    say(f"== indicators on {POINTS:,} points: ours (catalogue, checked parameters, bars) vs TA-Lib called directly ==")
    reset_peak_rss()
    b = _bars(POINTS)
    cases: list[tuple[str, dict[str, str], Callable[[], object]]] = [
        ("SMA", {"timeperiod": "20"}, lambda: talib.SMA(b.close, 20)),
        ("EMA", {"timeperiod": "20"}, lambda: talib.EMA(b.close, 20)),
        ("WMA", {"timeperiod": "20"}, lambda: talib.WMA(b.close, 20)),
        ("RSI", {"timeperiod": "14"}, lambda: talib.RSI(b.close, 14)),
        ("MACD", {}, lambda: talib.MACD(b.close, 12, 26, 9)),
        ("BBANDS", {"timeperiod": "20"}, lambda: talib.BBANDS(b.close, 20, 2.0, 2.0)),
        ("ATR", {"timeperiod": "14"}, lambda: talib.ATR(b.high, b.low, b.close, 14)),
        ("STDDEV", {"timeperiod": "20"}, lambda: talib.STDDEV(b.close, 20)),
        ("VWAP", {}, lambda: talib.VWAP(b.high, b.low, b.close, b.volume)),
    ]
    for name, given, direct in cases:

        def ours(name: str = name, given: dict[str, str] = given) -> object:
            info = describe(name)
            return compute(info, b, parameters(info, given))

        rate_ours, rate_bare = best_of_interleaved(
            lambda ours=ours: _rate(ours), lambda direct=direct: _rate(direct), rounds=7
        )
        figure(
            f"analytics.{name.lower()}", rate_ours, rate_bare, "points/s", TARGET, f"peak_rss={peak_rss_mib():.0f} MiB"
        )
    note("ours includes describing the function, converting and checking the parameters and TA-Lib's lookback check")


if __name__ == "__main__":
    main()
