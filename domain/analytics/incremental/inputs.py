"""Validation of what trackers are given: bar inputs must be finite, periods and multipliers in TA-Lib's range."""

from __future__ import annotations

import math
import operator
from math import isfinite
from typing import NoReturn, SupportsFloat, SupportsIndex

from domain.shared.errors import InvalidInput

MAX_PERIOD = 100_000  # TA-Lib's upper bound for every period parameter


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
