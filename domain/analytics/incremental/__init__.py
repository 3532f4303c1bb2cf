"""Indicators updated one closed candle at a time, equal to TA-Lib's batch result on the same series.

Each tracker holds just enough state to turn the next bar into the next value in constant time: running
sums over a ring buffer for the window indicators, the last smoothed value for the recursive ones. Fed the
same bars from the first one, `update` returns what TA-Lib 0.8.2 puts at that index (relative tolerance
1e-9) and `None` exactly where TA-Lib has its leading NaNs (`lookback` bars).

TA-Lib's conventions are reproduced from ta_codegen/input/*.c of the TA-Lib 0.8 sources, checked against the
wheel; each tracker's docstring says which. TA-Lib's C code is compiled with fused multiply-adds in places (the
signal EMA, ATR); Python rounds each operation, so values may differ from the batch in the last bit or two (far
below 1e-9).

Cost per bar is O(1). The only loop over a window is the variance re-anchoring TA-Lib itself does (O(n), at
most once per 32·n bars on ordinary data): amortised O(1).

Drift over millions of updates: the running sums (SMA, WMA, BBANDS middle, VWAP) are compensated (Neumaier;
WMA's n·x terms are added exactly), so their error stays at a few ulps of the current sum and does not grow
with the number of updates, even after the price level falls a millionfold (where a plain running sum, as in
TA-Lib's SMA, is off by 1e-8); the variance is re-anchored as above; the recursions (EMA, RSI, ATR, MACD)
contract, so their rounding errors fade instead of accumulating.

Rebuilding a tracker:
- `to_state()` is a plain, JSON-ready dict (floats, ints, lists of floats, None; versioned) and
  `restore(state)` continues exactly where the original left off: the way to cache trackers across restarts.
- Re-feeding stored candles: `replay_bars` is how many of the last bars reproduce the value (within 1e-9):
  n for SMA, WMA, STDDEV and BBANDS (their value is a function of the window alone). EMA, RSI, ATR, MACD and
  VWAP have infinite memory (`replay_bars` is None, except for the degenerate EMA(1), ATR(1) and MACD with
  equal periods): only the whole history, from the same first bar the batch starts from, or a persisted
  state reproduces the batch value. A shorter replay converges: the seed's weight after m more bars is
  (1-2/(n+1))^m for an EMA (about 10.4·(n+1)/2 bars per factor 1e-9) and (1-1/n)^m for RSI and ATR (about
  20.7·n bars per factor 1e-9).
"""

from domain.analytics.incremental.averages import EMA, SMA, WMA
from domain.analytics.incremental.base import STATE_VERSION, Bar, BarLike, State, Tracker, replay
from domain.analytics.incremental.dispersion import BBANDS, STDDEV, Bands
from domain.analytics.incremental.inputs import MAX_PERIOD
from domain.analytics.incremental.momentum import MACD, RSI, MACDValue
from domain.analytics.incremental.range import ATR
from domain.analytics.incremental.registry import KINDS, restore, tracker
from domain.analytics.incremental.volume import VWAP

__all__ = [
    "ATR",
    "BBANDS",
    "EMA",
    "KINDS",
    "MACD",
    "MAX_PERIOD",
    "RSI",
    "SMA",
    "STATE_VERSION",
    "STDDEV",
    "VWAP",
    "WMA",
    "Bands",
    "Bar",
    "BarLike",
    "MACDValue",
    "State",
    "Tracker",
    "replay",
    "restore",
    "tracker",
]
