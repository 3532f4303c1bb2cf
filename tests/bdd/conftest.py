"""Steps shared by the users features: they drive the HTTP API of the embedded app, nothing else.

Each scenario gets a fresh app on its own data folder, served in process by Litestar's TestClient;
the `with` block runs start-up and shut-down, so the projection and relay workers run as in production.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import jwt
import pytest
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from parse import with_pattern
from pytest_bdd import given, parsers, then, when

from application.users.commands import RegisterUser
from bootstrap.app import build_app
from bootstrap.settings import Settings
from entrypoints.http.middleware import RequestContext

DEFAULT_PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "definitely not the password"
DEFAULT_CLIENT = "testclient"
CLIENT_ADDRESS_HEADER = "x-test-client-address"

PREFERENCE_FIELDS = ("base_currency", "default_interval", "timezone", "theme")
PROFILE_FIELDS = {"email": "email", "display name": "display_name"}


# Names are capitalised words and quoted values may be empty: keeps step patterns from overlapping.
def _matching(pattern: str) -> Any:
    @with_pattern(pattern)
    def text(value: str) -> str:
        return value

    return text


_TYPES = {
    "Name": _matching(r"[A-Z][a-z]+"),
    "Text": _matching(r'[^"]*'),
    "Which": _matching(r"first|previous|newest"),
    "Field": _matching(r"email|display name"),
}
step = partial(parsers.parse, extra_types=_TYPES)


# --- the world of a scenario ------------------------------------------------------------------


class ClientAddressFromHeader:
    """Plays the network: a request's client address is taken from a test-only header.

    The TestClient gives every request the same peer address; the login limits per client
    address need requests that come from different machines.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == CLIENT_ADDRESS_HEADER.encode():
                    scope = {**scope, "client": (value.decode(), 50000)}  # type: ignore[misc]
        await self.app(scope, receive, send)


class Http:
    """Sends requests and keeps every response, so steps can look back at the last ones."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client
        self.responses: list[httpx.Response] = []

    def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        client_address: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if client_address is not None:
            sent[CLIENT_ADDRESS_HEADER] = client_address
        response = self.client.request(method, path, json=body, headers=sent)
        self.responses.append(response)
        return response

    @property
    def last(self) -> httpx.Response:
        assert self.responses, "no request was sent"
        return self.responses[-1]

    def body(self) -> Any:
        return self.last.json()


@dataclass
class Account:
    name: str
    email: str
    password: str = DEFAULT_PASSWORD
    display_name: str = ""
    id: str = ""
    access_token: str = ""
    # Refresh tokens per device, oldest first: the last one is the live one.
    refresh_tokens: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def named(cls, name: str, email: str | None = None) -> Account:
        return cls(name=name, email=email or f"{name.lower()}@example.com", display_name=name)

    def refresh_token(self, which: str = "newest", device: str = "first") -> str:
        tokens = self.refresh_tokens[device]
        return tokens[{"first": 0, "previous": -2, "newest": -1}[which]]


@pytest.fixture
def app(embedded_settings: Settings) -> RequestContext:
    return build_app(embedded_settings)


@pytest.fixture
def client(app: RequestContext) -> Iterator[TestClient[Any]]:
    with TestClient(app=ClientAddressFromHeader(app)) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def http(client: TestClient[Any]) -> Iterator[Http]:
    http = Http(client)
    yield http
    # Every response of every scenario, errors included, must carry a request id.
    missing = [
        f"{r.request.method} {r.request.url.path} -> {r.status_code}"
        for r in http.responses
        if not r.headers.get("x-request-id", "").strip()
    ]
    assert not missing, f"responses without X-Request-ID: {missing}"


@pytest.fixture
def accounts() -> dict[str, Account]:
    return {}


# --- helpers ----------------------------------------------------------------------------------


def register(http: Http, email: str, password: str, display_name: str) -> httpx.Response:
    return http.send(
        "POST", "/api/v1/auth/register", body={"email": email, "password": password, "display_name": display_name}
    )


def open_account(http: Http, accounts: dict[str, Account], account: Account) -> Account:
    response = register(http, account.email, account.password, account.display_name)
    assert response.status_code == 201, response.text
    account.id = response.json()["id"]
    accounts[account.name] = account
    return account


def log_in(
    http: Http,
    account: Account,
    *,
    email: str | None = None,
    password: str | None = None,
    device: str = "first",
    client_address: str | None = None,
) -> httpx.Response:
    response = http.send(
        "POST",
        "/api/v1/auth/login",
        body={"email": email or account.email, "password": password or account.password},
        client_address=client_address,
    )
    if response.status_code == 200:
        remember_pair(account, response.json(), device)
    return response


def refresh(http: Http, account: Account, token: str, device: str = "first") -> httpx.Response:
    response = http.send("POST", "/api/v1/auth/refresh", body={"refresh_token": token})
    if response.status_code == 200:
        remember_pair(account, response.json(), device)
    return response


def remember_pair(account: Account, pair: dict[str, Any], device: str) -> None:
    account.access_token = pair["access_token"]
    account.refresh_tokens.setdefault(device, []).append(pair["refresh_token"])


def read_profile(http: Http, account: Account) -> dict[str, Any]:
    response = http.send("GET", "/api/v1/users/me", token=account.access_token)
    assert response.status_code == 200, response.text
    return response.json()


def read_preferences(http: Http, account: Account) -> dict[str, Any]:
    response = http.send("GET", "/api/v1/users/me/preferences", token=account.access_token)
    assert response.status_code == 200, response.text
    return response.json()


def preferences(currency: str, interval: str, timezone: str, theme: str) -> dict[str, str]:
    return dict(zip(PREFERENCE_FIELDS, (currency, interval, timezone, theme), strict=True))


def forged_access_token(app: RequestContext, account: Account, kind: str) -> str | None:
    """A token that must not open the account: expired, badly signed, for someone else, tampered..."""
    container = app.app.state.container
    settings = container.settings()
    key = container.secrets().jwt_signing_key
    now = int(time.time())
    claims = {
        "sub": account.id,
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
        "role": "user",
        "sid": str(uuid.uuid4()),
    }
    match kind:
        case "no access token":
            return None
        case "a garbage access token":
            return "not.a.token"
        case "an expired access token":
            return jwt.encode({**claims, "iat": now - 3600, "exp": now - 600}, key, algorithm="HS256")
        case "an access token signed with another key":
            return jwt.encode(claims, b"another key of thirty-two bytes!", algorithm="HS256")
        case "an access token for another audience":
            return jwt.encode({**claims, "aud": "another-api"}, key, algorithm="HS256")
        case "an access token from another issuer":
            return jwt.encode({**claims, "iss": "someone-else"}, key, algorithm="HS256")
        case "an unsigned access token":
            return jwt.encode(claims, None, algorithm="none")
        case "a tampered access token":
            header, payload, signature = account.access_token.split(".")
            decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            changed = json.dumps({**decoded, "role": "admin"}, separators=(",", ":")).encode()
            return ".".join([header, base64.urlsafe_b64encode(changed).decode().rstrip("="), signature])
        case "her refresh token instead of an access token":
            return account.refresh_token()
    raise ValueError(f"unknown kind of credentials: {kind!r}")


# --- given ------------------------------------------------------------------------------------


@given(step("{name:Name} has an account"))
def has_account(http: Http, accounts: dict[str, Account], name: str) -> None:
    open_account(http, accounts, Account.named(name))


@given(step('{name:Name} has an account with email "{email:Text}"'))
def has_account_with_email(http: Http, accounts: dict[str, Account], name: str, email: str) -> None:
    open_account(http, accounts, Account.named(name, email))


@given(step("{name:Name} has an account and is logged in"))
def has_account_and_logged_in(http: Http, accounts: dict[str, Account], name: str) -> None:
    account = open_account(http, accounts, Account.named(name))
    assert log_in(http, account).status_code == 200, http.last.text


@given(step("an admin {name:Name} is logged in"))
def admin_logged_in(
    app: RequestContext, client: TestClient[Any], http: Http, accounts: dict[str, Account], name: str
) -> None:
    # There is no HTTP way to become an admin: the operator's use case creates one.
    account = Account.named(name)
    bus = app.app.state.container.command_bus()
    registered = client.blocking_portal.call(
        bus.handle,
        RegisterUser(email=account.email, password=account.password, display_name=account.display_name, role="admin"),
    )
    account.id = str(registered.user_id)
    accounts[name] = account
    assert log_in(http, account).status_code == 200, http.last.text


@given(step("{name:Name} has also logged in on a second device"))
def logged_in_on_second_device(http: Http, accounts: dict[str, Account], name: str) -> None:
    assert log_in(http, accounts[name], device="second").status_code == 200, http.last.text


@given(step("{name:Name} has refreshed her session"))
def has_refreshed(http: Http, accounts: dict[str, Account], name: str) -> None:
    has_refreshed_times(http, accounts, name, 1)


@given(step("{name:Name} has refreshed her session {times:d} times"))
def has_refreshed_times(http: Http, accounts: dict[str, Account], name: str, times: int) -> None:
    account = accounts[name]
    for _ in range(times):
        assert refresh(http, account, account.refresh_token()).status_code == 200, http.last.text


@given(step("{name:Name} has logged out"))
def has_logged_out(http: Http, accounts: dict[str, Account], name: str) -> None:
    assert logs_out(http, accounts, name).status_code == 204, http.last.text


@given(step("{name:Name} has deleted her account"))
def has_deleted_account(http: Http, accounts: dict[str, Account], name: str) -> None:
    assert deletes_account(http, accounts, name).status_code == 204, http.last.text


@given(
    step(
        '{name:Name} has set her preferences to "{currency:Text}", "{interval:Text}", "{timezone:Text}" and '
        '"{theme:Text}"'
    )
)
def has_set_preferences(
    http: Http, accounts: dict[str, Account], name: str, currency: str, interval: str, timezone: str, theme: str
) -> None:
    sets_preferences(http, accounts, name, currency, interval, timezone, theme)
    assert http.last.status_code == 200, http.last.text


@given(step('{attempts:d} failed login attempts with email "{email:Text}"'))
def failed_attempts(http: Http, attempts: int, email: str) -> None:
    for _ in range(attempts):
        response = http.send("POST", "/api/v1/auth/login", body={"email": email, "password": WRONG_PASSWORD})
        assert response.status_code == 401, response.text


@given("failed login attempts, each from a different client address, with the emails")
def failed_attempts_from_many_addresses(http: Http, datatable: list[list[str]]) -> None:
    for number, (email,) in enumerate(datatable, start=1):
        response = http.send(
            "POST",
            "/api/v1/auth/login",
            body={"email": email, "password": WRONG_PASSWORD},
            client_address=f"192.0.2.{number}",
        )
        assert response.status_code == 401, response.text


@given(step('failed login attempts from the client address "{address:Text}" with the emails'))
def failed_attempts_from_one_address(http: Http, address: str, datatable: list[list[str]]) -> None:
    for (email,) in datatable:
        response = http.send(
            "POST", "/api/v1/auth/login", body={"email": email, "password": WRONG_PASSWORD}, client_address=address
        )
        assert response.status_code == 401, response.text


# --- when: registration and login -------------------------------------------------------------


@when(
    step(
        'a visitor registers with email "{email:Text}", password "{password:Text}" and display name '
        '"{display_name:Text}"'
    )
)
def visitor_registers(http: Http, email: str, password: str, display_name: str) -> None:
    register(http, email, password, display_name)


@when(step('a visitor registers with email "{email:Text}" and password "{password:Text}" but no display name'))
def visitor_registers_without_name(http: Http, email: str, password: str) -> None:
    http.send("POST", "/api/v1/auth/register", body={"email": email, "password": password})


@when(step("{name:Name} logs in with her password"))
def logs_in(http: Http, accounts: dict[str, Account], name: str) -> None:
    log_in(http, accounts[name])


@when(step('{name:Name} logs in with her password from the client address "{address:Text}"'))
def logs_in_from(http: Http, accounts: dict[str, Account], name: str, address: str) -> None:
    log_in(http, accounts[name], client_address=address)


@when(step('someone logs in with email "{email:Text}" and {name:Name}\'s password'))
def someone_logs_in_with_password_of(http: Http, accounts: dict[str, Account], email: str, name: str) -> None:
    http.send("POST", "/api/v1/auth/login", body={"email": email, "password": accounts[name].password})


@when(step('someone logs in with email "{email:Text}" and password "{password:Text}"'))
def someone_logs_in(http: Http, email: str, password: str) -> None:
    http.send("POST", "/api/v1/auth/login", body={"email": email, "password": password})


# --- when: sessions ---------------------------------------------------------------------------


@when(step("{name:Name} refreshes her session"))
def refreshes(http: Http, accounts: dict[str, Account], name: str) -> None:
    account = accounts[name]
    refresh(http, account, account.refresh_token())


@when(step("someone refreshes with {name:Name}'s {which:Which} refresh token"))
def someone_refreshes_with(http: Http, accounts: dict[str, Account], name: str, which: str) -> None:
    http.send("POST", "/api/v1/auth/refresh", body={"refresh_token": accounts[name].refresh_token(which)})


@when(step("someone refreshes with {name:Name}'s access token"))
def someone_refreshes_with_access_token(http: Http, accounts: dict[str, Account], name: str) -> None:
    http.send("POST", "/api/v1/auth/refresh", body={"refresh_token": accounts[name].access_token})


@when(step('someone refreshes with the refresh token "{token:Text}"'))
def someone_refreshes_with_made_up_token(http: Http, token: str) -> None:
    http.send("POST", "/api/v1/auth/refresh", body={"refresh_token": token})


@when(step("{name:Name} logs out"))
def logs_out(http: Http, accounts: dict[str, Account], name: str) -> httpx.Response:
    return http.send("POST", "/api/v1/auth/logout", body={"refresh_token": accounts[name].refresh_token()})


@when(step('someone logs out with the refresh token "{token:Text}"'))
def someone_logs_out_with(http: Http, token: str) -> None:
    http.send("POST", "/api/v1/auth/logout", body={"refresh_token": token})


# --- when: profile, lookup, preferences, deletion ---------------------------------------------


@when(step("{name:Name} reads her profile"))
def reads_profile(http: Http, accounts: dict[str, Account], name: str) -> None:
    http.send("GET", "/api/v1/users/me", token=accounts[name].access_token)


@when(step('{name:Name} reads her profile sending the request id "{request_id:Text}"'))
def reads_profile_with_request_id(http: Http, accounts: dict[str, Account], name: str, request_id: str) -> None:
    http.send("GET", "/api/v1/users/me", token=accounts[name].access_token, headers={"X-Request-ID": request_id})


@when(step("{name:Name}'s profile is requested with {credentials}"))
def profile_requested_with(
    app: RequestContext, http: Http, accounts: dict[str, Account], name: str, credentials: str
) -> None:
    http.send("GET", "/api/v1/users/me", token=forged_access_token(app, accounts[name], credentials))


@when(step('{name:Name} changes her {field_name:Field} to "{value:Text}"'))
def changes_profile(http: Http, accounts: dict[str, Account], name: str, field_name: str, value: str) -> None:
    http.send("PATCH", "/api/v1/users/me", token=accounts[name].access_token, body={PROFILE_FIELDS[field_name]: value})
    if http.last.status_code == 200 and field_name == "email":
        accounts[name].email = value


@when(step("{name:Name} looks up {other:Name} by id"))
def looks_up(http: Http, accounts: dict[str, Account], name: str, other: str) -> None:
    http.send("GET", f"/api/v1/users/{accounts[other].id}", token=accounts[name].access_token)


@when(step("{name:Name} looks up an unknown user id"))
def looks_up_unknown(http: Http, accounts: dict[str, Account], name: str) -> None:
    http.send("GET", f"/api/v1/users/{uuid.uuid4()}", token=accounts[name].access_token)


@when(step('{name:Name} looks up the user id "{user_id:Text}"'))
def looks_up_id(http: Http, accounts: dict[str, Account], name: str, user_id: str) -> None:
    http.send("GET", f"/api/v1/users/{user_id}", token=accounts[name].access_token)


@when(step("someone looks up {name:Name} by id without an access token"))
def anonymous_looks_up(http: Http, accounts: dict[str, Account], name: str) -> None:
    http.send("GET", f"/api/v1/users/{accounts[name].id}")


@when(step("{name:Name} reads her preferences"))
def reads_preferences(http: Http, accounts: dict[str, Account], name: str) -> None:
    http.send("GET", "/api/v1/users/me/preferences", token=accounts[name].access_token)


@when(
    step(
        '{name:Name} sets her preferences to "{currency:Text}", "{interval:Text}", "{timezone:Text}" and "{theme:Text}"'
    )
)
def sets_preferences(
    http: Http, accounts: dict[str, Account], name: str, currency: str, interval: str, timezone: str, theme: str
) -> None:
    body = preferences(currency, interval, timezone, theme)
    http.send("PUT", "/api/v1/users/me/preferences", token=accounts[name].access_token, body=body)


@when(
    step(
        '{name:Name} sets her preferences to "{currency:Text}", "{interval:Text}", "{timezone:Text}" and '
        '"{theme:Text}" but with {field_name} "{value:Text}"'
    )
)
def sets_preferences_with_one_changed(
    http: Http,
    accounts: dict[str, Account],
    name: str,
    currency: str,
    interval: str,
    timezone: str,
    theme: str,
    field_name: str,
    value: str,
) -> None:
    body = preferences(currency, interval, timezone, theme)
    assert field_name in body, f"no preference called {field_name!r}"
    body[field_name] = value
    http.send("PUT", "/api/v1/users/me/preferences", token=accounts[name].access_token, body=body)


@when("someone reads the preferences without an access token")
def anonymous_reads_preferences(http: Http) -> None:
    http.send("GET", "/api/v1/users/me/preferences")


@when(step("{name:Name} deletes her account"))
def deletes_account(http: Http, accounts: dict[str, Account], name: str) -> httpx.Response:
    return http.send("DELETE", "/api/v1/users/me", token=accounts[name].access_token)


@when("someone deletes the account without an access token")
def anonymous_deletes(http: Http) -> None:
    http.send("DELETE", "/api/v1/users/me")


# --- then: responses --------------------------------------------------------------------------


@then(step("the response status is {status:d}"))
def response_status(http: Http, status: int) -> None:
    assert http.last.status_code == status, http.last.text


@then(step("both responses have status {status:d}"))
def both_statuses(http: Http, status: int) -> None:
    first, second = http.responses[-2:]
    assert (first.status_code, second.status_code) == (status, status), (first.text, second.text)


@then("the two responses have identical bodies")
def identical_bodies(http: Http) -> None:
    first, second = http.responses[-2:]
    assert first.content == second.content


@then("the two responses have the same title and detail")
def same_title_and_detail(http: Http) -> None:
    first, second = (response.json() for response in http.responses[-2:])
    assert (first["title"], first["detail"]) == (second["title"], second["detail"])


@then(step('the response body has exactly the fields "{names:Text}"'))
def exact_fields(http: Http, names: str) -> None:
    assert sorted(http.body()) == sorted(name.strip() for name in names.split(","))


@then(step('the response field "{name:Text}" is "{value:Text}"'))
def field_is(http: Http, name: str, value: str) -> None:
    assert http.body()[name] == value


@then(step('the response field "{name:Text}" is the number {value:d}'))
def field_is_number(http: Http, name: str, value: int) -> None:
    actual = http.body()[name]
    assert type(actual) is int
    assert actual == value


@then(step('the response field "{name:Text}" is a UUID'))
def field_is_uuid(http: Http, name: str) -> None:
    uuid.UUID(http.body()[name])


@then(step('the response field "{name:Text}" is a timestamp with a time zone'))
def field_is_timestamp(http: Http, name: str) -> None:
    assert datetime.fromisoformat(http.body()[name]).tzinfo is not None


@then(step('the response field "{name:Text}" is {owner:Name}\'s id'))
def field_is_id_of(http: Http, accounts: dict[str, Account], name: str, owner: str) -> None:
    assert http.body()[name] == accounts[owner].id


@then(step('the response field "{name:Text}" is not {owner:Name}\'s id'))
def field_is_not_id_of(http: Http, accounts: dict[str, Account], name: str, owner: str) -> None:
    assert http.body()[name] != accounts[owner].id


@then(step('the response is a problem titled "{title:Text}"'))
def problem_titled(http: Http, title: str) -> None:
    assert http.last.headers["content-type"].startswith("application/problem+json")
    assert http.body()["title"] == title


@then(step('the problem names only the field "{name:Text}"'))
def problem_names_field(http: Http, name: str) -> None:
    problem_names_fields(http, name)


@then(step('the problem names the fields "{names:Text}"'))
def problem_names_fields(http: Http, names: str) -> None:
    assert http.last.headers["content-type"].startswith("application/problem+json")
    named = {error["field"] for error in http.body().get("errors", [])}
    assert named == {name.strip() for name in names.split(",")}, http.last.text


@then(step("the response asks to retry within {seconds:d} seconds"))
def retry_after(http: Http, seconds: int) -> None:
    assert 1 <= int(http.last.headers["retry-after"]) <= seconds


@then(step('the response header "{name:Text}" is "{value:Text}"'))
def header_is(http: Http, name: str, value: str) -> None:
    assert http.last.headers[name] == value


@then(step('the response header "{name:Text}" is a request id other than "{value:Text}"'))
def header_replaced(http: Http, name: str, value: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9._:\-]{8,128}", http.last.headers[name])
    assert http.last.headers[name] != value


@then("the last two responses carry different request ids")
def different_request_ids(http: Http) -> None:
    first, second = (response.headers["x-request-id"] for response in http.responses[-2:])
    assert first
    assert second
    assert first != second


# --- then: the state behind the API -----------------------------------------------------------


@then("the new refresh token differs from the one presented")
def new_refresh_token(http: Http, accounts: dict[str, Account]) -> None:
    presented = json.loads(http.last.request.content)["refresh_token"]
    assert http.body()["refresh_token"] != presented


@then(step("the new access token opens {name:Name}'s profile"))
def access_token_opens_profile(http: Http, accounts: dict[str, Account], name: str) -> None:
    token = http.body()["access_token"]
    response = http.send("GET", "/api/v1/users/me", token=token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == accounts[name].id


@then(step("{name:Name}'s {which:Which} refresh token is refused"))
def refresh_token_refused(http: Http, accounts: dict[str, Account], name: str, which: str) -> None:
    response = http.send("POST", "/api/v1/auth/refresh", body={"refresh_token": accounts[name].refresh_token(which)})
    assert response.status_code == 401, response.text


@then(step("{name:Name}'s second device can still refresh its session"))
def second_device_refreshes(http: Http, accounts: dict[str, Account], name: str) -> None:
    account = accounts[name]
    response = refresh(http, account, account.refresh_token(device="second"), device="second")
    assert response.status_code == 200, response.text


@then(step("{name:Name}'s second device can no longer refresh its session"))
def second_device_refused(http: Http, accounts: dict[str, Account], name: str) -> None:
    account = accounts[name]
    response = refresh(http, account, account.refresh_token(device="second"), device="second")
    assert response.status_code == 401, response.text


@then(step("{name:Name}'s access token is refused"))
def access_token_refused(http: Http, accounts: dict[str, Account], name: str) -> None:
    response = http.send("GET", "/api/v1/users/me", token=accounts[name].access_token)
    assert response.status_code == 401, response.text


@then(step('{name:Name} can log in with email "{email:Text}"'))
def can_log_in_with(http: Http, accounts: dict[str, Account], name: str, email: str) -> None:
    response = log_in(http, accounts[name], email=email)
    assert response.status_code == 200, response.text


@then(step('nobody can log in with email "{email:Text}" and {name:Name}\'s password'))
def nobody_logs_in_with(http: Http, accounts: dict[str, Account], email: str, name: str) -> None:
    response = http.send("POST", "/api/v1/auth/login", body={"email": email, "password": accounts[name].password})
    assert response.status_code == 401, response.text


@then(step('the email "{email:Text}" is free to register'))
def email_is_free(http: Http, email: str) -> None:
    response = register(http, email, "a newcomer's own passphrase", "Newcomer")
    assert response.status_code == 201, response.text


@then(step('{name:Name}\'s profile shows the {field_name:Field} "{value:Text}"'))
def profile_shows(http: Http, accounts: dict[str, Account], name: str, field_name: str, value: str) -> None:
    assert read_profile(http, accounts[name])[PROFILE_FIELDS[field_name]] == value


@then(step('{name:Name}\'s preferences are "{currency:Text}", "{interval:Text}", "{timezone:Text}" and "{theme:Text}"'))
def preferences_are(
    http: Http, accounts: dict[str, Account], name: str, currency: str, interval: str, timezone: str, theme: str
) -> None:
    assert read_preferences(http, accounts[name]) == preferences(currency, interval, timezone, theme)
