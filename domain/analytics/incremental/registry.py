"""Trackers by TA-Lib's indicator name: a fresh one from parameters, or one restored from its state."""

from __future__ import annotations

from typing import Any

from domain.analytics.incremental.averages import EMA, SMA, WMA
from domain.analytics.incremental.base import State, Tracker
from domain.analytics.incremental.dispersion import BBANDS, STDDEV
from domain.analytics.incremental.momentum import MACD, RSI
from domain.analytics.incremental.range import ATR
from domain.analytics.incremental.volume import VWAP
from domain.shared.errors import FieldError, InvalidInput

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
