from __future__ import annotations

import pytest

from domain.shared.errors import InvalidInput
from domain.users.preferences import Preferences

VALID = {"base_currency": "USD", "default_interval": "1h", "timezone": "UTC", "theme": "light"}


def _problems(**changes: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        Preferences.validated(**{**VALID, **changes})
    return {error.field: error.message for error in raised.value.errors}


def test_defaults_are_usd_hourly_utc_light() -> None:
    assert Preferences() == Preferences.validated(**VALID)


@pytest.mark.parametrize("currency", ["USD", "EUR", "JPY", "CHF", "USDT", "USDC", "BTC", "ETH"])
def test_accepts_a_fiat_code_or_a_crypto_quote_currency(currency: str) -> None:
    assert Preferences.validated(**{**VALID, "base_currency": currency}).base_currency == currency


@pytest.mark.parametrize("currency", ["usd", "Eur", "XXX", "EURO", "DOGE", "", " USD"])
def test_rejects_an_unknown_or_lower_case_currency(currency: str) -> None:
    assert list(_problems(base_currency=currency)) == ["base_currency"]


@pytest.mark.parametrize("interval", ["1m", "5m", "15m", "1h", "4h", "1d"])
def test_accepts_every_chart_interval(interval: str) -> None:
    assert Preferences.validated(**{**VALID, "default_interval": interval}).default_interval == interval


@pytest.mark.parametrize("interval", ["2m", "30m", "1H", "1w", "60", ""])
def test_rejects_any_other_interval(interval: str) -> None:
    assert _problems(default_interval=interval) == {"default_interval": "must be one of 1m, 5m, 15m, 1h, 4h, 1d"}


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Etc/GMT+5"]
)
def test_accepts_an_iana_time_zone(zone: str) -> None:
    assert Preferences.validated(**{**VALID, "timezone": zone}).timezone == zone


@pytest.mark.parametrize(
    "zone",
    [
        "../etc/passwd",
        "/etc/localtime",
        "Europe/../../etc/passwd",
        "Mars/Base",
        "localtime",
        "Factory",
        "Europe/Atlantis",
        "europe berlin",
        "",
        "Europe/Berlin\x00",
        "A" * 65,
    ],
)
def test_rejects_anything_but_an_iana_time_zone(zone: str) -> None:
    assert list(_problems(timezone=zone)) == ["timezone"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_accepts_the_light_and_dark_themes(theme: str) -> None:
    assert Preferences.validated(**{**VALID, "theme": theme}).theme == theme


@pytest.mark.parametrize("theme", ["Dark", "blue", "system", ""])
def test_rejects_other_themes(theme: str) -> None:
    assert list(_problems(theme=theme)) == ["theme"]


def test_lists_every_bad_field_at_once() -> None:
    problems = _problems(base_currency="usd", default_interval="2h", timezone="Mars/Base", theme="neon")
    assert list(problems) == ["base_currency", "default_interval", "timezone", "theme"]
