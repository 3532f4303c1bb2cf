"""Moving averages of the close: SMA, EMA and WMA."""

from __future__ import annotations

from math import isfinite
from typing import ClassVar

from domain.analytics.incremental.base import State, _CloseTracker
from domain.analytics.incremental.inputs import _period, _refuse
from domain.analytics.incremental.sums import _Sum
from domain.analytics.incremental.window import _Window


class SMA(_CloseTracker[float]):
    kind = "sma"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 30}

    def __init__(self, timeperiod: int = 30) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 1)
        self._window = _Window(self.n)
        self._sum = _Sum()

    def push(self, x: float) -> float | None:
        if not isfinite(x):
            _refuse(x)
        left = self._window.push(x)
        if left is None:
            self._sum.add(x)
        else:
            self._sum.swap(left, x)
        self._count += 1
        if self._count >= self.n:
            self._value = self._sum.total / self.n
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n}

    @property
    def lookback(self) -> int:
        return self.n - 1

    @property
    def replay_bars(self) -> int:
        return self.n

    def _dump(self) -> State:
        return {"value": self._value, "window": self._window.values(), "sum": self._sum.dump()}

    def _load(self, state: State) -> None:
        self._window = _Window.load(self.n, state["window"])
        self._sum = _Sum.load(state["sum"])
        self._value = None if state["value"] is None else float(state["value"])


class EMA(_CloseTracker[float]):
    """TA-Lib's EMA: seeded with the SMA of its first n inputs, then `prev + (x - prev)·k`, k = 2/(n+1); period 1
    copies."""

    kind = "ema"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 30}

    def __init__(self, timeperiod: int = 30) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 1)
        self._k = 2.0 / (self.n + 1)
        self._seed = 0.0

    def push(self, x: float) -> float | None:
        if not isfinite(x):
            _refuse(x)
        self._count += 1
        n = self.n
        if n == 1:
            self._value = x
        elif self._value is not None:
            prev = self._value
            self._value = ((x - prev) * self._k) + prev
        else:
            self._seed += x
            if self._count == n:
                self._value = self._seed / n
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n}

    @property
    def lookback(self) -> int:
        return self.n - 1

    @property
    def replay_bars(self) -> int | None:
        return 1 if self.n == 1 else None  # period 1 is the input itself

    def _dump(self) -> State:
        return {"value": self._value, "seed": self._seed}

    def _load(self, state: State) -> None:
        self._seed = float(state["seed"])
        self._value = None if state["value"] is None else float(state["value"])


class WMA(_CloseTracker[float]):
    """Weights 1..n, newest heaviest. Window sum S and weighted sum W roll as W' = W - S + n·x, S' = S - old + x."""

    kind = "wma"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 30}

    def __init__(self, timeperiod: int = 30) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 1)
        self._divider = float(self.n) * (self.n + 1) / 2.0
        self._window = _Window(self.n)
        self._sum = _Sum()
        self._weighted = _Sum()

    def push(self, x: float) -> float | None:
        if not isfinite(x):
            _refuse(x)
        window = self._window
        n = self.n
        self._count += 1
        left = window.push(x)
        if n == 1:
            self._value = x
            return x
        if left is not None:
            weighted, total = self._weighted, self._sum
            weighted.add_multiple(n, x)
            weighted.add(-total.s)
            weighted.add(-total.c)
            total.swap(left, x)
        else:
            self._sum.add(x)
            self._weighted.add_multiple(window.size, x)
            if window.size < n:
                return None
        self._value = self._weighted.total / self._divider
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n}

    @property
    def lookback(self) -> int:
        return self.n - 1

    @property
    def replay_bars(self) -> int:
        return self.n

    def _dump(self) -> State:
        return {
            "value": self._value,
            "window": self._window.values(),
            "sum": self._sum.dump(),
            "weighted": self._weighted.dump(),
        }

    def _load(self, state: State) -> None:
        self._window = _Window.load(self.n, state["window"])
        self._sum = _Sum.load(state["sum"])
        self._weighted = _Sum.load(state["weighted"])
        self._value = None if state["value"] is None else float(state["value"])
