"""User preferences and their validation: currency codes, chart intervals, IANA time zones, themes."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

import msgspec

from domain.shared.errors import FieldError, InvalidInput

INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")
THEMES = ("light", "dark")

# ISO 4217 codes in use, plus the quote currencies of crypto pairs that users price portfolios in.
FIAT_CURRENCIES = frozenset(
    [
        "AED",
        "ARS",
        "AUD",
        "BDT",
        "BGN",
        "BHD",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EGP",
        "EUR",
        "GBP",
        "GHS",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JPY",
        "KES",
        "KRW",
        "KWD",
        "KZT",
        "MAD",
        "MXN",
        "MYR",
        "NGN",
        "NOK",
        "NZD",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "VND",
        "ZAR",
    ]
)
CRYPTO_QUOTES = frozenset({"USDT", "USDC", "BTC", "ETH"})
CURRENCIES = FIAT_CURRENCIES | CRYPTO_QUOTES

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")


class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    base_currency: str = "USD"
    default_interval: str = "1h"
    timezone: str = "UTC"
    theme: str = "light"

    @classmethod
    def validated(cls, base_currency: str, default_interval: str, timezone: str, theme: str) -> Preferences:
        errors = [
            error
            for error in (
                _currency_problem(base_currency),
                _choice_problem("default_interval", default_interval, INTERVALS),
                _timezone_problem(timezone),
                _choice_problem("theme", theme, THEMES),
            )
            if error
        ]
        if errors:
            raise InvalidInput(errors)
        return cls(base_currency=base_currency, default_interval=default_interval, timezone=timezone, theme=theme)


def _currency_problem(code: str) -> FieldError | None:
    if code not in CURRENCIES:
        return FieldError("base_currency", "must be an upper-case ISO 4217 code or USDT, USDC, BTC, ETH")
    return None


def _choice_problem(field: str, value: str, choices: tuple[str, ...]) -> FieldError | None:
    if value not in choices:
        return FieldError(field, f"must be one of {', '.join(choices)}")
    return None


@cache
def _iana_zones() -> frozenset[str]:
    # The database's own list, less the entries that are files of the database but not zones a
    # person lives in ("Factory" means "unset", "localtime" is the machine's own zone).
    not_zones = {"Factory", "localtime", "posixrules"}
    return frozenset(
        name for name in available_timezones() if name not in not_zones and not name.startswith(("posix/", "right/"))
    )


def _timezone_problem(name: str) -> FieldError | None:
    if len(name) > 64 or not _ZONE_NAME.match(name) or name not in _iana_zones():
        return FieldError("timezone", "must be an IANA time zone such as Europe/Berlin")
    return None
