"""The last n values of a stream in a ring buffer."""

from __future__ import annotations


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
