"""Volume-weighted price: VWAP."""

from __future__ import annotations

from typing import ClassVar

from domain.analytics.incremental.base import BarLike, State, Tracker
from domain.analytics.incremental.inputs import _finite
from domain.analytics.incremental.sums import _Sum


class VWAP(Tracker[float]):
    """Cumulative from the first bar fed (anchor a session by starting a new tracker).

    TA-Lib's VWAP (new in 0.8): Σ(typical·volume)/Σvolume, typical = (H+L+C)/3, no session reset, no warm-up;
    0.0 until some volume has traded, then a zero-volume bar repeats the last value."""

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
