"""Steps of the analytics features: indicators over imported candles, checked against TA-Lib itself.

Candles go in through the admin import, dated 2025 and filed under exchanges of the scenario's own
("history", "archive"), so the simulated exchange's live candles never mix with them. The steps keep
every candle they imported, and the expected points are TA-Lib's own result over exactly those candles:
of the interval asked for (1m as imported, higher intervals rolled up from the minutes), one per bucket,
a bucket without a candle being a flat candle at the previous close with no volume.

Whether a request was answered from the cache is read from `/metrics`, around that one request.
"""

from __future__ import annotations

import importlib
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import httpx
import numpy as np
import pandas as pd
import pytest
import talib
from parse import with_pattern
from prometheus_client.parser import text_string_to_metric_families
from pytest_bdd import given, parsers, then, when

from .conftest import Account, Http
from .market_steps import Attempt, check_each_attempt, eventually, format_time, record_attempt, rfc3339
from .market_steps_candles import import_candles, plain_csv

ANALYTICS_PATH = "/api/v1/analytics"
DEFAULT_LIMIT = 500
MINUTE = timedelta(minutes=1)
TICK = Decimal("0.0001")
START_PRICE = Decimal("100")
# The points are TA-Lib's within this; they are computed by the same C code over the same closes, but the
# closes travel through the store as decimal text.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-9
PANDAS_FREQUENCIES = {"1m": "1min", "5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "1d": "1D"}
INTERVAL_DURATIONS = {
    "1m": MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
}
# TA-Lib's parameter kinds as the catalogue names them.
KINDS = ("integer", "real", "ma_type")
# `talib.abstract` is untyped: TA-Lib's own description of each function, and a call by name on a dict of columns.
_abstract: Any = importlib.import_module("talib.abstract")


def _matching(pattern: str) -> Any:
    @with_pattern(pattern)
    def text(value: str) -> str:
        return value

    return text


# Names are capitalised words, exchanges lower-case words, symbols have no spaces, parameters are JSON objects.
_TYPES = {
    "Name": _matching(r"[A-Z][a-z]+"),
    "Text": _matching(r'[^"]*'),
    "Symbol": _matching(r'[^\s"]+'),
    "Exchange": _matching(r"[a-z]+"),
    "Interval": _matching(r"[0-9]+[a-z]"),
    "Json": _matching(r"\{[^}]*\}"),
}
step = partial(parsers.parse, extra_types=_TYPES)


# --- candles the scenario imported ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One imported 1m candle, its prices as the decimal text the CSV carries."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def csv(self) -> str:
        return f"{format_time(self.open_time)},{self.open},{self.high},{self.low},{self.close},{self.volume}"


def walk_minute(symbol: str, exchange: str, moment: datetime, previous_close: Decimal) -> Row:
    """The minute at `moment` of a random walk, opening at the previous close; the same on every run."""
    seed = [zlib.crc32(f"{symbol}/{exchange}".encode()), int(moment.timestamp()) // 60]
    rng = np.random.default_rng(seed)
    step_, up, down = rng.normal(0, 0.002), rng.uniform(0, 0.001), rng.uniform(0, 0.001)
    open_ = previous_close
    close = (open_ * Decimal(math.exp(step_))).quantize(TICK, ROUND_HALF_EVEN)
    high = (max(open_, close) * Decimal(1 + up)).quantize(TICK)
    low = (min(open_, close) * Decimal(1 - down)).quantize(TICK)
    volume = Decimal(rng.uniform(0.1, 20)).quantize(Decimal("0.001"))
    return Row(moment, open_, max(high, open_, close), min(low, open_, close), close, volume)


@dataclass
class Stored:
    """Every 1m candle the scenario imported, per symbol and exchange, by open time."""

    series: dict[tuple[str, str], dict[datetime, Row]] = field(default_factory=dict)

    def rows(self, symbol: str, exchange: str) -> dict[datetime, Row]:
        return self.series.setdefault((symbol, exchange), {})

    def walk(self, symbol: str, exchange: str, first: datetime, count: int) -> list[Row]:
        """`count` minutes of the walk from `first`, continuing from the candle stored before it, if any."""
        before = [row for moment, row in self.rows(symbol, exchange).items() if moment < first]
        close = max(before, key=lambda row: row.open_time).close if before else START_PRICE
        rows = []
        for n in range(count):
            row = walk_minute(symbol, exchange, first + n * MINUTE, close)
            rows.append(row)
            close = row.close
        return rows

    def last_time(self, symbol: str, exchange: str) -> datetime:
        rows = self.rows(symbol, exchange)
        assert rows, f"no {symbol} candles were imported into {exchange}"
        return max(rows)


@pytest.fixture
def stored() -> Stored:
    return Stored()


def import_rows(http: Http, account: Account, stored: Stored, symbol: str, exchange: str, rows: list[Row]) -> None:
    response = import_candles(http, account, symbol, "1m", plain_csv(*(row.csv() for row in rows)), exchange=exchange)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == len(rows), response.text
    stored.rows(symbol, exchange).update((row.open_time, row) for row in rows)


def bars_of(rows: Mapping[datetime, Row], interval: str) -> pd.DataFrame:
    """The stored minutes as TA-Lib's inputs: rolled up to `interval`, one per bucket, gaps flat at the last close."""
    frame = pd.DataFrame(
        [
            (row.open_time, float(row.open), float(row.high), float(row.low), float(row.close), float(row.volume))
            for row in sorted(rows.values(), key=lambda row: row.open_time)
        ],
        columns=["time", "open", "high", "low", "close", "volume"],
    ).set_index("time")
    frequency = PANDAS_FREQUENCIES[interval]
    if interval != "1m":
        rollup = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        frame = frame.resample(frequency, label="left", closed="left").agg(rollup).dropna(subset=["close"])
    frame = frame.reindex(pd.date_range(frame.index[0], frame.index[-1], freq=frequency))
    close = frame["close"].ffill()
    for column in ("open", "high", "low"):
        frame[column] = frame[column].fillna(close)
    frame["close"] = close
    frame["volume"] = frame["volume"].fillna(0.0)
    return frame


def talib_outputs(function: str, parameters: Mapping[str, Any], bars: pd.DataFrame) -> dict[str, np.ndarray]:
    """TA-Lib's outputs of `function` over the bars, named as the API names them ("value" when there is one).

    Null (NaN) during TA-Lib's lookback, also for the functions with integer outputs (the candlestick
    patterns), to which TA-Lib gives 0 there: not "no pattern", but not computed.
    """
    described = _abstract.Function(function)
    described.parameters = dict(parameters)
    computed = described({name: bars[name].to_numpy() for name in bars.columns})
    names = list(described.output_names)
    columns = [computed] if isinstance(computed, np.ndarray) else list(computed)
    if len(names) == 1:
        names = ["value"]
    outputs = {name: np.asarray(column, dtype=np.float64) for name, column in zip(names, columns, strict=True)}
    for column in outputs.values():
        column[: described.lookback] = np.nan
    return outputs


def same_number(actual: Any, expected: float) -> bool:
    if math.isnan(expected):
        return actual is None
    return isinstance(actual, float | int) and math.isclose(
        actual, expected, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE
    )


# --- asking for analytics ---------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """An analytics request, its response, and what the cache counted while it was answered."""

    url: str
    query: dict[str, str]
    response: httpx.Response
    hits: float
    misses: float

    @property
    def outcome(self) -> str:
        return {(1, 0): "hit", (0, 1): "miss"}.get((int(self.hits), int(self.misses)), "neither")


@pytest.fixture
def asked() -> list[Asked]:
    return []


def cache_counts(http: Http) -> tuple[float, float]:
    """Hits and misses of the indicator cache so far, as `/metrics` reports them."""
    response = http.client.get("/metrics")
    assert response.status_code == 200, response.text
    counts = {"hit": 0.0, "miss": 0.0}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "cap_analytics_cache_total" and sample.labels.get("kind") == "indicator":
                counts[sample.labels["outcome"]] += sample.value
    return counts["hit"], counts["miss"]


def query_text(text: str) -> str:
    """A query as the feature writes it; `(defaults)` stands for none."""
    return "" if text == "(defaults)" else text


def analytics_url(path: str, symbol: str, exchange: str, query: str) -> str:
    parts = [part for part in (query_text(query), f"exchange={exchange}") if part]
    return f"{ANALYTICS_PATH}/{path}/{symbol}?{'&'.join(parts)}"


def ask_url(http: Http, asked: list[Asked], url: str) -> Asked:
    hits, misses = cache_counts(http)
    response = http.client.get(url)
    http.responses.append(response)
    hits_after, misses_after = cache_counts(http)
    query = dict(parse_qsl(url.partition("?")[2], keep_blank_values=True))
    asked.append(Asked(url, query, response, hits_after - hits, misses_after - misses))
    return asked[-1]


def ask(http: Http, asked: list[Asked], path: str, symbol: str, exchange: str, query: str) -> Asked:
    return ask_url(http, asked, analytics_url(path, symbol, exchange, query))


def last_asked(asked: list[Asked]) -> Asked:
    assert asked, "no analytics were asked for"
    return asked[-1]


def points_of(asked: Asked) -> list[dict[str, Any]]:
    assert asked.response.status_code == 200, asked.response.text
    body = asked.response.json()
    points: list[dict[str, Any]] = body["points"]
    for point in points:
        assert sorted(point) == sorted(["time", *body["outputs"]]), point
    return points


def computed_afresh(http: Http, asked: list[Asked], url: str) -> Asked:
    """Asks until the answer is computed rather than cached: the invalidation is asynchronous."""

    def probe() -> Asked | None:
        answer = ask_url(http, asked, url)
        assert answer.response.status_code == 200, answer.response.text
        assert answer.outcome in ("hit", "miss"), f"{url}: the cache counted {answer.hits} hits, {answer.misses} misses"
        return answer if answer.outcome == "miss" else None

    return eventually(probe, f"{url} computed afresh")


# --- given --------------------------------------------------------------------------------------


@given(
    step(
        "{name:Name} has imported {count:d} {symbol:Symbol} minutes of a random walk into {exchange:Exchange} from "
        '"{first:Text}"'
    )
)
def has_imported_walk(
    http: Http,
    accounts: dict[str, Account],
    stored: Stored,
    name: str,
    count: int,
    symbol: str,
    exchange: str,
    first: str,
) -> None:
    import_rows(http, accounts[name], stored, symbol, exchange, stored.walk(symbol, exchange, rfc3339(first), count))


@given(
    step(
        "{name:Name} has imported {count:d} {symbol:Symbol} minutes of a random walk into {exchange:Exchange} from "
        '"{first:Text}" without the minutes "{missing:Text}"'
    )
)
def has_imported_walk_with_gaps(
    http: Http,
    accounts: dict[str, Account],
    stored: Stored,
    name: str,
    count: int,
    symbol: str,
    exchange: str,
    first: str,
    missing: str,
) -> None:
    left_out = {rfc3339(moment.strip()) for moment in missing.split(",")}
    rows = stored.walk(symbol, exchange, rfc3339(first), count)
    assert left_out <= {row.open_time for row in rows}, f"{missing} is not among the minutes imported"
    import_rows(http, accounts[name], stored, symbol, exchange, [row for row in rows if row.open_time not in left_out])


@given(step('someone has asked for the "{path:Text}" of {symbol:Symbol} on {exchange:Exchange} with "{query:Text}"'))
def has_asked(http: Http, asked: list[Asked], path: str, symbol: str, exchange: str, query: str) -> None:
    answer = ask(http, asked, path, symbol, exchange, query)
    assert answer.response.status_code == 200, answer.response.text


# --- when ---------------------------------------------------------------------------------------


@when(step('someone asks for the "{path:Text}" of {symbol:Symbol} on {exchange:Exchange} with "{query:Text}"'))
def asks(http: Http, asked: list[Asked], path: str, symbol: str, exchange: str, query: str) -> None:
    ask(http, asked, path, symbol, exchange, query)


@when(
    step(
        'someone asks for the newest {limit:d} points of the "{path:Text}" of {symbol:Symbol} on {exchange:Exchange} '
        'with "{query:Text}"'
    )
)
def asks_newest(http: Http, asked: list[Asked], limit: int, path: str, symbol: str, exchange: str, query: str) -> None:
    ask(http, asked, path, symbol, exchange, "&".join(part for part in (query_text(query), f"limit={limit}") if part))


@when("someone asks for it again")
def asks_again(http: Http, asked: list[Asked]) -> None:
    ask_url(http, asked, last_asked(asked).url)


@when(
    step("{name:Name} imports the next {count:d} {symbol:Symbol} minutes of the random walk into {exchange:Exchange}")
)
def imports_next(
    http: Http, accounts: dict[str, Account], stored: Stored, name: str, count: int, symbol: str, exchange: str
) -> None:
    first = stored.last_time(symbol, exchange) + MINUTE
    import_rows(http, accounts[name], stored, symbol, exchange, stored.walk(symbol, exchange, first, count))


@when(
    step(
        "{name:Name} imports {count:d} {symbol:Symbol} minutes of a random walk into {exchange:Exchange} from "
        '"{first:Text}"'
    )
)
def imports_walk(
    http: Http,
    accounts: dict[str, Account],
    stored: Stored,
    name: str,
    count: int,
    symbol: str,
    exchange: str,
    first: str,
) -> None:
    has_imported_walk(http, accounts, stored, name, count, symbol, exchange, first)


@when(
    step(
        '{name:Name} imports the {symbol:Symbol} minute "{moment:Text}" into {exchange:Exchange} again, '
        "its prices {percent:d}% higher"
    )
)
def imports_correction(
    http: Http,
    accounts: dict[str, Account],
    stored: Stored,
    name: str,
    symbol: str,
    moment: str,
    exchange: str,
    percent: int,
) -> None:
    row = stored.rows(symbol, exchange)[rfc3339(moment)]
    factor = 1 + Decimal(percent) / 100
    raised = Row(
        row.open_time,
        *((price * factor).quantize(TICK) for price in (row.open, row.high, row.low, row.close)),
        row.volume,
    )
    import_rows(http, accounts[name], stored, symbol, exchange, [raised])


@when(step("someone tries these analytics requests of {symbol:Symbol} on {exchange:Exchange}"))
def tries_requests(http: Http, attempts: list[Attempt], symbol: str, exchange: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        url = analytics_url(cells["request"], symbol, exchange, cells["query"])
        response = http.client.get(url)
        record_attempt(http, attempts, url, response, field=cells.get("field", ""))


@when(step('someone asks for each of "{requests:Text}" of these symbols on {exchange:Exchange}'))
def tries_symbols(
    http: Http, attempts: list[Attempt], requests: str, exchange: str, datatable: list[list[str]]
) -> None:
    for (symbol,) in datatable:
        for request in requests.split(","):
            path, _, query = request.strip().partition("?")
            url = analytics_url(path, symbol, exchange, query)
            record_attempt(http, attempts, url, http.client.get(url), unknown=symbol)


@when("someone reads the indicator catalogue")
def reads_catalogue(http: Http) -> None:
    http.send("GET", f"{ANALYTICS_PATH}/indicators")


# --- then: what the response is about -----------------------------------------------------------


@then(step("the response is for {symbol:Symbol} {interval:Interval} on {exchange:Exchange}"))
def response_for(asked: list[Asked], symbol: str, interval: str, exchange: str) -> None:
    answer = last_asked(asked)
    assert answer.response.status_code == 200, answer.response.text
    body = answer.response.json()
    assert sorted(body) == [
        "exchange",
        "filled",
        "indicator",
        "interval",
        "outputs",
        "parameters",
        "points",
        "symbol",
    ], body.keys()
    assert (body["symbol"], body["interval"], body["exchange"]) == (symbol, interval, exchange), body


@then(step('the indicator is "{function:Text}" with the parameters {parameters:Json} and the outputs "{outputs:Text}"'))
def indicator_is(asked: list[Asked], function: str, parameters: str, outputs: str) -> None:
    body = last_asked(asked).response.json()
    assert body["indicator"] == function, body["indicator"]
    assert body["parameters"] == json.loads(parameters), body["parameters"]
    assert body["outputs"] == [name.strip() for name in outputs.split(",")], body["outputs"]


@then(step("{count:d} buckets were filled"))
def buckets_filled(asked: list[Asked], count: int) -> None:
    filled = last_asked(asked).response.json()["filled"]
    assert type(filled) is int
    assert filled == count


@then("no bucket was filled")
def none_filled(asked: list[Asked]) -> None:
    buckets_filled(asked, 0)


# --- then: the points ---------------------------------------------------------------------------


@then(step('the points are at the {count:d} {interval:Interval} buckets from "{first:Text}", oldest first'))
def points_at(asked: list[Asked], count: int, interval: str, first: str) -> None:
    start, size = rfc3339(first), INTERVAL_DURATIONS[interval]
    times = [point["time"] for point in points_of(last_asked(asked))]
    assert times == [format_time(start + n * size) for n in range(count)], [*times[:3], "...", *times[-3:]]


@then(step("the first {count:d} points are null and none after them"))
def warm_up(asked: list[Asked], count: int) -> None:
    points = points_of(last_asked(asked))
    assert len(points) > count, f"only {len(points)} points"
    values = [[value for name, value in point.items() if name != "time"] for point in points]
    nulls = [n for n, point in enumerate(values) if any(value is None for value in point)]
    assert nulls == list(range(count)), f"null at points {nulls}"
    assert all(all(value is None for value in point) for point in values[:count]), values[:count]
    assert all(isinstance(value, float | int) for point in values[count:] for value in point)


@then("no point is null")
def no_null(asked: list[Asked]) -> None:
    warm_up(asked, 0)


@then(step("all {count:d} points are null"))
def all_null(asked: list[Asked], count: int) -> None:
    points = points_of(last_asked(asked))
    assert len(points) == count, len(points)
    assert all(value is None for point in points for name, value in point.items() if name != "time"), points


@then(step("the points are TA-Lib's {function:Symbol} with the parameters {parameters:Json} over the stored candles"))
def points_are_talib(asked: list[Asked], stored: Stored, function: str, parameters: str) -> None:
    answer = last_asked(asked)
    points = points_of(answer)
    body = answer.response.json()
    bars = bars_of(stored.rows(body["symbol"], body["exchange"]), body["interval"])
    expected = talib_outputs(function, json.loads(parameters), bars)
    limit = int(answer.query.get("limit", DEFAULT_LIMIT))
    assert len(points) == min(limit, len(bars)), f"{len(points)} points of {len(bars)} buckets, limit {limit}"
    newest = bars.index[len(bars) - len(points) :]
    assert [point["time"] for point in points] == [format_time(moment.to_pydatetime()) for moment in newest]
    wrong = [
        f"{point['time']} {name}: {point[name]!r}, TA-Lib {column[position]!r}"
        for name, column in expected.items()
        for point, position in zip(points, range(len(bars) - len(points), len(bars)), strict=True)
        if not same_number(point[name], float(column[position]))
    ]
    assert not wrong, f"{len(wrong)} values differ from TA-Lib's, first ones:\n" + "\n".join(wrong[:10])


@then(step("the {count:d} points of the first response are the newest {count2:d} of the second"))
def same_newest_points(asked: list[Asked], count: int, count2: int) -> None:
    assert count == count2, "the step names one count twice"
    first, second = (points_of(answer) for answer in asked[-2:])
    assert len(first) == count, len(first)
    differ = [
        f"{mine['time']} {name}: {mine[name]!r} with the smaller limit, {theirs[name]!r} with the larger"
        for mine, theirs in zip(first, second[-count:], strict=True)
        for name in mine
        if name != "time" and not same_number(mine[name], math.nan if theirs[name] is None else theirs[name])
    ]
    assert [point["time"] for point in first] == [point["time"] for point in second[-count:]]
    assert not differ, "\n".join(differ)


@then(step("the two responses have the same points"))
def same_points(asked: list[Asked]) -> None:
    first, second = (points_of(answer) for answer in asked[-2:])
    assert first == second


# --- then: the cache ----------------------------------------------------------------------------


@then("the answer came from the cache")
def from_cache(asked: list[Asked]) -> None:
    answer = last_asked(asked)
    assert answer.response.status_code == 200, answer.response.text
    assert answer.outcome == "hit", f"the cache counted {answer.hits} hits and {answer.misses} misses"


@then("the answer was computed afresh")
def not_from_cache(asked: list[Asked]) -> None:
    answer = last_asked(asked)
    assert answer.response.status_code == 200, answer.response.text
    assert answer.outcome == "miss", f"the cache counted {answer.hits} hits and {answer.misses} misses"


@then(step("each of these analytics of {symbol:Symbol} on {exchange:Exchange} is computed afresh, then cached"))
def each_computed_then_cached(
    http: Http, asked: list[Asked], symbol: str, exchange: str, datatable: list[list[str]]
) -> None:
    _, *rows = datatable
    outcomes = []
    for path, query in rows:
        first = ask(http, asked, path, symbol, exchange, query)
        again = ask_url(http, asked, first.url)
        assert first.response.status_code == again.response.status_code == 200, first.response.text
        outcomes.append((first.url, first.outcome, again.outcome, first.response.content == again.response.content))
    wrong = [outcome for outcome in outcomes if outcome[1:] != ("miss", "hit", True)]
    assert not wrong, "expected (url, miss, hit, same body), got:\n" + "\n".join(map(str, wrong))


@then(step('the "{path:Text}" of {symbol:Symbol} on {exchange:Exchange} with "{query:Text}" is soon computed afresh'))
def soon_afresh(http: Http, asked: list[Asked], path: str, symbol: str, exchange: str, query: str) -> None:
    computed_afresh(http, asked, analytics_url(path, symbol, exchange, query))


@then(
    step(
        'the "{path:Text}" of {symbol:Symbol} on {exchange:Exchange} with "{query:Text}" still comes from the cache, '
        "unchanged"
    )
)
def still_cached(http: Http, asked: list[Asked], path: str, symbol: str, exchange: str, query: str) -> None:
    url = analytics_url(path, symbol, exchange, query)
    earlier = [answer for answer in asked if answer.url == url]
    assert earlier, f"{url} was not asked for before"
    answer = ask_url(http, asked, url)
    assert answer.outcome == "hit", f"the cache counted {answer.hits} hits and {answer.misses} misses"
    assert answer.response.content == earlier[-1].response.content


@then(step('the newest point is at "{moment:Text}"'))
def newest_point(asked: list[Asked], moment: str) -> None:
    assert points_of(last_asked(asked))[-1]["time"] == moment


# --- then: refusals -----------------------------------------------------------------------------


@then(step("each attempt is answered with status {status:d}"))
def each_answered(attempts: list[Attempt], status: int) -> None:
    check_each_attempt(
        attempts,
        lambda attempt: (
            None
            if attempt.response.status_code == status
            else f"status {attempt.response.status_code}: {attempt.response.text}"
        ),
    )


# --- then: the catalogue ------------------------------------------------------------------------


def catalogue(http: Http) -> dict[str, dict[str, Any]]:
    assert http.last.status_code == 200, http.last.text
    entries = http.body()["indicators"]
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), "a function is listed twice"
    return {entry["name"]: entry for entry in entries}


def talib_inputs(function: str) -> list[str]:
    inputs: list[str] = []
    for value in _abstract.Function(function).info["input_names"].values():
        inputs += value if isinstance(value, list) else [value]
    return inputs


@then(step("the catalogue lists every function of the installed TA-Lib, {count:d} of them"))
def lists_every_function(http: Http, count: int) -> None:
    listed_names = set(catalogue(http))
    assert listed_names == set(talib.get_functions()), listed_names ^ set(talib.get_functions())
    assert len(listed_names) == count


@then("each entry has TA-Lib's group, display name, inputs, parameters with their defaults and outputs")
def entries_as_talib(http: Http) -> None:
    groups = {name: group for group, names in talib.get_function_groups().items() for name in names}
    wrong = []
    for name, entry in catalogue(http).items():
        info = _abstract.Function(name).info
        expected = {
            "group": groups[name],
            "display_name": info["display_name"],
            "inputs": talib_inputs(name),
            "parameters": dict(info["parameters"]),
            "outputs": list(info["output_names"]),
        }
        actual = {**entry, "parameters": {p["name"]: p["default"] for p in entry["parameters"]}}
        wrong += [
            f"{name} {key}: {actual[key]!r}, TA-Lib {value!r}"
            for key, value in expected.items()
            if actual[key] != value
        ]
        wrong += [f"{name} {p['name']}: kind {p['kind']!r}" for p in entry["parameters"] if p["kind"] not in KINDS]
    assert not wrong, "\n".join(wrong[:20])


@then(
    step(
        'the entry "{name:Symbol}" is in the group "{group:Text}", named "{display:Text}", takes "{inputs:Text}" and '
        'gives "{outputs:Text}"'
    )
)
def entry_is(http: Http, name: str, group: str, display: str, inputs: str, outputs: str) -> None:
    entry = catalogue(http)[name]
    assert entry["group"] == group
    assert entry["display_name"] == display
    assert entry["inputs"] == [part.strip() for part in inputs.split(",")]
    assert entry["outputs"] == [part.strip() for part in outputs.split(",")]


@then(step('the entry "{name:Symbol}" has no parameters'))
def entry_without_parameters(http: Http, name: str) -> None:
    assert catalogue(http)[name]["parameters"] == []


@then(step('the entry "{name:Symbol}" has the parameters'))
def entry_parameters(http: Http, name: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    expected = [dict(zip(header, row, strict=True)) for row in rows]
    actual = catalogue(http)[name]["parameters"]
    assert [sorted(p) for p in actual] == [["default", "description", "kind", "name"]] * len(actual)
    assert [{**p, "default": str(p["default"])} for p in actual] == expected
