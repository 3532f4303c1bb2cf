"""Instruments, their exchange names, and intervals."""

from __future__ import annotations

import pytest

from domain.market.instruments import REFERENCE_COINS, Instrument, SymbolMap, exchange_symbols
from domain.market.intervals import bucket_start, check_interval
from domain.shared.errors import InvalidInput


def test_symbols_parse_case_insensitively_into_base_and_quote():
    assert Instrument.parse(" btc-usdt ") == Instrument("BTC", "USDT")
    assert Instrument("ETH", "USDT").symbol == "ETH-USDT"


@pytest.mark.parametrize("bad", ["BTCUSDT", "BTC-", "-USDT", "BTC-BTC", "B-USDT", "BTC-US DT", "BTC/USDT", ""])
def test_symbols_that_are_not_base_dash_quote_are_invalid_input(bad):
    with pytest.raises(InvalidInput) as raised:
        Instrument.parse(bad)
    assert raised.value.errors[0].field == "symbol"


def test_binance_names_map_back_only_through_the_followed_instruments():
    symbols = SymbolMap([Instrument("BTC", "USDT"), Instrument("ETH", "BTC")])
    assert symbols.to_exchange(Instrument("BTC", "USDT")) == "BTCUSDT"
    assert symbols.from_exchange("btcusdt") == Instrument("BTC", "USDT")
    assert symbols.from_exchange("ETHBTC") == Instrument("ETH", "BTC")
    assert symbols.from_exchange("SOLUSDT") is None


def test_each_exchange_has_its_own_name_for_an_instrument():
    assert exchange_symbols(Instrument("BTC", "USDT"))["binance"] == "BTCUSDT"
    assert exchange_symbols(Instrument("BTC", "USDT"))["coinbase"] == "BTC-USDT"


def test_the_reference_list_names_ten_coins():
    assert [c.symbol for c in REFERENCE_COINS] == [
        "BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK"
    ]  # fmt: skip
    assert all(c.name for c in REFERENCE_COINS)


def test_unknown_intervals_are_invalid_input():
    assert check_interval("4h") == "4h"
    with pytest.raises(InvalidInput):
        check_interval("2h")


def test_days_start_at_midnight_utc():
    moment = 1_767_225_600_000 + 13 * 3_600_000 + 5  # 2026-01-01T13:00:00.005Z
    assert bucket_start(moment, "1d") == 1_767_225_600_000
    assert bucket_start(moment, "4h") == 1_767_225_600_000 + 12 * 3_600_000
