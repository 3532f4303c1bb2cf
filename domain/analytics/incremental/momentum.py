"""Momentum of the close: RSI and MACD."""

from __future__ import annotations

from math import isfinite
from typing import ClassVar, NamedTuple

from domain.analytics.incremental.base import State, _CloseTracker
from domain.analytics.incremental.inputs import _period, _refuse


class MACDValue(NamedTuple):
    macd: float
    signal: float
    hist: float


class RSI(_CloseTracker[float]):
    """Wilder's RSI as TA-Lib: the first n changes are averaged, then `avg = (avg·(n-1) + change)·(1/n)`; the index
    is `100·gain/(gain+loss)`, and 0.0 when gain+loss is exactly 0 (a flat series)."""

    kind = "rsi"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"timeperiod": 14}

    def __init__(self, timeperiod: int = 14) -> None:
        super().__init__()
        self.n = _period("timeperiod", timeperiod, 2)
        self._inv = 1.0 / self.n
        self._previous: float | None = None
        self._gain = 0.0
        self._loss = 0.0

    def push(self, x: float) -> float | None:
        if not isfinite(x):
            _refuse(x)
        previous = self._previous
        self._previous = x
        self._count += 1
        if previous is None:
            return None
        change = x - previous
        up = change if change > 0.0 else 0.0
        n = self.n
        if self._count <= n:  # changes 1..n-1 of the seed
            self._gain += up
            self._loss += up - change
            return None
        gain, loss = self._gain, self._loss
        if self._count > n + 1:
            gain *= float(n - 1)
            loss *= float(n - 1)
        gain += up
        loss += up - change
        gain *= self._inv
        loss *= self._inv
        self._gain, self._loss = gain, loss
        total = gain + loss
        self._value = 100.0 * (gain / total) if total > 0.0 else 0.0
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"timeperiod": self.n}

    @property
    def lookback(self) -> int:
        return self.n

    @property
    def replay_bars(self) -> None:
        return None

    def _dump(self) -> State:
        return {"value": self._value, "previous": self._previous, "gain": self._gain, "loss": self._loss}

    def _load(self, state: State) -> None:
        self._previous = None if state["previous"] is None else float(state["previous"])
        self._gain = float(state["gain"])
        self._loss = float(state["loss"])
        self._value = None if state["value"] is None else float(state["value"])


class MACD(_CloseTracker[MACDValue]):
    """TA-Lib's MACD: slow < fast are swapped. Both EMAs start on bar slow-1, so the fast EMA is seeded with the SMA
    of bars slow-fast..slow-1, not of its own first bars; the signal is the EMA of the MACD line seeded with the SMA
    of its first `signal` values; all three outputs start on bar slow+signal-2. Signal period 1: signal is the line
    itself, histogram 0."""

    kind = "macd"
    DEFAULTS: ClassVar[dict[str, int | float]] = {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}

    def __init__(self, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9) -> None:
        super().__init__()
        fast = _period("fastperiod", fastperiod, 2)
        slow = _period("slowperiod", slowperiod, 2)
        self.signal = _period("signalperiod", signalperiod, 1)
        self.fast, self.slow = fast, slow
        # TA-Lib swaps them when slow < fast (and reports the parameters as given).
        self._f, self._s = (slow, fast) if slow < fast else (fast, slow)
        self._kf = 2.0 / (self._f + 1)
        self._ks = 2.0 / (self._s + 1)
        self._kg = 2.0 / (self.signal + 1)
        self._fast_ema = 0.0  # the seed sum until bar slow-1, the EMA after
        self._slow_ema = 0.0
        self._signal_ema = 0.0  # the seed sum of the MACD line until its `signal`-th value, the EMA after

    def push(self, x: float) -> MACDValue | None:
        if not isfinite(x):
            _refuse(x)
        self._count += 1
        count, f, s = self._count, self._f, self._s
        if count < s:
            self._slow_ema += x
            if count > s - f:  # the fast EMA's seed is the tail of the slow one's
                self._fast_ema += x
            return None
        if count == s:
            self._slow_ema = (self._slow_ema + x) / s
            self._fast_ema = (self._fast_ema + x) / f
        else:
            fast, slow = self._fast_ema, self._slow_ema
            self._fast_ema = ((x - fast) * self._kf) + fast
            self._slow_ema = ((x - slow) * self._ks) + slow
        line = self._fast_ema - self._slow_ema
        g = self.signal
        nth = count - s + 1  # 1-based index of this MACD-line value
        if nth < g:
            self._signal_ema += line
            return None
        if nth == g:
            signal = (self._signal_ema + line) / g
        elif g == 1:
            signal = line
        else:
            previous = self._signal_ema
            signal = ((line - previous) * self._kg) + previous
        self._signal_ema = signal
        self._value = MACDValue(line, signal, line - signal)
        return self._value

    def params(self) -> dict[str, int | float]:
        return {"fastperiod": self.fast, "slowperiod": self.slow, "signalperiod": self.signal}

    @property
    def lookback(self) -> int:
        return self._s - 1 + self.signal - 1

    @property
    def replay_bars(self) -> int | None:
        return self.lookback + 1 if self._f == self._s else None  # equal periods: the line is always 0

    def _dump(self) -> State:
        return {
            "value": None if self._value is None else list(self._value),
            "emas": [self._fast_ema, self._slow_ema, self._signal_ema],
        }

    def _load(self, state: State) -> None:
        fast, slow, signal = state["emas"]
        self._fast_ema, self._slow_ema, self._signal_ema = float(fast), float(slow), float(signal)
        value = state["value"]
        self._value = None if value is None else MACDValue(*(float(v) for v in value))
