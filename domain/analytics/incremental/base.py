"""What every tracker is: the `Tracker` base class, the bars it takes, its versioned state and `replay`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, Self, SupportsFloat, TypeVar

from domain.shared.errors import InvalidInput

V = TypeVar("V")
State = dict[str, Any]  # JSON-ready: str, int, float, None and lists of floats only

STATE_VERSION = 1  # bumped when a state's layout changes: an older cached state is then refused, not misread


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


def replay(target: Tracker[V], bars: Iterable[BarLike]) -> V | None:
    """Feed stored bars, oldest first; the value after the last one."""
    for bar in bars:
        target.update(bar)
    return target.value
