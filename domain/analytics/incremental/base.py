"""Indicators updated one closed candle at a time, equal to TA-Lib's batch result on the same series.

Each tracker holds just enough state to turn the next bar into the next value in constant time: running
sums over a ring buffer for the window indicators, the last smoothed value for the recursive ones. Fed the
same bars from the first one, `update` returns what TA-Lib 0.8.2 puts at that index (relative tolerance
1e-9) and `None` exactly where TA-Lib has its leading NaNs (`lookback` bars).

TA-Lib's conventions reproduced (ta_codegen/input/*.c of the TA-Lib 0.8 sources, checked against the wheel):
- EMA: seeded with the SMA of its first n inputs, then `prev + (x - prev)·k`, k = 2/(n+1); period 1 copies.
- RSI (Wilder): the first n changes are averaged, then `avg = (avg·(n-1) + change)·(1/n)`; the index is
  `100·gain/(gain+loss)`, and 0.0 when gain+loss is exactly 0 (a flat series).
- MACD: slow < fast are swapped. Both EMAs start on bar slow-1, so the fast EMA is seeded with the SMA of
  bars slow-fast..slow-1, not of its own first bars; the signal is the EMA of the MACD line seeded with the
  SMA of its first `signal` values; all three outputs start on bar slow+signal-2. Signal period 1: signal
  is the line itself, histogram 0.
- BBANDS (SMA middle) and STDDEV: population deviation from TA-Lib's cancellation-free variance: the running
  sums are of deviations from a shift, re-anchored on the window mean (a fresh two-pass over the window)
  every 32·n bars or as soon as the subtraction would lose digits; a re-anchored variance under 1e-12 of the
  window's mean squared deviation is 0, so a window of identical values has a deviation of exactly 0.
- ATR: true range from bar 1 (bar 0 has no previous close); seeded with the mean of TR[1..n] on bar n, then
  `(1/n)·TR + ((n-1)/n)·ATR`.
- VWAP (new in 0.8): cumulative Σ(typical·volume)/Σvolume from the first bar, typical = (H+L+C)/3, no session
  reset, no warm-up; 0.0 until some volume has traded, then a zero-volume bar repeats the last value.
TA-Lib's C code is compiled with fused multiply-adds in places (the signal EMA, ATR); Python rounds each
operation, so values may differ from the batch in the last bit or two (far below 1e-9).

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

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Iterable
from math import isfinite
from typing import Any, ClassVar, Generic, NamedTuple, NoReturn, Protocol, Self, SupportsFloat, SupportsIndex, TypeVar

from domain.shared.errors import FieldError, InvalidInput

V = TypeVar("V")
State = dict[str, Any]  # JSON-ready: str, int, float, None and lists of floats only

MAX_PERIOD = 100_000  # TA-Lib's upper bound for every period parameter
STATE_VERSION = 1  # bumped when a state's layout changes: an older cached state is then refused, not misread
_RESEED_EVERY = 32  # variance re-anchoring interval, in windows (TA-Lib's var.c)
_SPLITTER = 134217729.0  # 2**27 + 1


class BarLike(Protocol):
    """Anything with a bar's high, low, close and volume: a market `Candle` (Decimals) or a `Bar` (floats)."""

    @property
    def high(self) -> SupportsFloat: ...

    @property
    def low(self) -> SupportsFloat: ...

    @property
    def close(self) -> SupportsFloat: ...

    @property
    def volume(self) -> SupportsFloat: ...


class Bar(NamedTuple):
    high: float
    low: float
    close: float
    volume: float = 0.0


class MACDValue(NamedTuple):
    macd: float
    signal: float
    hist: float


class Bands(NamedTuple):
    upper: float
    middle: float
    lower: float


def _refuse(value: float) -> NoReturn:
    raise ValueError(f"indicator inputs must be finite numbers, got {value!r}")


def _finite(*values: float) -> None:
    for value in values:
        if not isfinite(value):
            _refuse(value)


def _period(name: str, value: object, minimum: int) -> int:
    """An integer period in TA-Lib's range (numpy integers welcome, floats and bools not)."""
    period = operator.index(value) if isinstance(value, SupportsIndex) and not isinstance(value, bool) else None
    if period is None or not minimum <= period <= MAX_PERIOD:
        raise InvalidInput.field(name, f"must be an integer from {minimum} to {MAX_PERIOD}")
    return period


def _real(name: str, value: object) -> float:
    number = float(value) if isinstance(value, SupportsFloat) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number):
        raise InvalidInput.field(name, "must be a finite number")
    return number


class _Sum:
    """Neumaier-compensated running sum: `total` stays within a few ulps of the exact sum of what was added."""

    __slots__ = ("c", "s")

    def __init__(self, s: float = 0.0, c: float = 0.0) -> None:
        self.s = s
        self.c = c

    def add(self, value: float) -> None:
        s = self.s
        t = s + value
        if abs(s) >= abs(value):
            self.c += (s - t) + value
        else:
            self.c += (value - t) + s
        self.s = t

    @property
    def total(self) -> float:
        return self.s + self.c

    def dump(self) -> list[float]:
        return [self.s, self.c]

    def swap(self, out: float, value: float) -> None:
        """Take `out` away and add `value`: one window slot changing hands."""
        s, c = self.s, self.c
        gone = -out
        t = s + gone
        if abs(s) >= abs(gone):
            c += (s - t) + gone
        else:
            c += (gone - t) + s
        s = t
        t = s + value
        if abs(s) >= abs(value):
            c += (s - t) + value
        else:
            c += (value - t) + s
        self.s = t
        self.c = c

    def add_multiple(self, k: int, value: float) -> None:
        """Add k·value with no rounding: value split in two halves of at most 27 bits (Veltkamp), so each
        product by k is exact while k < 2**26 (periods stop at 1e5). A rounded k·value would leave its rounding
        error in the weighted sum for good, and those errors add up over millions of bars."""
        scaled = _SPLITTER * value
        high = scaled - (scaled - value)
        self.add(k * high)
        self.add(k * (value - high))

    @classmethod
    def load(cls, raw: list[float]) -> _Sum:
        s, c = raw
        return cls(float(s), float(c))


class _Window:
    """The last n values in a ring buffer."""

    __slots__ = ("buf", "n", "pos", "size")

    def __init__(self, n: int) -> None:
        self.n = n
        self.buf = [0.0] * n
        self.pos = 0
        self.size = 0

    def push(self, value: float) -> float | None:
        """Append; the value that left the window to make room (None while it is filling)."""
        pos = self.pos
        left: float | None = self.buf[pos] if self.size == self.n else None
        self.buf[pos] = value
        self.pos = pos + 1 if pos + 1 < self.n else 0
        if left is None:
            self.size += 1
        return left

    def values(self) -> list[float]:
        """Oldest first."""
        if self.size < self.n:
            return self.buf[: self.size]
        return self.buf[self.pos :] + self.buf[: self.pos]

    @classmethod
    def load(cls, n: int, values: list[float]) -> _Window:
        if len(values) > n:
            raise ValueError(f"a window of {n} cannot hold {len(values)} values")
        window = cls(n)
        for value in values:
            window.push(float(value))
        return window


class _RollingVariance:
    """TA-Lib's VAR (var.c) one bar at a time: population variance from shifted sums, re-anchored when stale."""

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


class Tracker(ABC, Generic[V]):
    """The latest value of one indicator over a stream of closed bars."""

    kind: ClassVar[str]
    DEFAULTS: ClassVar[dict[str, int | float]]  # TA-Lib's defaults, under TA-Lib's parameter names

    def __init__(self) -> None:
        self._count = 0
        self._value: V | None = None

    @abstractmethod
    def update(self, bar: BarLike) -> V | None:
        """Take the next closed bar; the indicator's value on it, or None during the warm-up."""

    @abstractmethod
    def params(self) -> dict[str, int | float]:
        """The parameters, under TA-Lib's names."""

    @property
    @abstractmethod
    def lookback(self) -> int:
        """Bars consumed before the first value (TA-Lib's lookback: its count of leading NaNs)."""

    @property
    @abstractmethod
    def replay_bars(self) -> int | None:
        """How many of the last bars rebuild the value by re-feeding; None when only the whole history does."""

    @property
    def value(self) -> V | None:
        return self._value

    @property
    def warm(self) -> bool:
        return self._value is not None

    @property
    def count(self) -> int:
        """Bars taken so far."""
        return self._count

    def to_state(self) -> State:
        state = {"kind": self.kind, "version": STATE_VERSION, "params": self.params(), "count": self._count}
        return state | self._dump()

    @classmethod
    def from_state(cls, state: State) -> Self:
        if state.get("kind") != cls.kind:
            raise ValueError(f"a {state.get('kind')!r} state cannot restore a {cls.kind!r} tracker")
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"a state of version {state.get('version')!r} cannot be restored (now {STATE_VERSION})")
        try:
            restored = cls(**state["params"])
            restored._count = int(state["count"])
            restored._load(state)
        except (KeyError, TypeError, ValueError, InvalidInput) as error:
            raise ValueError(f"malformed {cls.kind} state: {error}") from error
        return restored

    @abstractmethod
    def _dump(self) -> State: ...

    @abstractmethod
    def _load(self, state: State) -> None: ...

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.params().items())
        return f"{type(self).__name__}({arguments})"


class _CloseTracker(Tracker[V]):
    """An indicator of the close alone; `push(close)` is the fast path for floats."""

    def update(self, bar: BarLike) -> V | None:
        return self.push(float(bar.close))

    @abstractmethod
    def push(self, x: float) -> V | None: ...


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


class RSI(_CloseTracker[float]):
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


class ATR(Tracker[float]):
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


class VWAP(Tracker[float]):
    """Cumulative from the first bar fed (anchor a session by starting a new tracker)."""

    kind = "vwap"
    DEFAULTS: ClassVar[dict[str, int | float]] = {}

    def __init__(self) -> None:
        super().__init__()
        self._price_volume = _Sum()
        self._volume = _Sum()

    def update(self, bar: BarLike) -> float:
        return self.push(float(bar.high), float(bar.low), float(bar.close), float(bar.volume))

    def push(self, high: float, low: float, close: float, volume: float) -> float:
        _finite(high, low, close, volume)
        typical = (high + low + close) / 3.0
        self._price_volume.add(typical * volume)
        self._volume.add(volume)
        self._count += 1
        volume_total = self._volume.total
        if volume_total > 0.0:
            self._value = self._price_volume.total / volume_total
        elif self._value is None:
            self._value = 0.0
        return self._value

    def params(self) -> dict[str, int | float]:
        return {}

    @property
    def lookback(self) -> int:
        return 0

    @property
    def replay_bars(self) -> None:
        return None

    def _dump(self) -> State:
        return {"value": self._value, "price_volume": self._price_volume.dump(), "volume": self._volume.dump()}

    def _load(self, state: State) -> None:
        self._price_volume = _Sum.load(state["price_volume"])
        self._volume = _Sum.load(state["volume"])
        self._value = None if state["value"] is None else float(state["value"])


KINDS: dict[str, type[Tracker[Any]]] = {cls.kind: cls for cls in (SMA, EMA, WMA, RSI, MACD, BBANDS, ATR, STDDEV, VWAP)}


def tracker(name: str, **params: int | float) -> Tracker[Any]:
    """A fresh tracker by TA-Lib's name (any case) and parameter names; TA-Lib's defaults for those not given."""
    cls = KINDS.get(name.lower())
    if cls is None:
        raise InvalidInput.field("indicator", f"no incremental tracker for {name[:40]!r}; known: {', '.join(KINDS)}")
    unknown = [key for key in params if key not in cls.DEFAULTS]
    if unknown:
        raise InvalidInput([FieldError(key, f"{cls.kind.upper()} takes no such parameter") for key in unknown])
    return cls(**params)


def restore(state: State) -> Tracker[Any]:
    """The tracker a `to_state()` dict was taken from, ready to take the next bar."""
    cls = KINDS.get(str(state.get("kind")))
    if cls is None:
        raise ValueError(f"no tracker kind {state.get('kind')!r}")
    return cls.from_state(state)


def replay(target: Tracker[V], bars: Iterable[BarLike]) -> V | None:
    """Feed stored bars, oldest first; the value after the last one."""
    for bar in bars:
        target.update(bar)
    return target.value
