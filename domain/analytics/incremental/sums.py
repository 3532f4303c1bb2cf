"""Neumaier-compensated running sums: no drift over millions of updates."""

from __future__ import annotations

_SPLITTER = 134217729.0  # 2**27 + 1


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
