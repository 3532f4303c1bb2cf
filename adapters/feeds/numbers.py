"""Checks of the numbers in exchange frames: a price must be positive, a size never negative."""

from __future__ import annotations

from decimal import Decimal

from adapters.feeds.errors import MalformedFrame


def positive(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise MalformedFrame(f"{field} must be a positive number, got {value}")
    return value


def non_negative(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value < 0:
        raise MalformedFrame(f"{field} must not be negative, got {value}")
    return value
