"""Every TA-Lib function over bars: what it takes, checked parameters, and its outputs.

TA-Lib already does these well (and matches what traders compare against), so we only describe and
call it: inputs come from the bars' columns by TA-Lib's own default mapping, parameters are converted
from text and checked by TA-Lib's lookback function (-1 means out of range).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any, Literal

import msgspec
import numpy as np
import talib

from domain.analytics.series import Bars, Floats
from domain.shared.errors import FieldError, InvalidInput, NotFound

ParameterKind = Literal["real", "integer", "ma_type"]
# TA-Lib's MA types (the `matype` parameters): 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA, 7 MAMA, 8 T3.
MA_TYPES = 9
_KINDS: dict[int, ParameterKind] = {0: "real", 1: "real", 2: "integer", 3: "ma_type"}
# Untyped in TA-Lib's stubs: the abstract API and the C library's parameter metadata.
_abstract: Any = importlib.import_module("talib.abstract")
_ta_lib: Any = importlib.import_module("talib._ta_lib")


class UnknownIndicator(NotFound):
    title = "Unknown indicator"


class ParameterInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: ParameterKind
    default: float | int
    description: str


class IndicatorInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    group: str
    display_name: str
    inputs: list[str]
    parameters: list[ParameterInfo]
    outputs: list[str]


@cache
def catalog() -> dict[str, IndicatorInfo]:
    """Every function of the installed TA-Lib, by name."""
    found = {}
    for name in talib.get_functions():
        function = _abstract.Function(name)
        info = function.info
        inputs: list[str] = []
        for value in info["input_names"].values():
            inputs += value if isinstance(value, list) else [value]
        parameters = []
        for index, parameter in enumerate(info["parameters"]):
            raw = _ta_lib._ta_getOptInputParameterInfo(name.encode(), index)
            parameters.append(
                ParameterInfo(
                    name=parameter,
                    kind=_KINDS.get(raw["type"], "real"),
                    default=raw["default_value"],
                    description=raw["help"],
                )
            )
        found[name] = IndicatorInfo(
            name=name,
            group=info["group"],
            display_name=info["display_name"],
            inputs=inputs,
            parameters=parameters,
            outputs=list(info["output_names"]),
        )
    return found


def describe(name: str) -> IndicatorInfo:
    info = catalog().get(name.upper())
    if info is None:
        raise UnknownIndicator(f"No indicator named {name[:40]!r}; GET /api/v1/analytics/indicators lists them.")
    return info


def parameters(info: IndicatorInfo, given: Mapping[str, str]) -> dict[str, float | int]:
    """The function's parameters from text (defaults for those not given), checked; 422 otherwise."""
    known = {p.name: p for p in info.parameters}
    problems = [FieldError(key, f"{info.name} takes no such parameter") for key in given if key not in known]
    values: dict[str, float | int] = {}
    for name, parameter in known.items():
        text = given.get(name)
        if text is None:
            values[name] = parameter.default
            continue
        try:
            value: float | int = float(text) if parameter.kind == "real" else int(text)
        except ValueError:
            problems.append(FieldError(name, f"must be {'a number' if parameter.kind == 'real' else 'an integer'}"))
            continue
        if parameter.kind == "real" and not np.isfinite(value):
            problems.append(FieldError(name, "must be a finite number"))
        elif parameter.kind != "real" and not -(2**31) <= value < 2**31:
            problems.append(FieldError(name, "out of the range TA-Lib accepts"))
        elif parameter.kind == "ma_type" and not 0 <= int(value) < MA_TYPES:
            problems.append(FieldError(name, f"must be an MA type from 0 to {MA_TYPES - 1}"))
        values[name] = value
    if problems:
        raise InvalidInput(problems)
    if lookback(info, values) < 0:
        raise InvalidInput(
            [FieldError(name, "out of the range TA-Lib accepts") for name in given if name in known]
            or [FieldError("parameters", "out of the range TA-Lib accepts")]
        )
    return values


def lookback(info: IndicatorInfo, values: Mapping[str, float | int]) -> int:
    """Bars consumed before the first output (TA-Lib's own figure; -1 for parameters out of range)."""
    return _lookback(info.name, tuple(sorted(values.items())))


@lru_cache(maxsize=4_096)
def _lookback(name: str, values: tuple[tuple[str, float | int], ...]) -> int:
    # Building TA-Lib's abstract Function costs more than a moving average over a thousand bars.
    function = _abstract.Function(name)
    function.parameters = dict(values)
    result: int = function.lookback
    return result


_COLUMNS = frozenset({"open", "high", "low", "close", "volume"})


# Their outputs are positions in the array TA-Lib was given, which a caller never sees.
_POSITIONAL = frozenset({"MAXINDEX", "MININDEX", "MINMAXINDEX"})


def computable(info: IndicatorInfo) -> IndicatorInfo:
    """The function, if candles give all its inputs (MAVP also wants a series of periods) and its outputs
    mean something outside the call (not array positions); 422 otherwise."""
    missing = [name for name in info.inputs if name not in _COLUMNS]
    if missing:
        raise InvalidInput([FieldError("name", f"{info.name} needs inputs candles do not have: {', '.join(missing)}")])
    if info.name in _POSITIONAL:
        raise InvalidInput([FieldError("name", f"{info.name} returns array positions; use MAX or MIN for values")])
    return info


def compute(info: IndicatorInfo, bars: Bars, values: Mapping[str, float | int]) -> dict[str, Floats]:
    """Each output of the function over the bars, NaN during the warm-up, same length as the bars."""
    # The function itself, not the abstract API: the inputs are the bars' columns in TA-Lib's order.
    function = getattr(talib, info.name)
    outputs: Any = function(*(bars.column(name) for name in info.inputs), **values)
    if isinstance(outputs, np.ndarray):
        outputs = [outputs]
    result = {name: np.asarray(output, dtype=np.float64) for name, output in zip(info.outputs, outputs, strict=True)}
    # TA-Lib pads integer outputs (candle patterns, trend flags) with 0, which reads as "no pattern":
    # the warm-up is NaN for every output, as it already is for the real ones.
    warm_up = min(max(lookback(info, values), 0), len(bars))
    for output in result.values():
        output[:warm_up] = np.nan
    return result
