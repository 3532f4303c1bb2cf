"""Steps of the candles feature: historical imports through the admin upload, and candle pages.

Imports carry dates in 2025, so the simulated exchange's live candles (of today) never mix with them;
every read names a window in 2025 for the same reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pytest_bdd import given, then, when

from .conftest import Account, Http
from .market_steps import Attempt, decimal_of, format_time, listed, record_attempt, rfc3339, step

IMPORT_PATH = "/api/v1/market/candles/import"
PLAIN_HEADER = "time,open,high,low,close,volume"
PLAIN_ROW = "100,101,99,100.5,1"  # open, high, low, close, volume of the rows whose values do not matter
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")
DECIMAL_COLUMNS = ("open", "high", "low", "close", "volume")
CANDLE_FIELDS = ["close", "close_time", "final", "high", "low", "open", "open_time", "trades", "volume"]


def import_candles(
    http: Http,
    account: Account | None,
    symbol: str,
    interval: str,
    csv: str,
    *,
    exchange: str | None = None,
    as_form: bool = False,
) -> httpx.Response:
    response = post_import(http, account, symbol, interval, csv, exchange=exchange, as_form=as_form)
    http.responses.append(response)
    return response


def post_import(
    http: Http,
    account: Account | None,
    symbol: str,
    interval: str,
    csv: str,
    *,
    exchange: str | None = None,
    as_form: bool = False,
) -> httpx.Response:
    params = {"symbol": symbol, "interval": interval, **({"exchange": exchange} if exchange else {})}
    headers = {"Authorization": f"Bearer {account.access_token}"} if account else {}
    if as_form:
        files = {"file": ("candles.csv", csv.encode(), "text/csv")}
        response = http.client.post(IMPORT_PATH, params=params, files=files, headers=headers)
    else:
        headers["Content-Type"] = "text/csv"
        response = http.client.post(IMPORT_PATH, params=params, content=csv.encode(), headers=headers)
    return response


def plain_csv(*rows: str) -> str:
    return "\n".join([PLAIN_HEADER, *rows]) + "\n"


def csv_at(*times: str) -> str:
    return plain_csv(*(f"{moment},{PLAIN_ROW}" for moment in times))


def minutes_csv(count: int, first: datetime) -> str:
    """`count` consecutive minutes from `first`, each with its own prices, so their order shows."""
    rows = []
    for n in range(count):
        open_ = Decimal(100) + n
        rows.append(f"{format_time(first + n * MINUTE)},{open_},{open_ + 1},{open_ - 1},{open_ + Decimal('0.5')},1")
    return plain_csv(*rows)


def read_candles(http: Http, symbol: str, interval: str, **query: str) -> httpx.Response:
    return _get(http, f"/api/v1/market/candles/{symbol}", {"interval": interval, **query})


def _get(http: Http, path: str, params: dict[str, str]) -> httpx.Response:
    response = http.client.get(path, params=params)
    http.responses.append(response)
    return response


def candles_of(http: Http) -> list[dict[str, Any]]:
    assert http.last.status_code == 200, http.last.text
    candles: list[dict[str, Any]] = http.body()["candles"]
    for candle in candles:
        assert sorted(candle) == CANDLE_FIELDS, candle
    return candles


@pytest.fixture
def pages() -> list[dict[str, Any]]:
    return []


# --- given --------------------------------------------------------------------------------------


@given(step("{name:Name} has imported these {symbol:Symbol} {interval:Interval} candles"))
def has_imported_these(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str, docstring: str
) -> None:
    response = import_candles(http, accounts[name], symbol, interval, docstring)
    assert response.status_code == 201, response.text


@given(
    step(
        '{name:Name} has imported {symbol:Symbol} {interval:Interval} candles at the times "{first:Text}" and '
        '"{second:Text}"'
    )
)
def has_imported_at(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str, first: str, second: str
) -> None:
    response = import_candles(http, accounts[name], symbol, interval, csv_at(first, second))
    assert response.status_code == 201, response.text


@given(step('{name:Name} has imported {count:d} {symbol:Symbol} 1m candles from "{first:Text}"'))
def has_imported_minutes(
    http: Http, accounts: dict[str, Account], name: str, count: int, symbol: str, first: str
) -> None:
    response = import_candles(http, accounts[name], symbol, "1m", minutes_csv(count, rfc3339(first)))
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == count


# --- when: imports ------------------------------------------------------------------------------


@when(step("{name:Name} imports these {symbol:Symbol} {interval:Interval} candles"))
def imports_these(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str, docstring: str
) -> None:
    import_candles(http, accounts[name], symbol, interval, docstring)


@when(
    step(
        '{name:Name} imports {symbol:Symbol} {interval:Interval} candles at the times "{first:Text}" and '
        '"{second:Text}"'
    )
)
def imports_at(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str, first: str, second: str
) -> None:
    import_candles(http, accounts[name], symbol, interval, csv_at(first, second))


@when(
    step(
        "{name:Name} imports {symbol:Symbol} {interval:Interval} candles from {exchange:Symbol} at the times "
        '"{first:Text}" and "{second:Text}"'
    )
)
def imports_from_exchange(
    http: Http,
    accounts: dict[str, Account],
    name: str,
    symbol: str,
    interval: str,
    exchange: str,
    first: str,
    second: str,
) -> None:
    import_candles(http, accounts[name], symbol, interval, csv_at(first, second), exchange=exchange)


@when(
    step(
        '{name:Name} uploads {symbol:Symbol} {interval:Interval} candles at the times "{first:Text}" and '
        '"{second:Text}" as a form'
    )
)
def uploads_form(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str, first: str, second: str
) -> None:
    import_candles(http, accounts[name], symbol, interval, csv_at(first, second), as_form=True)


@when(step("{name:Name} tries to import {symbol:Symbol} {interval:Interval} files whose second row is each of these"))
def tries_bad_rows(
    http: Http,
    accounts: dict[str, Account],
    attempts: list[Attempt],
    name: str,
    symbol: str,
    interval: str,
    datatable: list[list[str]],
) -> None:
    _, *rows = datatable
    for row, fault in rows:
        csv = plain_csv(f"2025-03-03T10:00:00Z,{PLAIN_ROW}", row, f"2025-03-03T10:02:00Z,{PLAIN_ROW}")
        record_attempt(http, attempts, fault, post_import(http, accounts[name], symbol, interval, csv))


@when(step("{name:Name} tries to import candles with each of these parameters"))
def tries_import_parameters(
    http: Http, accounts: dict[str, Account], attempts: list[Attempt], name: str, datatable: list[list[str]]
) -> None:
    _, *rows = datatable
    csv = csv_at("2025-03-03T10:00:00Z", "2025-03-03T10:01:00Z")
    for symbol, interval, field in rows:
        response = post_import(http, accounts[name], symbol, interval, csv)
        record_attempt(http, attempts, f"{symbol} {interval}", response, field=field)


@when(step("{name:Name} imports an empty {symbol:Symbol} {interval:Interval} file"))
def imports_empty(http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str) -> None:
    import_candles(http, accounts[name], symbol, interval, "")


@when(step("{name:Name} imports a {symbol:Symbol} {interval:Interval} file holding only the header"))
def imports_header_only(http: Http, accounts: dict[str, Account], name: str, symbol: str, interval: str) -> None:
    import_candles(http, accounts[name], symbol, interval, plain_csv())


@when(step("someone imports {symbol:Symbol} {interval:Interval} candles without an access token"))
def anonymous_imports(http: Http, symbol: str, interval: str) -> None:
    import_candles(http, None, symbol, interval, csv_at("2025-03-03T10:00:00Z", "2025-03-03T10:01:00Z"))


# --- when: reading ------------------------------------------------------------------------------


@when(step("someone reads the {symbol:Symbol} {interval:Interval} candles"))
def reads_candles(http: Http, symbol: str, interval: str) -> None:
    read_candles(http, symbol, interval)


@when(step('someone reads the {symbol:Symbol} {interval:Interval} candles from "{start:Text}" to "{end:Text}"'))
def reads_candles_between(http: Http, symbol: str, interval: str, start: str, end: str) -> None:
    read_candles(http, symbol, interval, start=start, end=end)


@when(
    step(
        'someone reads the {symbol:Symbol} {interval:Interval} candles of {exchange:Symbol} from "{start:Text}" '
        'to "{end:Text}"'
    )
)
def reads_exchange_candles_between(http: Http, symbol: str, interval: str, exchange: str, start: str, end: str) -> None:
    read_candles(http, symbol, interval, start=start, end=end, exchange=exchange)


@when("someone tries to read candles with each of these queries")
def tries_queries(http: Http, attempts: list[Attempt], datatable: list[list[str]]) -> None:
    _, *rows = datatable
    for symbol, query, field in rows:
        response = http.client.get(f"/api/v1/market/candles/{symbol}?{query}")
        record_attempt(http, attempts, f"{symbol}?{query}", response, field=field)


@when(
    step(
        'someone pages through the {symbol:Symbol} {interval:Interval} candles from "{start:Text}" to "{end:Text}", '
        "{limit:d} at a time"
    )
)
def pages_through(
    http: Http, pages: list[dict[str, Any]], symbol: str, interval: str, start: str, end: str, limit: int
) -> None:
    query = {"start": start, "end": end, "limit": str(limit)}
    while True:
        response = read_candles(http, symbol, interval, **query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return
        assert isinstance(cursor, str), cursor
        assert cursor, "an empty cursor"
        assert len(pages) < 100, "the cursor never reaches the last page"
        query["cursor"] = cursor


# --- then ---------------------------------------------------------------------------------------


@then("the candles are")
def candles_are(http: Http, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    candles = candles_of(http)
    assert len(candles) == len(rows), candles
    for candle, row in zip(candles, rows, strict=True):
        for column, expected in zip(header, row, strict=True):
            actual = candle[column]
            if column in DECIMAL_COLUMNS:
                assert decimal_of(actual) == Decimal(expected), (column, candle)
            elif column == "trades":
                assert actual == int(expected), (column, candle)
            elif column == "final":
                assert actual is (expected == "true"), (column, candle)
            else:
                assert actual == expected, (column, candle)


@then(step('the candle open times are "{times:Text}"'))
def candle_open_times(http: Http, times: str) -> None:
    assert [c["open_time"] for c in candles_of(http)] == listed(times)


@then(step('the candles have the volumes "{volumes:Text}"'))
def candle_volumes(http: Http, volumes: str) -> None:
    assert [decimal_of(c["volume"]) for c in candles_of(http)] == [Decimal(v) for v in listed(volumes)]


@then("there are no candles")
def no_candles(http: Http) -> None:
    assert candles_of(http) == []
    assert http.body()["next_cursor"] is None


@then("the response has no next cursor")
def no_next_cursor(http: Http) -> None:
    assert http.body()["next_cursor"] is None


@then(step('no {symbol:Symbol} candles are stored on "{day:Text}"'))
def none_stored(http: Http, symbol: str, day: str) -> None:
    start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    window = {"start": format_time(start), "end": format_time(start + DAY)}
    for interval in INTERVALS:
        response = read_candles(http, symbol, interval, **window)
        assert response.status_code == 200, response.text
        assert response.json()["candles"] == [], f"{interval} candles were stored: {response.text}"


@then(step("the pages hold {first:d} and {second:d} candles"))
def two_pages_hold(pages: list[dict[str, Any]], first: int, second: int) -> None:
    assert [len(page["candles"]) for page in pages] == [first, second]


@then(step("the pages hold {first:d}, {second:d} and {third:d} candles"))
def three_pages_hold(pages: list[dict[str, Any]], first: int, second: int, third: int) -> None:
    assert [len(page["candles"]) for page in pages] == [first, second, third]


@then("the last page has no next cursor")
def last_page_without_cursor(pages: list[dict[str, Any]]) -> None:
    assert pages[-1]["next_cursor"] is None
    assert all(page["next_cursor"] for page in pages[:-1])


@then(step('the pages together hold the {count:d} candles from "{first:Text}", oldest first, each once'))
def pages_hold_all(pages: list[dict[str, Any]], count: int, first: str) -> None:
    start = rfc3339(first)
    candles = [candle for page in pages for candle in page["candles"]]
    assert [c["open_time"] for c in candles] == [format_time(start + n * MINUTE) for n in range(count)]
    # Each minute's own prices (see minutes_csv): the right candle sits at each open time.
    assert [decimal_of(c["open"]) for c in candles] == [Decimal(100) + n for n in range(count)]
