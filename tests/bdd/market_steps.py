"""Steps of the market features on coins, instruments and latest prices, and the helpers all market steps share.

They drive the HTTP API of the embedded app through the users features' `http` world (tests/bdd/conftest.py),
whose admin and member accounts they reuse. Prices come from the simulated exchange's live trades, so the
steps check their shape and their relations (positive, recent, moving), never their values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from parse import with_pattern
from pytest_bdd import given, parsers, then, when

from bootstrap.settings import Settings

from .conftest import Account, Http

T = TypeVar("T")

SOURCE_DEADLINE_SECONDS = 10.0
POLL_PAUSE_SECONDS = 0.05
RECENT = timedelta(minutes=1)
CLOCK_SKEW = timedelta(seconds=5)
JSON_CONTENT = {"Content-Type": "application/json"}
PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def _matching(pattern: str) -> Any:
    @with_pattern(pattern)
    def text(value: str) -> str:
        return value

    return text


# Names are capitalised words, symbols and intervals have no spaces, quoted values may be empty.
_TYPES = {
    "Name": _matching(r"[A-Z][a-z]+"),
    "Text": _matching(r'[^"]*'),
    "Symbol": _matching(r'[^\s"]+'),
    "Interval": _matching(r"[0-9]+[A-Za-z]"),
    "Boolean": _matching(r"true|false"),
}
step = partial(parsers.parse, extra_types=_TYPES)


def listed(text: str) -> list[str]:
    """`"BTC-USDT, ETH-USDT"` as a list."""
    return [part.strip() for part in text.split(",") if part.strip()]


def eventually(probe: Callable[[], T | None], what: str, within: float = SOURCE_DEADLINE_SECONDS) -> T:
    """Polls `probe` until it returns something other than None; fails naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} seconds")
        time.sleep(POLL_PAUSE_SECONDS)


def rfc3339(text: str) -> datetime:
    assert isinstance(text, str), f"not a time: {text!r}"
    assert text.endswith("Z"), f"not an RFC 3339 UTC time: {text!r}"
    return datetime.fromisoformat(text)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def positive_decimal(text: Any) -> Decimal:
    """A decimal string in plain notation above zero, as the API writes prices."""
    assert isinstance(text, str), f"not a decimal string: {text!r}"
    assert PLAIN_DECIMAL.fullmatch(text), f"not a decimal string in plain notation: {text!r}"
    value = Decimal(text)
    assert value > 0, text
    return value


def decimal_of(text: Any) -> Decimal:
    assert isinstance(text, str), f"decimals are strings in the API, got {text!r}"
    try:
        return Decimal(text)
    except InvalidOperation:
        raise AssertionError(f"not a decimal: {text!r}") from None


def check_live_price(price: dict[str, Any], source: str) -> None:
    """A price from the live feed: positive, from `source`, traded within the last minute."""
    positive_decimal(price["price"])
    assert price["source"] == source, price
    traded = rfc3339(price["time"])
    now = datetime.now(UTC)
    assert now - RECENT <= traded <= now + CLOCK_SKEW, f"{price['time']} is not recent (now {format_time(now)})"


def read_prices(http: Http, symbols: str) -> list[dict[str, Any]]:
    response = http.send("GET", f"/api/v1/market/prices?symbols={symbols}")
    assert response.status_code == 200, response.text
    prices: list[dict[str, Any]] = response.json()["prices"]
    return prices


def wait_for_prices(http: Http, symbols: list[str]) -> dict[str, dict[str, Any]]:
    """Every symbol's latest price, once each has one (the simulated exchange starts trading at start-up)."""

    def probe() -> dict[str, dict[str, Any]] | None:
        prices = {p["symbol"]: p for p in read_prices(http, ",".join(symbols))}
        return prices if all(prices[s]["price"] is not None for s in symbols) else None

    return eventually(probe, f"a price for each of {', '.join(symbols)}")


def read_instruments(http: Http) -> list[dict[str, Any]]:
    response = http.send("GET", "/api/v1/market/instruments")
    assert response.status_code == 200, response.text
    instruments: list[dict[str, Any]] = response.json()["instruments"]
    return instruments


def read_coins(http: Http) -> list[dict[str, Any]]:
    response = http.send("GET", "/api/v1/market/coins")
    assert response.status_code == 200, response.text
    coins: list[dict[str, Any]] = response.json()["coins"]
    return coins


def instrument_named(http: Http, symbol: str) -> dict[str, Any]:
    found = [i for i in read_instruments(http) if i["symbol"] == symbol]
    assert len(found) == 1, f"{symbol} appears {len(found)} times among the instruments"
    return found[0]


def bearer(account: Account, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "Authorization": f"Bearer {account.access_token}"}


def list_instrument(http: Http, account: Account | None, body: dict[str, Any]) -> None:
    http.send("POST", "/api/v1/market/instruments", token=account.access_token if account else None, body=body)


@dataclass(frozen=True)
class Attempt:
    """One of several requests a step sent, with what the scenario expects the refusal to name."""

    label: str
    response: httpx.Response
    field: str = ""
    unknown: str = ""


@pytest.fixture
def attempts() -> list[Attempt]:
    return []


def record_attempt(http: Http, attempts: list[Attempt], label: str, response: httpx.Response, **expected: str) -> None:
    http.responses.append(response)
    attempts.append(Attempt(label, response, **expected))


def check_each_attempt(attempts: list[Attempt], check: Callable[[Attempt], str | None]) -> None:
    """Runs `check` on every attempt and fails once, listing every attempt it found wrong."""
    assert attempts, "no attempt was made"
    failures = [f"{a.label}: {problem}" for a in attempts if (problem := check(a))]
    assert not failures, "\n".join(failures)


def refusal(attempt: Attempt, status: int, fields: set[str]) -> str | None:
    response = attempt.response
    if response.status_code != status:
        return f"status {response.status_code}, not {status}: {response.text}"
    if not response.headers["content-type"].startswith("application/problem+json"):
        return f"not a problem: {response.headers['content-type']}"
    named = {error["field"] for error in response.json().get("errors", [])}
    if named != fields:
        return f"names {sorted(named)}, not {sorted(fields)}: {response.text}"
    return None


def name_of(length: int, character: str) -> str:
    """`length` times `character`, where `(space)` stands for a space."""
    return (" " if character == "(space)" else character) * length


def cell(text: str) -> str:
    """A table cell; `(empty)` stands for the empty text, which a table cannot show."""
    return "" if text == "(empty)" else text


# --- settings of the app, before it starts ------------------------------------------------------


class SettingsChanges:
    """Settings a scenario changes; they must be given before anything starts the app."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.applied = False

    def change(self, **values: Any) -> None:
        assert not self.applied, "settings must be changed before the app starts: make this the first step"
        self.values.update(values)


@pytest.fixture
def settings_changes() -> SettingsChanges:
    return SettingsChanges()


@pytest.fixture
def embedded_settings(embedded_settings: Settings, settings_changes: SettingsChanges) -> Settings:
    settings_changes.applied = True
    return msgspec.structs.replace(embedded_settings, **settings_changes.values)


# --- given --------------------------------------------------------------------------------------


@given(step('prices are flowing for "{symbols:Text}"'))
def prices_flowing(http: Http, symbols: str) -> None:
    wait_for_prices(http, listed(symbols))


@given(step('{name:Name} has listed the instrument "{symbol:Text}" named "{base_name:Text}"'))
def has_listed(http: Http, accounts: dict[str, Account], name: str, symbol: str, base_name: str) -> None:
    list_instrument(http, accounts[name], {"symbol": symbol, "name": base_name})
    assert http.last.status_code == 201, http.last.text


# --- when: coins and instruments ----------------------------------------------------------------


@when("someone reads the coins")
def reads_coins(http: Http) -> None:
    http.send("GET", "/api/v1/market/coins")


@when("someone reads the instruments")
def reads_instruments(http: Http) -> None:
    http.send("GET", "/api/v1/market/instruments")


@when(step('{name:Name} lists the instrument "{symbol:Text}" named "{base_name:Text}"'))
def lists(http: Http, accounts: dict[str, Account], name: str, symbol: str, base_name: str) -> None:
    list_instrument(http, accounts[name], {"symbol": symbol, "name": base_name})


@when(step('{name:Name} lists the instrument "{symbol:Text}" with a name of {length:d} characters "{character:Text}"'))
def lists_with_name_of_length(
    http: Http, accounts: dict[str, Account], name: str, symbol: str, length: int, character: str
) -> None:
    list_instrument(http, accounts[name], {"symbol": symbol, "name": name_of(length, character)})


@when(step('{name:Name} tries to list instruments named "{base_name:Text}" with each of these symbols'))
def tries_symbols(
    http: Http,
    accounts: dict[str, Account],
    attempts: list[Attempt],
    name: str,
    base_name: str,
    datatable: list[list[str]],
) -> None:
    for (symbol,) in datatable:
        body = {"symbol": cell(symbol), "name": base_name}
        response = http.client.post("/api/v1/market/instruments", json=body, headers=bearer(accounts[name]))
        record_attempt(http, attempts, f"symbol {symbol!r}", response)


@when(step('{name:Name} tries to list "{symbol:Text}" with each of these names'))
def tries_names(
    http: Http,
    accounts: dict[str, Account],
    attempts: list[Attempt],
    name: str,
    symbol: str,
    datatable: list[list[str]],
) -> None:
    _, *rows = datatable
    for length, character in rows:
        body = {"symbol": symbol, "name": name_of(int(length), character)}
        response = http.client.post("/api/v1/market/instruments", json=body, headers=bearer(accounts[name]))
        record_attempt(http, attempts, f"name of {length} {character!r}", response)


@when(step("{name:Name} tries to list instruments with each of these requests"))
def tries_requests(
    http: Http, accounts: dict[str, Account], attempts: list[Attempt], name: str, datatable: list[list[str]]
) -> None:
    _, *rows = datatable
    for request, field in rows:
        response = http.client.post(
            "/api/v1/market/instruments", content=request.encode(), headers=bearer(accounts[name], JSON_CONTENT)
        )
        record_attempt(http, attempts, request, response, field=field)


@when(step('someone lists the instrument "{symbol:Text}" named "{base_name:Text}" without an access token'))
def anonymous_lists(http: Http, symbol: str, base_name: str) -> None:
    list_instrument(http, None, {"symbol": symbol, "name": base_name})


# --- when: prices -------------------------------------------------------------------------------


@when(step('someone asks for the prices of "{symbols:Text}"'))
def asks_for_prices(http: Http, symbols: str) -> None:
    response = http.client.get("/api/v1/market/prices", params={"symbols": symbols})
    http.responses.append(response)


@when(step('someone asks for the prices of "{symbol:Symbol}" repeated {times:d} times'))
def asks_for_repeated_prices(http: Http, symbol: str, times: int) -> None:
    http.send("GET", f"/api/v1/market/prices?symbols={','.join([symbol] * times)}")


@when("someone tries to get prices with each of these symbols")
def tries_prices(http: Http, attempts: list[Attempt], datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        expected = dict(zip(header, row, strict=True))
        symbols = cell(expected.pop("symbols"))
        response = http.client.get("/api/v1/market/prices", params={"symbols": symbols})
        record_attempt(http, attempts, f"symbols {symbols!r}", response, **expected)


@when("someone asks for prices without naming any symbols")
def asks_for_no_prices(http: Http) -> None:
    http.send("GET", "/api/v1/market/prices")


@when(step('someone notes the latest price of "{symbol:Symbol}"'), target_fixture="noted_price")
def notes_price(http: Http, symbol: str) -> dict[str, Any]:
    return wait_for_prices(http, [symbol])[symbol]


# --- then: coins and instruments ----------------------------------------------------------------


@then("the coins are, in order")
def coins_are(http: Http, datatable: list[list[str]]) -> None:
    assert http.body()["coins"] == [{"symbol": symbol, "name": name} for symbol, name in datatable]


@then("the instruments are, in order, the reference instruments")
def reference_instruments_are(http: Http, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    expected = [{**dict(zip(header, row, strict=True)), "reference": True} for row in rows]
    actual = [{key: i[key] for key in (*header, "reference")} for i in http.body()["instruments"]]
    assert actual == expected


@then("the instruments have these names on the exchanges")
def instruments_named_on_exchanges(http: Http, datatable: list[list[str]]) -> None:
    (_, *exchanges), *rows = datatable
    by_symbol = {i["symbol"]: i["exchange_symbols"] for i in http.body()["instruments"]}
    for symbol, *names in rows:
        assert by_symbol[symbol] == dict(zip(exchanges, names, strict=True)), symbol


@then(
    step(
        'the instrument in the response is named "{binance:Text}" on binance, "{coinbase:Text}" on coinbase and '
        '"{simulated:Text}" on simulated'
    )
)
def response_instrument_named_on_exchanges(http: Http, binance: str, coinbase: str, simulated: str) -> None:
    assert http.body()["exchange_symbols"] == {"binance": binance, "coinbase": coinbase, "simulated": simulated}


@then(step('the response field "{name:Text}" is {value:Boolean}'))
def field_is_boolean(http: Http, name: str, value: str) -> None:
    assert http.body()[name] is (value == "true")


@then(step("the platform follows {count:d} instruments"))
def follows_instruments(http: Http, count: int) -> None:
    symbols = [i["symbol"] for i in read_instruments(http)]
    assert len(symbols) == count, symbols
    assert len(set(symbols)) == count, f"an instrument is listed twice: {symbols}"


@then(step("the platform knows {count:d} coins"))
def knows_coins(http: Http, count: int) -> None:
    symbols = [c["symbol"] for c in read_coins(http)]
    assert len(symbols) == count, symbols
    assert len(set(symbols)) == count, f"a coin appears twice: {symbols}"


@then(
    step('the instrument "{symbol:Text}" is listed with base name "{base_name:Text}" and is not a reference instrument')
)
def instrument_listed(http: Http, symbol: str, base_name: str) -> None:
    instrument = instrument_named(http, symbol)
    base, quote = symbol.split("-")
    assert instrument["base"] == base
    assert instrument["quote"] == quote
    assert instrument["base_name"] == base_name
    assert instrument["reference"] is False


@then(step('the coin "{symbol:Text}" is known as "{name:Text}"'))
def coin_known_as(http: Http, symbol: str, name: str) -> None:
    found = [c for c in read_coins(http) if c["symbol"] == symbol]
    assert found == [{"symbol": symbol, "name": name}], found


@then(step('each attempt is refused with status {status:d}, naming only the field "{field:Text}"'))
def each_refused_naming(attempts: list[Attempt], status: int, field: str) -> None:
    check_each_attempt(attempts, lambda attempt: refusal(attempt, status, {field}))


@then(step("each attempt is refused with status {status:d}, naming only its field"))
def each_refused_naming_its_field(attempts: list[Attempt], status: int) -> None:
    check_each_attempt(attempts, lambda attempt: refusal(attempt, status, {attempt.field}))


@then(
    step('each attempt is refused with status {status:d}, as a problem titled "{title:Text}" naming its unknown symbol')
)
def each_not_found(attempts: list[Attempt], status: int, title: str) -> None:
    def check(attempt: Attempt) -> str | None:
        if problem := refusal(attempt, status, set()):
            return problem
        body = attempt.response.json()
        if body["title"] != title or attempt.unknown not in body["detail"]:
            return f"expected {title!r} naming {attempt.unknown}: {attempt.response.text}"
        return None

    check_each_attempt(attempts, check)


@then("the response is a problem")
def is_problem(http: Http) -> None:
    assert http.last.headers["content-type"].startswith("application/problem+json"), http.last.headers
    problem = http.body()
    assert problem["status"] == http.last.status_code
    assert problem["title"]
    assert problem["detail"]


# --- then: prices -------------------------------------------------------------------------------


@then(step('the prices are for "{symbols:Text}" in that order'))
def prices_are_for(http: Http, symbols: str) -> None:
    prices = http.body()["prices"]
    assert [p["symbol"] for p in prices] == listed(symbols)
    for price in prices:
        assert sorted(price) == ["price", "source", "symbol", "time"], price


@then(step('every price is a positive decimal string from "{source:Text}", traded within the last minute'))
def every_price_live(http: Http, source: str) -> None:
    for price in http.body()["prices"]:
        check_live_price(price, source)


@then(step('the price of "{symbol:Symbol}" is not known yet'))
def price_unknown(http: Http, symbol: str) -> None:
    (price,) = [p for p in http.body()["prices"] if p["symbol"] == symbol]
    assert price == {"symbol": symbol, "price": None, "time": None, "source": None}


@then(step('a later price of "{symbol:Symbol}" is reported within {seconds:d} seconds'))
def later_price(http: Http, noted_price: dict[str, Any], symbol: str, seconds: int) -> None:
    noted = rfc3339(noted_price["time"])

    def probe() -> dict[str, Any] | None:
        (price,) = read_prices(http, symbol)
        return price if rfc3339(price["time"]) > noted else None

    later = eventually(probe, f"a price of {symbol} later than {noted_price['time']}", within=seconds)
    check_live_price(later, noted_price["source"])
