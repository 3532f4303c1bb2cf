"""Range of the bars: ATR, Wilder's average true range."""

from __future__ import annotations

from typing import ClassVar

from domain.analytics.incremental.base import BarLike, State, Tracker
from domain.analytics.incremental.inputs import _finite, _period


class ATR(Tracker[float]):
    """TA-Lib's ATR: true range from bar 1 (bar 0 has no previous close); seeded with the mean of TR[1..n] on bar n,
    then `(1/n)·TR + ((n-1)/n)·ATR`."""

    kind = "atr"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 14}

    def __init__(self, timeperiod: int = 14) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 1)
        self._beta = float(self.n - 1) / float(self.n)
        self._alpha = 1.0 - self._beta
        self._previous_close: float | None = None
        self._seed = 0.0

    def update(self, bar: BarLike) -> float | None:
        return self.push(float(bar.high), float(bar.low), float(bar.close))

    def push(self, high: float, low: float, close: float) -> float | None:
        _finite(high, low, close)
        previous = self._previous_close
        self._previous_close = close
        self._count += 1
        if previous is None:
            return None
        true_range = high - low
        from_high = abs(previous - high)
        if from_high > true_range:
            true_range = from_high
        from_low = abs(previous - low)
        if from_low > true_range:
            true_range = from_low
        n = self.n
        if self._value is not None:
            self._value = self._alpha * true_range + self._beta * self._value
        else:
            self._seed += true_range
            if self._count == n + 1:
                self._value = self._seed / n
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n}

    @property
    def lookback(self) -> int:
        return self.n

    @property
    def replay_bars(self) -> int | None:
        return 2 if self.n == 1 else None  # period 1 is the true range of the last bar

    def _dump(self) -> State:
        return {"value": self._value, "previous_close": self._previous_close, "seed": self._seed}

    def _load(self, state: State) -> None:
        previous = state["previous_close"]
        self._previous_close = None if previous is None else float(previous)
        self._seed = float(state["seed"])
        self._value = None if state["value"] is None else float(state["value"])
