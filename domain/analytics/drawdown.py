"""Drawdown: how far each close sits below the highest close so far, the deepest fall and where it happened.

Why blocks: the running high is constant except where a new high is made, which on real prices is rare. Cut into
blocks of `HIGH_BLOCK` closes, a block without a new high divides by one number (the high before it) and only the
blocks that set a new high need a running maximum, so the whole costs about one maximum per block and one division
per close instead of a sequential running maximum over every close (numpy's is several times slower than a
vectorised pass). A rising series sets a new high in every block and costs what the plain running maximum does.

Positive IEEE-754 doubles order exactly like their bit patterns read as int64 (and any non-positive value reads as
a smaller int64 than every positive one), so once the first close is positive the maxima run on the integer view,
which numpy vectorises better than the float one; the results are the same closes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

HIGH_BLOCK = 1024
_CHUNK = 1 << 15

FloatArray = NDArray[np.float64]


class Drawdown(NamedTuple):
    """`series[t]` = close[t] / max(close[:t+1]) - 1 (<= 0); `maximum` is its minimum, e.g. -0.25 for a 25% fall,
    from the high at index `peak` to the low at index `trough` (None for an empty series)."""

    series: FloatArray
    maximum: float
    peak: int | None
    trough: int | None


class _Highs(NamedTuple):
    """Per block of `HIGH_BLOCK` closes (the last one may be shorter): its highest close, and the highest close
    before it (its own first close for block 0), as the keys the maxima ran on."""

    block: NDArray[np.generic]
    before: NDArray[np.generic]


def max_drawdown(close: ArrayLike) -> Drawdown:
    """Drawdown series close / running max - 1, its minimum and where it happened.

    `trough` is the first index of the deepest drawdown, `peak` the last index at or before it where the close was
    at its running high. A series that never falls gives 0.0 with peak = trough = 0; an empty one NaN and None.
    """
    closes = np.ascontiguousarray(close, dtype=np.float64)
    if closes.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {closes.shape}")
    if len(closes) == 0:
        return Drawdown(np.empty(0), float("nan"), None, None)
    keys = closes.view(np.int64) if closes[0] > 0.0 else closes
    series = np.empty(len(closes))
    highs = _fall_from_running_high(closes, keys, series)
    trough = int(np.argmin(series))
    if np.isnan(series[trough]):  # a NaN close breaks the precondition: no figure rather than a wrong one
        return Drawdown(series, float("nan"), None, None)
    return Drawdown(series, float(series[trough]), _peak(keys, highs, trough), trough)


def _fall_from_running_high(closes: FloatArray, keys: NDArray[np.generic], out: FloatArray) -> _Highs:
    """out = closes / running high - 1, block by block; returns the block highs for finding the peak."""
    count = len(closes)
    blocks = -(-count // HIGH_BLOCK)
    full = count // HIGH_BLOCK * HIGH_BLOCK
    block_high = np.empty(blocks, dtype=keys.dtype)
    if full:
        np.max(keys[:full].reshape(-1, HIGH_BLOCK), axis=1, out=block_high[: full // HIGH_BLOCK])
    if full < count:
        block_high[-1] = keys[full:].max()
    before = np.empty_like(block_high)
    before[0] = keys[0]
    np.maximum.accumulate(block_high[:-1], out=before[1:])
    highs_before = _as_float(before)
    # Blocks setting a new high (block 0 always: its high so far starts at its first close) come in runs of
    # adjacent blocks, so that a rising series is one running maximum, not one per block; between two runs the high
    # is one number, and a division by a scalar is numpy's fastest (a broadcast one is half as fast).
    records = np.flatnonzero(block_high > before)
    records = records if len(records) and records[0] == 0 else np.concatenate(([0], records))
    breaks = np.flatnonzero(np.diff(records) != 1) + 1
    flat_from = 0  # the first block after the last record run
    for first, last in zip(records[np.r_[0, breaks]], records[np.r_[breaks - 1, len(records) - 1]], strict=True):
        if first > flat_from:
            start, stop = flat_from * HIGH_BLOCK, int(first) * HIGH_BLOCK
            _fall(closes[start:stop], float(highs_before[flat_from]), out[start:stop])
        start, stop = int(first) * HIGH_BLOCK, min((int(last) + 1) * HIGH_BLOCK, count)
        running = np.maximum.accumulate(keys[start:stop])
        np.maximum(running, before[first], out=running)
        _fall(closes[start:stop], _as_float(running), out[start:stop])
        flat_from = int(last) + 1
    if flat_from < blocks:
        start = flat_from * HIGH_BLOCK
        _fall(closes[start:], float(highs_before[flat_from]), out[start:])
    return _Highs(block_high, before)


def _fall(closes: FloatArray, highs: FloatArray | float, out: FloatArray) -> None:
    """out = closes / highs - 1, in chunks that stay in the CPU cache between the division and the subtraction."""
    for start in range(0, len(closes), _CHUNK):
        stop = start + _CHUNK
        chunk = out[start:stop]
        np.divide(closes[start:stop], highs[start:stop] if isinstance(highs, np.ndarray) else highs, out=chunk)
        chunk -= 1.0


def _peak(keys: NDArray[np.generic], highs: _Highs, trough: int) -> int:
    """The last index at or before `trough` whose close is the running high there (c / h == 1 exactly iff c == h):
    in the trough's own block, or else in the last earlier block whose high is that value."""
    block = trough // HIGH_BLOCK
    start = block * HIGH_BLOCK
    high = max(highs.before[block], keys[start : trough + 1].max())
    here = np.flatnonzero(keys[start : trough + 1] == high)
    if len(here):
        return start + int(here[-1])
    earlier = int(np.flatnonzero(highs.block[:block] == high)[-1])
    start = earlier * HIGH_BLOCK
    return start + int(np.flatnonzero(keys[start : start + HIGH_BLOCK] == high)[-1])


def _as_float(keys: NDArray[np.generic]) -> FloatArray:
    """The closes behind keys of the integer view (a view, no copy)."""
    return keys.view(np.float64)
