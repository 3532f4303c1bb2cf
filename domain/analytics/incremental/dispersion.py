"""Dispersion of the close around its mean: STDDEV and BBANDS, on TA-Lib's re-anchored rolling variance."""

from __future__ import annotations

import math
from math import isfinite
from typing import ClassVar, NamedTuple

from domain.analytics.incremental.base import State, _CloseTracker
from domain.analytics.incremental.inputs import _period, _real, _refuse
from domain.analytics.incremental.sums import _Sum
from domain.analytics.incremental.window import _Window

_RESEED_EVERY = 32  # variance re-anchoring interval, in windows (TA-Lib's var.c)


class Bands(NamedTuple):
    upper: float
    middle: float
    lower: float


class _RollingVariance:
    """TA-Lib's VAR (var.c) one bar at a time: population variance from shifted sums, re-anchored when stale.

    TA-Lib's cancellation-free variance: the running sums are of deviations from a shift, re-anchored on the
    window mean (a fresh two-pass over the window) every 32·n bars or as soon as the subtraction would lose
    digits; a re-anchored variance under 1e-12 of the window's mean squared deviation is 0, so a window of
    identical values has a deviation of exactly 0."""

    __slots__ = ("countdown", "inv", "left", "n", "shift", "t1", "t2", "window")

    def __init__(self, n: int) -> None:
        self.n = n
        self.inv = 1.0 / n
        self.window = _Window(n)
        self.shift = 0.0
        self.t1 = 0.0
        self.t2 = 0.0
        self.countdown = _RESEED_EVERY * n
        self.left: float | None = None  # what the last push moved out of the window

    def push(self, x: float) -> float | None:
        window = self.window
        if window.size == 0:
            self.shift = x
        self.left = window.push(x)  # the value already taken out of the sums on the previous bar
        d = x - self.shift
        t1 = self.t1 + d
        t2 = self.t2 + d * d
        if window.size < window.n:
            self.t1, self.t2 = t1, t2
            return None
        inv = self.inv
        mean = t1 * inv
        variance = t2 * inv - mean * mean
        # Take the window's oldest value out now: the sums are then ready for the next bar.
        oldest = window.buf[window.pos]
        d = oldest - self.shift
        t1 -= d
        dd = d * d
        t2 -= dd
        self.countdown -= 1
        if variance < 0.000001 * (t2 * inv) or dd > 1000000.0 * t2 or self.countdown <= 0:
            variance, t1, t2 = self._reanchor(oldest)
        self.t1, self.t2 = t1, t2
        return variance

    def _reanchor(self, oldest: float) -> tuple[float, float, float]:
        """Shift onto the window mean and rebuild both sums with a fresh two-pass (O(n), rare)."""
        self.countdown = _RESEED_EVERY * self.n
        inv = self.inv
        values = self.window.values()
        total = 0.0
        for value in values:
            total += value
        shift = total * inv
        t1 = 0.0
        t2 = 0.0
        for value in values:
            d = value - shift
            t1 += d
            t2 += d * d
        mean = t1 * inv
        variance = t2 * inv - mean * mean
        if variance < 0.000000000001 * (t2 * inv):
            variance = 0.0
        self.shift = shift
        d = oldest - shift
        return variance, t1 - d, t2 - d * d

    def dump(self) -> State:
        return {
            "window": self.window.values(),
            "shift": self.shift,
            "sums": [self.t1, self.t2],
            "countdown": self.countdown,
        }

    def load(self, state: State) -> None:
        self.window = _Window.load(self.n, state["window"])
        self.shift = float(state["shift"])
        t1, t2 = state["sums"]
        self.t1, self.t2 = float(t1), float(t2)
        self.countdown = int(state["countdown"])


class STDDEV(_CloseTracker[float]):
    """Population standard deviation over the window, times `nbdev`."""

    kind = "stddev"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 5, "nbdev": 1.0}

    def __init__(self, timeperiod: int = 5, nbdev: float = 1.0) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 2)
        self.nbdev = _real("nbdev", nbdev)
        self._variance = _RollingVariance(self.n)

    def push(self, x: float) -> float | None:
        if not isfinite(x):
            _refuse(x)
        variance = self._variance.push(x)
        self._count += 1
        if variance is None:
            return None
        deviation = math.sqrt(variance) if variance > 0.0 else 0.0
        self._value = deviation * self.nbdev if self.nbdev != 1.0 else deviation
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n, "nbdev": self.nbdev}

    @property
    def lookback(self) -> int:
        return self.n - 1

    @property
    def replay_bars(self) -> int:
        return self.n

    def _dump(self) -> State:
        return {"value": self._value, **self._variance.dump()}

    def _load(self, state: State) -> None:
        self._variance.load(state)
        self._value = None if state["value"] is None else float(state["value"])


class BBANDS(_CloseTracker[Bands]):
    """Bollinger bands around the SMA (TA-Lib's matype 0), population deviation."""

    kind = "bbands"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}

    def __init__(self, timeperiod: int = 20, nbdevup: float = 2.0, nbdevdn: float = 2.0) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 2)
        self.nbdevup = _real("nbdevup", nbdevup)
        self.nbdevdn = _real("nbdevdn", nbdevdn)
        self._variance = _RollingVariance(self.n)
        self._sum = _Sum()

    def push(self, x: float) -> Bands | None:
        if not isfinite(x):
            _refuse(x)
        variance = self._variance.push(x)
        left = self._variance.left
        if left is None:
            self._sum.add(x)
        else:
            self._sum.swap(left, x)
        self._count += 1
        if variance is None:
            return None
        middle = self._sum.total / self.n
        deviation = math.sqrt(variance) if variance > 0.0 else 0.0
        if self.nbdevup == self.nbdevdn:
            width = deviation * self.nbdevup
            self._value = Bands(middle + width, middle, middle - width)
        else:
            self._value = Bands(middle + deviation * self.nbdevup, middle, middle - deviation * self.nbdevdn)
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n, "nbdevup": self.nbdevup, "nbdevdn": self.nbdevdn}

    @property
    def lookback(self) -> int:
        return self.n - 1

    @property
    def replay_bars(self) -> int:
        return self.n

    def _dump(self) -> State:
        return {
            "value": None if self._value is None else list(self._value),
            "sum": self._sum.dump(),
            **self._variance.dump(),
        }

    def _load(self, state: State) -> None:
        self._variance.load(state)
        self._sum = _Sum.load(state["sum"])
        value = state["value"]
        self._value = None if value is None else Bands(*(float(v) for v in value))
